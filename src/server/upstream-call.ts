/**
 * Opening an upstream answer reliably: per-attempt and first-byte timeouts, retries with backoff that
 * honour `retry-after` on 429/5xx, and fallback frontier -> mid. All of it happens before the first byte
 * goes to the client: the caller only starts its response once `openAnswer` has the first event.
 */
import type { GatewayTier } from '../config/index.ts';
import { AbortError, NotConfiguredError, UpstreamError } from '../errors.ts';
import { isResolved, type GatewayConfig, type ResolvedUpstream, type TierTable } from './config.ts';
import type { GatewayMetrics } from './metrics.ts';
import {
  PROVIDERS,
  ProviderHttpError,
  type ProviderEvent,
  type ProviderRequest,
  type Transport,
} from './providers/index.ts';

export interface OpenedAnswer {
  upstream: ResolvedUpstream;
  fallbackFrom: GatewayTier | undefined;
  attempts: number;
  ttfbMs: number;
  first: ProviderEvent;
  rest: AsyncIterator<ProviderEvent>;
  /** Abort this attempt (client gone, or done). */
  abort(reason?: unknown): void;
  /** Fires when the attempt times out (attemptTimeoutMs) mid-stream. */
  signal: AbortSignal;
  /** Stop the attempt timer once the stream ends. */
  done(): void;
}

export interface OpenOptions {
  requestedTier: GatewayTier;
  request: Omit<ProviderRequest, 'model' | 'maxTokens'> & { maxTokens: number | undefined };
  tiers: TierTable;
  reliability: GatewayConfig['reliability'];
  signal: AbortSignal;
  transport: Transport;
  metrics: GatewayMetrics;
  now: () => number;
}

