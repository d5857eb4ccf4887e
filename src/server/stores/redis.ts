/**
 * Redis store (Node: ioredis): several gateway processes share rate-limit windows and budgets. Each
 * operation is one Lua script, so check-and-reserve cannot interleave between processes. The connection is
 * guarded (redis-client.ts): a down or slow Redis gives 503 store_unavailable fast, never a hang or a 500.
 */
import type { Redis } from 'ioredis';
import { createGuardedRedis } from './redis-client.ts';
import type { BudgetState, GatewayStore, ReserveResult, StoreHealth, WindowResult } from './types.ts';

const INCREMENT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {total, ttl}`;

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
  taIncrement(key: string, amount: number, windowMs: number): Promise<[number, number]>;
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

export function createRedisStore(options: RedisStoreOptions): GatewayStore {
  const guarded = createGuardedRedis(options);
  const redis = guarded.redis as RedisWithScripts;
  const prefix = options.prefix ?? 'ta:';
  redis.defineCommand('taIncrement', { numberOfKeys: 1, lua: INCREMENT });
  redis.defineCommand('taReserve', { numberOfKeys: 1, lua: RESERVE });
  redis.defineCommand('taSettle', { numberOfKeys: 1, lua: SETTLE });
  const run = <T>(what: string, op: () => Promise<T>) => guarded.run(what, op);

  return {
    async incrementWindow(key, amount, windowMs): Promise<WindowResult> {
      const [total, ttl] = await run('check rate limits', () =>
        redis.taIncrement(prefix + 'w:' + key, amount, windowMs),
      );
      return { total: Number(total), resetMs: Number(ttl) };
    },
    async readWindow(key): Promise<WindowResult> {
      const k = prefix + 'w:' + key;
      const [[, total], [, ttl]] = (await run('check rate limits', () =>
        redis.multi().get(k).pttl(k).exec(),
      )) as [[null, string | null], [null, number]];
      return { total: Number(total ?? 0), resetMs: Math.max(0, Number(ttl)) };
    },
    async reserve(key, amountNanos, limitNanos, ttlMs): Promise<ReserveResult> {
      const [ok, spent, reserved] = await run("reserve against the site's daily budget", () =>
        redis.taReserve(prefix + 'b:' + key, amountNanos, limitNanos, ttlMs),
      );
      return { ok: Number(ok) === 1, spentNanos: Number(spent), reservedNanos: Number(reserved) };
    },
    async settle(key, reservedNanos, actualNanos, ttlMs): Promise<BudgetState> {
      const [spent, reserved] = await run("settle the site's daily budget", () =>
        redis.taSettle(prefix + 'b:' + key, reservedNanos, actualNanos, ttlMs),
      );
      return { spentNanos: Number(spent), reservedNanos: Number(reserved) };
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
  };
}
