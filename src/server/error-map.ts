/**
 * The gateway's one mapping from typed errors (src/errors.ts) to an HTTP status and the GatewayErrorBody
 * JSON. The error middleware (middleware/errors.ts) answers with it; the chat handler records the same
 * status in a request's usage record. No other code in src/server picks an error status.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { GatewayErrorBody } from '../config/index.ts';
import type { ErrorCode, TierError } from '../errors.ts';

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

/** 504 for an upstream timeout (`data.timeout`), the code's status otherwise, 500 for unmapped codes. */
export function statusOf(error: TierError): ContentfulStatusCode {
  if (error.code === 'upstream' && error.data?.timeout === true) return 504;
  return STATUS[error.code] ?? 500;
}

/**
 * `{error: {code, message, type, setting?, field?, param?}}`: our own fields, shaped like OpenAI's
 * `{error: {message, type, param, code}}` so the official SDKs read `err.error`, `err.code`, `err.type`
 * and `err.param` from it (`param` repeats `field`, the bad body field, under OpenAI's name).
 */
export function errorBody(error: TierError): GatewayErrorBody {
  const setting = error.data?.setting;
  const field = error.data?.field;
  return {
    error: {
      code: error.code,
      message: error.message,
      type: error.name,
      ...(typeof setting === 'string' ? { setting } : {}),
      ...(typeof field === 'string' && field ? { field, param: field } : {}),
    },
  };
}