export class FirstByteTimeout extends Error {
  constructor() {
    super('the upstream sent nothing before the first-byte timeout');
    this.name = 'FirstByteTimeout';
  }
}
export class AttemptTimeout extends Error {
  constructor() {
    super('the upstream attempt exceeded its timeout');
    this.name = 'AttemptTimeout';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Tiers to try in order for a requested tier. */
export function tierPlan(requested: GatewayTier, tiers: TierTable, fallback: boolean): ResolvedUpstream[] {
  const plan: ResolvedUpstream[] = [];
  const first = tiers[requested];
  if (isResolved(first)) plan.push(first);
  if (requested === 'frontier' && fallback && isResolved(tiers.mid)) plan.push(tiers.mid);
  return plan;
}

/** Throws NotConfiguredError (503, names the setting) when the requested tier cannot be served at all. */
export function requireTier(requested: GatewayTier, tiers: TierTable, fallback: boolean): ResolvedUpstream[] {
  const plan = tierPlan(requested, tiers, fallback);
  if (plan.length === 0) {
    const missing = tiers[requested];
    if (isResolved(missing)) throw new Error('unreachable');
    throw new NotConfiguredError(missing.message, { data: { setting: missing.setting, tier: requested } });
  }
  return plan;
}

async function attempt(
  upstream: ResolvedUpstream,
  options: OpenOptions,
): Promise<Omit<OpenedAnswer, 'fallbackFrom' | 'attempts'>> {
  const { reliability } = options;
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(new AbortError());
  options.signal.addEventListener('abort', onClientAbort, { once: true });
  const attemptTimer = setTimeout(() => controller.abort(new AttemptTimeout()), reliability.attemptTimeoutMs);
  const cleanup = () => {
    clearTimeout(attemptTimer);
    options.signal.removeEventListener('abort', onClientAbort);
  };
  const started = options.now();
  let firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  const firstByte = new Promise<never>((_, reject) => {
    firstByteTimer = setTimeout(() => {
      const error = new FirstByteTimeout();
      controller.abort(error);
      reject(error);
    }, reliability.firstByteTimeoutMs);
  });
  firstByte.catch(() => undefined);
  try {
    const request: ProviderRequest = {
      ...options.request,
      model: upstream.model,
      maxTokens: Math.min(options.request.maxTokens ?? upstream.maxTokens, upstream.maxTokens),
    };
    const open = async () => {
      const rest = await PROVIDERS[upstream.provider](upstream, request, {
        signal: controller.signal,
        transport: options.transport,
      });
      const first = await rest.next();
      return { rest, first };
    };
    const { rest, first } = await Promise.race([open(), firstByte]);
    clearTimeout(firstByteTimer);
    if (first.done) throw new UpstreamError(`${upstream.provider} ended the stream without answering.`);
    return {
      upstream,
      ttfbMs: options.now() - started,
      first: first.value,
      rest,
      abort: (reason) => controller.abort(reason ?? new AbortError()),
      signal: controller.signal,
      done: cleanup,
    };
  } catch (error) {
    clearTimeout(firstByteTimer);
    cleanup();
    controller.abort();
    if (options.signal.aborted) throw new AbortError(undefined, { cause: error });
    if (controller.signal.reason instanceof FirstByteTimeout) throw controller.signal.reason;
    if (controller.signal.reason instanceof AttemptTimeout) throw controller.signal.reason;
    throw error;
  }
}

function retryable(error: unknown): boolean {
  if (error instanceof ProviderHttpError) return error.retryable;
  if (error instanceof FirstByteTimeout || error instanceof AttemptTimeout) return true;
  if (error instanceof UpstreamError) return true;
  // fetch network failures (ECONNREFUSED, reset) and cut streams before the first event
  return error instanceof Error;
}

function reasonOf(error: unknown): string {
  if (error instanceof ProviderHttpError) return String(error.status);
  if (error instanceof FirstByteTimeout) return 'first_byte_timeout';
  if (error instanceof AttemptTimeout) return 'attempt_timeout';
  return 'network';
}

/** Try the plan's tiers in order, retrying each; resolves with the first event in hand. */
export async function openAnswer(options: OpenOptions): Promise<OpenedAnswer> {
  const { reliability } = options;
  const plan = requireTier(options.requestedTier, options.tiers, reliability.fallback);
  let attempts = 0;
  let lastError: unknown;
  for (const upstream of plan) {
    for (let retry = 0; retry <= reliability.retries; retry++) {
      attempts++;
      try {
        const opened = await attempt(upstream, options);
        const fallbackFrom = upstream.tier !== options.requestedTier ? options.requestedTier : undefined;
        if (fallbackFrom) options.metrics.fallbacks.inc({ from: fallbackFrom, to: upstream.tier });
        return { ...opened, fallbackFrom, attempts };
      } catch (error) {
        if (error instanceof AbortError) throw error;
        lastError = error;
        if (!retryable(error) || retry === reliability.retries) break;
        const retryAfter = error instanceof ProviderHttpError ? error.retryAfterMs : undefined;
        const backoff = reliability.backoffBaseMs * 2 ** retry * (0.5 + Math.random() / 2);
        const delay = retryAfter ?? backoff;
        if (delay > reliability.maxRetryDelayMs) break;
        options.metrics.retries.inc({ tier: upstream.tier, reason: reasonOf(error) });
        await sleep(delay, options.signal);
      }
    }
  }
  throw toUpstreamError(lastError, attempts);
}

export function toUpstreamError(error: unknown, attempts: number): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof ProviderHttpError) {
    return new UpstreamError(
      `The upstream provider failed (${error.message}) after ${attempts} attempt(s). Try again later.`,
      {
        cause: error,
        data: {
          status: error.status,
          attempts,
          ...(error.retryAfterMs !== undefined
            ? { retryAfterSeconds: Math.ceil(error.retryAfterMs / 1000) }
            : {}),
        },
      },
    );
  }
  if (error instanceof FirstByteTimeout || error instanceof AttemptTimeout) {
    return new UpstreamError(
      `The upstream provider did not answer in time after ${attempts} attempt(s). Try again later.`,
      {
        cause: error,
        data: { timeout: true, attempts },
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError(
    `Could not reach the upstream provider (${message}) after ${attempts} attempt(s).`,
    {
      cause: error,
      data: { attempts },
    },
  );
}
