/** The gateway's one error mapping: typed errors (src/errors.ts) to HTTP status + GatewayErrorBody JSON. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { GatewayErrorBody } from '../../config/index.ts';
import { PayloadTooLargeError, TierError, toTierError, type ErrorCode } from '../../errors.ts';
import type { GatewayMetrics } from '../metrics.ts';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  config_invalid: 400,
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  budget_exceeded: 429,
  aborted: 499 as ContentfulStatusCode,
  upstream: 502,
  not_configured: 503,
  store_unavailable: 503,
};

export function statusOf(error: TierError): ContentfulStatusCode {
  if (error.code === 'upstream' && error.data?.timeout === true) return 504;
  return STATUS[error.code] ?? 500;
}

export function errorBody(error: TierError): GatewayErrorBody {
  const setting = error.data?.setting;
  const field = error.data?.field;
  return {
    error: {
      code: error.code,
      message: error.message,
      type: error.name,
      ...(typeof setting === 'string' ? { setting } : {}),
      ...(typeof field === 'string' && field ? { field } : {}),
    },
  };
}

/** `app.onError(errorHandler({...}))`: every thrown error leaves as JSON with a stable code. */
export function errorHandler(options: { metrics: GatewayMetrics; log?: (error: unknown) => void }) {
  return function onGatewayError(err: Error, c: Context): Response {
    let error: TierError;
    if (err instanceof TierError) error = err;
    else if (err instanceof HTTPException && err.status === 413)
      error = new PayloadTooLargeError(
        'The request body is too large. Send less text (the limit is set by limits.bodyBytes).',
      );
    else if (err instanceof HTTPException)
      error = new TierError(
        err.status === 404 ? 'not_found' : 'invalid_input',
        err.message || 'Bad request.',
      );
    else error = toTierError(err);
    const status = statusOf(error);
    if (status >= 500 && error.code === 'internal') options.log?.(err);
    options.metrics.rejections.inc({ code: error.code });
    const retryAfter = error.data?.retryAfterSeconds;
    if (typeof retryAfter === 'number') c.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    return c.json(errorBody(error), status);
  };
}
