/**
 * Redis store (Node: ioredis): several gateway processes share sliding rate-limit windows and budgets. Each
 * operation is one Lua script, so check-and-reserve cannot interleave between processes. The connection is
 * guarded (redis-client.ts): a down or slow Redis gives 503 store_unavailable fast, never a hang or a 500.
 */
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../errors.ts';
import { createRedisFeedbackStore } from './feedback-redis.ts';
import { createGuardedRedis } from './redis-client.ts';
import { slotOf } from './sliding-window.ts';
import type {
  AdmitResult,
  BudgetState,
  GatewayStore,
  ReserveResult,
  StoreHealth,
  WindowCheck,
} from './types.ts';

// Sliding-window admit (sliding-window.ts in Lua). KEYS: per window its previous and current slot counter.
// ARGV: elapsed ms into the slot, windowMs, slot TTL ms, then per window: limit (-1 = none), need, add.
// Returns {0, 0} when admitted (and counted), else {index of the refusing window (1-based), retry ms}.
const ADMIT = `
local elapsed = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local n = #KEYS / 2
for i = 1, n do
  local limit = tonumber(ARGV[3 + 3 * i - 2])
  local need = tonumber(ARGV[3 + 3 * i - 1])
  if limit >= 0 then
    local p = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local c = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    if p * (1 - elapsed / w) + c + need > limit + 1e-9 then
      local retry
      if need > limit then
        retry = w
      elseif c + need <= limit then
        retry = math.max(0, w * (1 - (limit - c - need) / p) - elapsed)
      else
        retry = w - elapsed + math.max(0, w * (1 - (limit - need) / c))
      end
      return {i, math.max(1, math.ceil(retry - 1e-6))}
    end
  end
end
for i = 1, n do
  local add = tonumber(ARGV[3 + 3 * i])
  if add > 0 then
    redis.call('INCRBY', KEYS[2 * i], add)
    redis.call('PEXPIRE', KEYS[2 * i], ARGV[3])
  end
end
return {0, 0}`;

const RESERVE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local amount = tonumber(ARGV[1])
if spent + reserved + amount > tonumber(ARGV[2]) then
  return {0, spent, reserved}
end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', amount)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, spent, reserved}`;

const SETTLE = `
local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
if reserved < 0 then
  redis.call('HSET', KEYS[1], 'reserved', 0)
  reserved = 0
end
local spent = redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {spent, reserved}`;

type RedisWithScripts = Redis & {
  taAdmit(numberOfKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
  taReserve(key: string, amount: number, limit: number, ttl: number): Promise<[number, number, number]>;
  taSettle(key: string, reserved: number, actual: number, ttl: number): Promise<[number, number]>;
};

export interface RedisStoreOptions {
  url: string;
  prefix?: string;
  /** Longest one store operation may take before the request gets 503 store_unavailable (ms, default 1000). */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts (ms, default 1000). */
  maxReconnectDelayMs?: number;
  /** Told once per outage (with the cause) and on recovery. */
  onOutage?: (error: unknown) => void;
  onRecover?: () => void;
}

/** KEYS and ARGV of the ADMIT script: the previous and current slot of every window, then its limits. */
function admitArgs(
  prefix: string,
  checks: readonly WindowCheck[],
  windowMs: number,
  now: number,
): { keys: string[]; args: number[] } {
  const { slot, elapsed } = slotOf(now, windowMs);
  const keys: string[] = [];
  const args: number[] = [elapsed, windowMs, 2 * windowMs + 1000];
  for (const w of checks) {
    keys.push(`${prefix}w:${w.key}:${slot - 1}`, `${prefix}w:${w.key}:${slot}`);
    args.push(w.limit === Infinity ? -1 : w.limit, w.need, w.add);
  }
  return { keys, args };
}

export function createRedisStore(options: RedisStoreOptions): GatewayStore {
  // Settles that could not even be sent during an outage: replayed in order when Redis is back, so the
  // reservations of requests that finished during the outage do not stay reserved for the rest of the day.
  // (A settle whose command was sent but not answered is not replayed: it may have run.)
  const unsettled: [key: string, reserved: number, actual: number, ttl: number][] = [];
  const replay = async () => {
    while (unsettled.length > 0) {
      const [key, reserved, actual, ttl] = unsettled[0]!;
      try {
        await guarded.run("settle the site's daily budget", () => redis.taSettle(key, reserved, actual, ttl));
      } catch (error) {
        options.onOutage?.(error);
        return; // still down: the next recovery retries
      }
      unsettled.shift();
    }
  };
  const guarded = createGuardedRedis({
    ...options,
    onRecover: () => {
      options.onRecover?.();
      void replay();
    },
  });
  const redis = guarded.redis as RedisWithScripts;
  const prefix = options.prefix ?? 'ta:';
  redis.defineCommand('taAdmit', { lua: ADMIT });
  redis.defineCommand('taReserve', { numberOfKeys: 1, lua: RESERVE });
  redis.defineCommand('taSettle', { numberOfKeys: 1, lua: SETTLE });
  const run = <T>(what: string, op: () => Promise<T>) => guarded.run(what, op);

  return {
    async admit(checks, windowMs, now): Promise<AdmitResult> {
      if (checks.length === 0) return { allowed: true, refused: -1, retryAfterMs: 0 };
      const { keys, args } = admitArgs(prefix, checks, windowMs, now);
      const [index, retry] = await run('check rate limits', () =>
        redis.taAdmit(keys.length, ...keys, ...args),
      );
      return Number(index) === 0
        ? { allowed: true, refused: -1, retryAfterMs: 0 }
        : { allowed: false, refused: Number(index) - 1, retryAfterMs: Number(retry) };
    },
    async reserve(key, amountNanos, limitNanos, ttlMs): Promise<ReserveResult> {
      const [ok, spent, reserved] = await run("reserve against the site's daily budget", () =>
        redis.taReserve(prefix + 'b:' + key, amountNanos, limitNanos, ttlMs),
      );
      return { ok: Number(ok) === 1, spentNanos: Number(spent), reservedNanos: Number(reserved) };
    },
    async settle(key, reservedNanos, actualNanos, ttlMs): Promise<BudgetState> {
      const k = prefix + 'b:' + key;
      try {
        const [spent, reserved] = await run("settle the site's daily budget", () =>
          redis.taSettle(k, reservedNanos, actualNanos, ttlMs),
        );
        return { spentNanos: Number(spent), reservedNanos: Number(reserved) };
      } catch (error) {
        if (
          error instanceof StoreUnavailableError &&
          error.data?.sent === false &&
          unsettled.length < 100_000
        )
          unsettled.push([k, reservedNanos, actualNanos, ttlMs]);
        throw error;
      }
    },
    async budget(key): Promise<BudgetState> {
      const h = await run("read the site's daily budget", () => redis.hgetall(prefix + 'b:' + key));
      return { spentNanos: Number(h.spent ?? 0), reservedNanos: Number(h.reserved ?? 0) };
    },
    async health(): Promise<StoreHealth> {
      return { kind: 'redis', ...(await guarded.ping()) };
    },
    stats: (): StoreHealth => ({ kind: 'redis', ...guarded.stats() }),
    close: () => guarded.close(),
    feedback: createRedisFeedbackStore(redis, run, prefix),
  };
}
