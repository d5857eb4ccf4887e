/**
 * Redis feedback store: several gateway processes share each site's records and learned router. Per site
 * three keys: `<prefix>f:<site>:r` (list of record JSON, newest last, trimmed to the cap), `<prefix>f:<site>:n`
 * (records ever accepted: the sequence number of the newest) and `<prefix>f:<site>:s` (hash: the router state
 * JSON and `applied`, the last record it learned). Each operation is one Lua script, so the list and the
 * counter never disagree and saving the router is a compare-and-set on `applied`.
 */
import type { Redis } from 'ioredis';
import type { FeedbackAppendResult, FeedbackRouterSnapshot, FeedbackSlice, FeedbackStore } from './types.ts';

// KEYS: list, counter. ARGV: cap, then the records. Returns {seq, stored}.
const APPEND = `
local n = #ARGV - 1
if n > 0 then
  for i = 2, #ARGV, 500 do
    redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
  end
  redis.call('INCRBY', KEYS[2], n)
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
end
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('LLEN', KEYS[1])}`;

// KEYS: list, counter. ARGV: after, max. Returns {seq, firstSeq, records...}.
const SINCE = `
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local len = redis.call('LLEN', KEYS[1])
local oldest = seq - len + 1
local first = math.max(tonumber(ARGV[1]) + 1, oldest)
local from = first - oldest
local max = tonumber(ARGV[2])
local out = {seq, first}
if max > 0 and from < len then
  local items = redis.call('LRANGE', KEYS[1], from, from + max - 1)
  for i = 1, #items do out[#out + 1] = items[i] end
end
return out`;

// KEYS: list, counter, router hash. Returns {seq, stored, applied, state or nil}.
const ROUTER = `
local h = redis.call('HMGET', KEYS[3], 'state', 'applied')
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('LLEN', KEYS[1]), tonumber(h[2] or '0'), h[1]}`;

// KEYS: router hash. ARGV: expected applied, state, applied. Returns 1 when saved, 0 when another saved first.
const SAVE = `
if tonumber(redis.call('HGET', KEYS[1], 'applied') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'applied', ARGV[3])
return 1`;

type RedisWithFeedback = Redis & {
  taFeedbackAppend(list: string, counter: string, ...args: (string | number)[]): Promise<[number, number]>;
  taFeedbackSince(list: string, counter: string, after: number, max: number): Promise<(number | string)[]>;
  taFeedbackRouter(
    list: string,
    counter: string,
    hash: string,
  ): Promise<[number, number, number, string | null]>;
  taFeedbackSave(hash: string, expected: number, state: string, applied: number): Promise<number>;
};

/** Runs one store operation through the guarded connection (503 store_unavailable while Redis is down). */
export type GuardedRun = <T>(what: string, op: () => Promise<T>) => Promise<T>;

export function createRedisFeedbackStore(redis: Redis, run: GuardedRun, prefix: string): FeedbackStore {
  const r = redis as RedisWithFeedback;
  r.defineCommand('taFeedbackAppend', { numberOfKeys: 2, lua: APPEND });
  r.defineCommand('taFeedbackSince', { numberOfKeys: 2, lua: SINCE });
  r.defineCommand('taFeedbackRouter', { numberOfKeys: 3, lua: ROUTER });
  r.defineCommand('taFeedbackSave', { numberOfKeys: 1, lua: SAVE });
  const keys = (site: string) => {
    const base = `${prefix}f:${site}:`;
    return { list: `${base}r`, counter: `${base}n`, hash: `${base}s` };
  };
  return {
    async append(site, records, cap): Promise<FeedbackAppendResult> {
      const k = keys(site);
      const [seq, stored] = await run("store the site's feedback", () =>
        r.taFeedbackAppend(k.list, k.counter, Math.max(1, Math.floor(cap)), ...records),
      );
      return { seq: Number(seq), stored: Number(stored) };
    },
    async since(site, after, max): Promise<FeedbackSlice> {
      const k = keys(site);
      const [seq, firstSeq, ...records] = await run("read the site's feedback", () =>
        r.taFeedbackSince(k.list, k.counter, after, max),
      );
      return { records: records.map(String), firstSeq: Number(firstSeq), seq: Number(seq) };
    },
    async router(site): Promise<FeedbackRouterSnapshot> {
      const k = keys(site);
      const [seq, stored, applied, state] = await run("read the site's learned router", () =>
        r.taFeedbackRouter(k.list, k.counter, k.hash),
      );
      return { state: state ?? null, applied: Number(applied), seq: Number(seq), stored: Number(stored) };
    },
    async saveRouter(site, expected, state, applied): Promise<boolean> {
      const saved = await run("save the site's learned router", () =>
        r.taFeedbackSave(keys(site).hash, expected, state, applied),
      );
      return Number(saved) === 1;
    },
  };
}
