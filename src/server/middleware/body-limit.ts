/** Body size limit (413 PayloadTooLargeError): checks Content-Length, then counts streamed bytes. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../../errors.ts';

export function bodyLimit(options: { maxBytes: number }): MiddlewareHandler {
  const inner = honoBodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(
        `The request body is larger than ${options.maxBytes} bytes. Send less text, or raise limits.bodyBytes on the gateway.`,
        { data: { maxBytes: options.maxBytes } },
      );
    },
  });
  return async function limitBody(c, next) {
    return inner(c, next);
  };
}
