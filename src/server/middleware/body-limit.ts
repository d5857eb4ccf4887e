/** Body size limit (413 PayloadTooLargeError): checks Content-Length, then counts streamed bytes. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../../errors.ts';

export function bodyLimit(options: { maxBytes: number }): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new PayloadTooLargeError(
      `The request body is larger than ${options.maxBytes} bytes. Send less text, or raise limits.bodyBytes on the gateway.`,
      { data: { maxBytes: options.maxBytes } },
    );
  };
  const inner = honoBodyLimit({ maxSize: options.maxBytes, onError: tooLarge });
  return async function limitBody(c, next) {
    // Fast path for a declared length (the usual case), decided from headers alone. Hono's middleware
    // starts with `c.req.raw.body`, which on @hono/node-server turns the lightweight request into a full
    // web Request + ReadableStream (a measurable share of the gateway's CPU per request) and stops the
    // adapter reading the body straight from the socket for `c.req.json()`.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined && /^\d+$/.test(length)) {
      if (Number(length) > options.maxBytes) tooLarge();
      return next();
    }
    return inner(c, next);
  };
}
