/** The gateway's one `onError`: every thrown error leaves as JSON with a stable code (map: ../error-map.ts). */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { PayloadTooLargeError, TierError, toTierError } from '../../errors.ts';
import { errorBody, statusOf } from '../error-map.ts';
import type { GatewayMetrics } from '../metrics.ts';

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
