/**
 * One guarded ioredis connection for the gateway's Redis store and Redis usage stream. What it adds to a
 * plain client:
 * - every command is bounded (`commandTimeout`), so a hung or unreachable Redis never hangs a request;
 * - no offline queue and no resend of unanswered commands: a command either runs now or fails now, so a
 *   budget reservation refused to the client can never be applied later behind its back;
 * - while the connection is down (after it was up once, or its first attempt failed) commands fail at once
 *   instead of waiting;
 * - every failure becomes a {@link StoreUnavailableError} (HTTP 503 + Retry-After), and outages are counted;
 * - ioredis reconnects forever in the background; the first command after `ready` succeeds again.
 */
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../errors.ts';
import { STORE_RETRY_AFTER_SECONDS } from './types.ts';

export interface RedisClientOptions {
  url: string;
  /** Longest a single command may take before the request gets a 503 (ms). Default 1000. */
  commandTimeoutMs?: number;
  /** Longest reconnect backoff (ms). Default 1000. */
  maxReconnectDelayMs?: number;
  /** Called once when an outage starts (with the error) and never for each failed command. */
  onOutage?: (error: unknown) => void;
  /** Called when the connection is ready again after an outage. */
  onRecover?: () => void;
}

export interface RedisHealth {
  ok: boolean;
  /** Outages seen since start (a transition from up to down). */
  outages: number;
  /** Commands that failed because the store was down or too slow. */
  failures: number;
  /** Last failure, when down. */
  error?: string;
}

export interface GuardedRedis {
  redis: Redis;
  /** Run one store operation: fails fast with StoreUnavailableError while Redis is down. */
  run<T>(what: string, op: (redis: Redis) => Promise<T>): Promise<T>;
  /** PING within the command timeout. */
  ping(): Promise<RedisHealth>;
  stats(): RedisHealth;
  /** QUIT when connected, then stop reconnecting. */
  close(): Promise<void>;
}

/**
 * What went wrong, in words safe to show a browser (no host, port or Redis internals): clients see this
 * message and /healthz is public. The full error goes to the operator's log (onOutage).
 */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/timed? ?out/i.test(text)) return 'Redis did not answer in time';
  return 'Redis is unreachable';
}

/**
 * `data.sent` is false when the command never left the process (Redis known down): safe to replay later.
 * When true (timeout, connection lost mid-command) Redis may or may not have run it.
 */
export function unavailable(what: string, cause: unknown, sent = false): StoreUnavailableError {
  return new StoreUnavailableError(
    `The gateway's shared store is unavailable (${describe(cause)}), so it cannot ${what}. ` +
      `The gateway reconnects by itself: retry in ${STORE_RETRY_AFTER_SECONDS} s. ` +
      'If this lasts, the operator should check that Redis (store.url / REDIS_URL) is running and reachable.',
    { cause, data: { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS, setting: 'store.url', sent } },
  );
}

/** What the guard knows about the connection, kept current by the client's events. */
interface ConnectionState {
  everReady: boolean;
  up: boolean;
  inOutage: boolean;
  outages: number;
  failures: number;
  lastError: string | undefined;
  closing: boolean;
  /** Note a failure: the first one of an outage is reported (onOutage). */
  down(error: unknown): void;
}

function trackConnection(redis: Redis, options: RedisClientOptions): ConnectionState {
  const state: ConnectionState = {
    everReady: false,
    up: false,
    inOutage: false,
    outages: 0,
    failures: 0,
    lastError: undefined,
    closing: false,
    down(error) {
      state.lastError = describe(error);
      state.up = false;
      if (!state.inOutage) {
        state.inOutage = true;
        state.outages++;
        options.onOutage?.(error);
      }
    },
  };
  redis.on('ready', () => {
    state.everReady = true;
    state.up = true;
    state.lastError = undefined;
    if (state.inOutage) {
      state.inOutage = false;
      options.onRecover?.();
    }
  });
  // Without a listener ioredis prints every reconnect error; one report per outage is enough.
  redis.on('error', (error: unknown) => {
    if (!state.closing) state.down(error);
  });
  redis.on('close', () => {
    if (!state.closing && state.up) state.down(new Error('connection closed'));
  });
  return state;
}

/** Commands sent before the first connection is up share one wait (bounded by the command timeout). */
function firstReadyWaiter(redis: Redis, timeout: number): () => Promise<void> {
  let firstReady: Promise<void> | undefined;
  return () =>
    (firstReady ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        firstReady = undefined;
        reject(new Error(`not connected within ${timeout} ms`));
      }, timeout);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      redis.once('ready', onReady);
    }));
}

export function createGuardedRedis(options: RedisClientOptions): GuardedRedis {
  const timeout = options.commandTimeoutMs ?? 1000;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const redis = new Redis(options.url, {
    commandTimeout: timeout,
    connectTimeout: Math.max(timeout, 1000),
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    lazyConnect: false,
  });
  const state = trackConnection(redis, options);
  const waitReady = firstReadyWaiter(redis, timeout);

  const run = async <T>(what: string, op: (r: Redis) => Promise<T>): Promise<T> => {
    let sent = false;
    try {
      if (redis.status !== 'ready') {
        if (state.everReady || state.inOutage || redis.status === 'end')
          throw new Error(`connection ${redis.status}`);
        // Starting up and no attempt has failed yet: give the first connection one command timeout.
        await waitReady();
      }
      sent = true;
      const result = await op(redis);
      if (!state.up && redis.status === 'ready') {
        state.up = true;
        state.inOutage = false;
        state.lastError = undefined;
      }
      return result;
    } catch (error) {
      // A Redis reply error (wrong type, script bug) is a bug, not an outage: let it surface as a 500.
      if (error instanceof Error && error.name === 'ReplyError') throw error;
      state.failures++;
      state.down(error);
      throw unavailable(what, error, sent);
    }
  };

  return {
    redis,
    run,
    async ping() {
      try {
        await run('answer a health check', (r) => r.ping());
      } catch {
        // reported below
      }
      return this.stats();
    },
    stats: () => ({
      ok: state.up,
      outages: state.outages,
      failures: state.failures,
      ...(state.lastError && !state.up ? { error: state.lastError } : {}),
    }),
    async close() {
      state.closing = true;
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}
