/**
 * Typed errors shared by every part of tier-assist.
 *
 * Each error has a stable `code` (safe to branch on, never changes once shipped) and a message that
 * tells the reader what to do next. Errors cross worker, extension and network boundaries as
 * {@link SerializedError} and are rebuilt into their classes with {@link deserializeError}.
 */

export const ERROR_CODES = [
  'config_invalid',
  'webgpu_unavailable',
  'device_lost',
  'out_of_memory',
  'quota_exceeded',
  'network',
  'model_corrupt',
  'model_not_loaded',
  'engine_unavailable',
  'aborted',
  'invalid_output',
  'invalid_input',
  'upstream',
  'not_configured',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'budget_exceeded',
  'payload_too_large',
  'not_found',
  'store_unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  data?: Record<string, unknown> | undefined;
}

/** Base class: every error tier-assist throws on purpose is a TierError. */
export class TierError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TierError';
    this.code = code;
    this.data = options?.data;
  }

  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}

/** A setting, attribute or request body did not match its schema. `data.field` names the first bad field. */
export class ConfigError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('config_invalid', message, options);
    this.name = 'ConfigError';
  }
}

/** Input given by a person or a caller is unusable (empty, too long, binary...). */
export class InvalidInputError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('invalid_input', message, options);
    this.name = 'InvalidInputError';
  }
}

export class WebGPUUnavailableError extends TierError {
  constructor(
    message = 'WebGPU is not available in this browser. Use a recent Chrome or Edge with hardware acceleration on, or let tier-assist use the WebAssembly engine.',
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super('webgpu_unavailable', message, options);
    this.name = 'WebGPUUnavailableError';
  }
}

export class DeviceLostError extends TierError {
  constructor(
    message = 'The GPU device was lost (driver reset or the tab was in the background too long). The model reloads on the next request.',
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super('device_lost', message, options);
    this.name = 'DeviceLostError';
  }
}

export class OutOfMemoryError extends TierError {
  constructor(
    message = 'The device ran out of memory for this model. Close other tabs, or pick a smaller model.',
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super('out_of_memory', message, options);
    this.name = 'OutOfMemoryError';
  }
}

/** Storage quota too small. `data.neededBytes` and `data.availableBytes` say by how much. */
export class QuotaExceededError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('quota_exceeded', message, options);
    this.name = 'QuotaExceededError';
  }
}

export class NetworkError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('network', message, options);
    this.name = 'NetworkError';
  }
}

export class ModelCorruptError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('model_corrupt', message, options);
    this.name = 'ModelCorruptError';
  }
}

export class ModelNotLoadedError extends TierError {
  constructor(
    message = 'No model is loaded yet. Call load() first.',
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super('model_not_loaded', message, options);
    this.name = 'ModelNotLoadedError';
  }
}

export class EngineUnavailableError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('engine_unavailable', message, options);
    this.name = 'EngineUnavailableError';
  }
}

export class AbortError extends TierError {
  constructor(
    message = 'The request was cancelled.',
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super('aborted', message, options);
    this.name = 'AbortError';
  }
}

/** A model answered, but not in the required shape (e.g. JSON that fails the schema). */
export class InvalidOutputError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('invalid_output', message, options);
    this.name = 'InvalidOutputError';
  }
}

/** The gateway or a provider behind it failed. `data.status` holds the HTTP status when there is one. */
export class UpstreamError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('upstream', message, options);
    this.name = 'UpstreamError';
  }
}

/** A feature needs a setting that is missing. `data.setting` names it. */
export class NotConfiguredError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('not_configured', message, options);
    this.name = 'NotConfiguredError';
  }
}

export class UnauthorizedError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('unauthorized', message, options);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('forbidden', message, options);
    this.name = 'ForbiddenError';
  }
}

/** Too many requests. `data.retryAfterSeconds` says when to try again. */
export class RateLimitError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('rate_limited', message, options);
    this.name = 'RateLimitError';
  }
}

export class BudgetExceededError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('budget_exceeded', message, options);
    this.name = 'BudgetExceededError';
  }
}

export class PayloadTooLargeError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('payload_too_large', message, options);
    this.name = 'PayloadTooLargeError';
  }
}

export class NotFoundError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('not_found', message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * A shared store the server needs (e.g. the gateway's Redis) is unreachable or too slow. Temporary:
 * `data.retryAfterSeconds` says when to try again.
 */
export class StoreUnavailableError extends TierError {
  constructor(message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super('store_unavailable', message, options);
    this.name = 'StoreUnavailableError';
  }
}

type ErrorClass = new (
  message: string,
  options?: { cause?: unknown; data?: Record<string, unknown> },
) => TierError;

const CLASSES: Record<ErrorCode, ErrorClass | undefined> = {
  config_invalid: ConfigError,
  webgpu_unavailable: WebGPUUnavailableError,
  device_lost: DeviceLostError,
  out_of_memory: OutOfMemoryError,
  quota_exceeded: QuotaExceededError,
  network: NetworkError,
  model_corrupt: ModelCorruptError,
  model_not_loaded: ModelNotLoadedError,
  engine_unavailable: EngineUnavailableError,
  aborted: AbortError,
  invalid_output: InvalidOutputError,
  invalid_input: InvalidInputError,
  upstream: UpstreamError,
  not_configured: NotConfiguredError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  rate_limited: RateLimitError,
  budget_exceeded: BudgetExceededError,
  payload_too_large: PayloadTooLargeError,
  not_found: NotFoundError,
  store_unavailable: StoreUnavailableError,
  internal: undefined,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turn any thrown value into the wire shape `{name, code, message, data}`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof TierError) return error.toJSON();
  if (error instanceof DOMException && error.name === 'AbortError') {
    return { name: 'AbortError', code: 'aborted', message: 'The request was cancelled.' };
  }
  if (error instanceof Error) return { name: error.name, code: 'internal', message: error.message };
  return { name: 'Error', code: 'internal', message: typeof error === 'string' ? error : 'Unknown error' };
}

/** Rebuild an error that crossed a boundary into its class (unknown shapes become an `internal` TierError). */
export function deserializeError(value: unknown): TierError {
  if (!isRecord(value) || typeof value.message !== 'string') {
    return new TierError('internal', 'An unknown error crossed a boundary without a message.');
  }
  const code = isErrorCode(value.code) ? value.code : 'internal';
  const data = isRecord(value.data) ? value.data : undefined;
  const Class = CLASSES[code];
  const error = Class
    ? new Class(value.message, data ? { data } : undefined)
    : new TierError(code, value.message, data ? { data } : undefined);
  return error;
}

/** Wrap anything thrown into a TierError without losing its class when it already is one. */
export function toTierError(error: unknown): TierError {
  if (error instanceof TierError) return error;
  if (error instanceof DOMException && error.name === 'AbortError')
    return new AbortError(undefined, { cause: error });
  if (error instanceof Error && error.name === 'AbortError')
    return new AbortError(undefined, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new TierError('internal', message, { cause: error });
}

/** Throws {@link AbortError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}
