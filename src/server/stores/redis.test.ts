import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../test/support/redis.ts';
import { createMemoryStore } from './memory.ts';
import { Redis } from 'ioredis';
import { createRedisStore } from './redis.ts';
import type { GatewayStore } from './types.ts';

const MIN = 60_000;
let redis: RedisServer;
let a: GatewayStore;
let b: GatewayStore;
beforeAll(async () => {
  redis = await startRedis();
  a = createRedisStore({ url: redis.url, prefix: 't1:' });
  b = createRedisStore({ url: redis.url, prefix: 't1:' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe.each([
  ['redis (two clients)', () => [a, b] as const],
  ['memory', () => [createMemoryStore(), null] as const],
])('%s store', (_name, stores) => {
  it('reserve is atomic: 60 concurrent reservations of 10 against 95 admit exactly 9', async () => {
    const [s1, s2] = stores();
    const key = `site:${Math.random()}`;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ((i % 2 && s2) || s1).reserve(key, 10, 95, 60_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(9);
    expect(await s1.budget(key)).toEqual({ spentNanos: 0, reservedNanos: 90 });
    // Settle one at its real cost: the reservation goes, the spend stays.
    expect(await s1.settle(key, 10, 4, 60_000)).toEqual({ spentNanos: 4, reservedNanos: 80 });
    expect((await s1.reserve(key, 11, 95, 60_000)).ok).toBe(true);
    expect((await s1.reserve(key, 1, 95, 60_000)).ok).toBe(false);
  });

  it('sliding window: a burst at the end of one minute leaves no room at the start of the next', async () => {
    const [s1, s2] = stores();
    const key = `w:${Math.random()}`;
    const hit = (store: GatewayStore, at: number) =>
      store.admit([{ key, limit: 10, need: 1, add: 1 }], MIN, at);
    const t0 = 1_000 * MIN; // a slot boundary
    // 10 requests in the last second of minute 0 (alternating clients): all admitted, the 11th refused.
    for (let i = 0; i < 10; i++) expect((await hit((i % 2 && s2) || s1, t0 - 1000 + i)).allowed).toBe(true);
    expect((await hit(s1, t0 - 500)).allowed).toBe(false);
    // One second into minute 1 a fixed window would admit 10 more; the sliding window admits none:
    // 10 x (1 - 1/60) = 9.83 still count.
    const refused = await hit(s2 ?? s1, t0 + 1000);
    expect(refused).toEqual({ allowed: false, refused: 0, retryAfterMs: 5000 });
    // Retry-After is exact: 10 x (1 - 6/60) = 9 at t0 + 6 s leaves room for one.
    expect((await hit(s1, t0 + 5999)).allowed).toBe(false);
    expect((await hit(s1, t0 + 6000)).allowed).toBe(true);
    expect((await hit(s1, t0 + 6001)).allowed).toBe(false);
    // Refusals are not counted: a flood does not push the window further out.
    for (let i = 0; i < 50; i++) await hit(s1, t0 + 6002);
    const again = await hit(s1, t0 + 7000);
    expect(again.allowed).toBe(false);
    // 10 x (1 - 7/60) + 1 (the one admitted at 6 s) + 1 > 10; at 12 s: 10 x 0.8 + 1 + 1 = 10 fits.
    expect(again.retryAfterMs).toBe(5000);
  });

  it('a client sending as fast as it can gets about the limit per minute, never 2x across a boundary', async () => {
    const [s1] = stores();
    const key = `w:${Math.random()}`;
    const start = 2_000 * MIN;
    const admitted: number[] = [];
    for (let t = start; t < start + 5 * MIN; t += 250) {
      const r = await s1.admit([{ key, limit: 20, need: 1, add: 1 }], MIN, t);
      if (r.allowed) admitted.push(t);
    }
    // Over 5 minutes: at most 5 x 20 (plus nothing: the first minute starts empty).
    expect(admitted.length).toBeLessThanOrEqual(100);
    expect(admitted.length).toBeGreaterThanOrEqual(95);
    // Any two seconds around a slot boundary: far from the 2 x 20 a fixed window allows.
    for (let b = start + MIN; b < start + 5 * MIN; b += MIN) {
      expect(admitted.filter((t) => t >= b - 1000 && t < b + 1000).length).toBeLessThanOrEqual(2);
    }
  });

  it('all windows admit or none is counted; Infinity only counts; need checks room for one token', async () => {
    const [s1, s2] = stores();
    const a = `a:${Math.random()}`;
    const b = `b:${Math.random()}`;
    const t = 3_000 * MIN + 30_000;
    const both = (at: number) =>
      s1.admit(
        [
          { key: a, limit: 5, need: 1, add: 1 },
          { key: b, limit: 2, need: 1, add: 1 },
        ],
        MIN,
        at,
      );
    expect((await both(t)).allowed).toBe(true);
    expect((await both(t + 1)).allowed).toBe(true);
    expect(await both(t + 2)).toMatchObject({ allowed: false, refused: 1 });
    // `a` was not counted by the refused call: 3 more fit in it alone.
    for (let i = 0; i < 3; i++)
      expect((await (s2 ?? s1).admit([{ key: a, limit: 5, need: 1, add: 1 }], MIN, t + 3)).allowed).toBe(
        true,
      );
    expect((await s1.admit([{ key: a, limit: 5, need: 1, add: 1 }], MIN, t + 3)).allowed).toBe(false);
    // Tokens: counted after the answer with no limit, then checked for room for one more.
    const tok = `t:${Math.random()}`;
    expect((await s1.admit([{ key: tok, limit: Infinity, need: 0, add: 40 }], MIN, t)).allowed).toBe(true);
    expect((await s1.admit([{ key: tok, limit: 40, need: 1, add: 0 }], MIN, t + 10)).allowed).toBe(false);
    expect((await s1.admit([{ key: tok, limit: 41, need: 1, add: 0 }], MIN, t + 10)).allowed).toBe(true);
    // A need above the limit can never fit: retry after one window.
    expect(await s1.admit([{ key: tok, limit: 1, need: 2, add: 0 }], MIN, t)).toEqual({
      allowed: false,
      refused: 0,
      retryAfterMs: MIN,
    });
  });
});

describe('memory and Redis agree', () => {
  it('the same random sequence gives identical decisions and Retry-After in both stores', async () => {
    const memory = createMemoryStore();
    const key = `r:${Math.random()}`;
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let t = 5_000 * MIN;
    const results: [unknown, unknown][] = [];
    for (let i = 0; i < 400; i++) {
      t += Math.floor(rand() * 1500);
      const checks = [
        { key: key + ':x', limit: 7, need: 1, add: 1 },
        { key: key + ':y', limit: 30, need: 1 + Math.floor(rand() * 3), add: Math.floor(rand() * 4) },
      ];
      results.push([await memory.admit(checks, MIN, t), await a.admit(checks, MIN, t)]);
    }
    for (const [m, r] of results) expect(r).toEqual(m);
    // Both branches were exercised, with varied Retry-After values.
    expect(results.filter(([m]) => (m as { allowed: boolean }).allowed).length).toBeGreaterThan(20);
    expect(results.filter(([m]) => !(m as { allowed: boolean }).allowed).length).toBeGreaterThan(20);
    expect(new Set(results.map(([m]) => (m as { retryAfterMs: number }).retryAfterMs)).size).toBeGreaterThan(
      20,
    );
  });

  it('Redis slot keys expire on their own (two windows and a second)', async () => {
    const key = `e:${Math.random()}`;
    const now = Date.now();
    await a.admit([{ key, limit: 5, need: 1, add: 1 }], 200, now);
    const client = new Redis(redis.url);
    try {
      const slot = Math.floor(now / 200);
      const ttl = await client.pttl(`t1:w:${key}:${slot}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1400);
    } finally {
      client.disconnect();
    }
  });
});
