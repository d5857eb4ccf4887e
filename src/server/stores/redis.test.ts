import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../test/support/redis.ts';
import { createMemoryStore } from './memory.ts';
import { createRedisStore } from './redis.ts';
import type { GatewayStore } from './types.ts';

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

  it('windows add up across clients and expire', async () => {
    const [s1, s2] = stores();
    const key = `w:${Math.random()}`;
    await s1.incrementWindow(key, 3, 200);
    const w = await (s2 ?? s1).incrementWindow(key, 4, 200);
    expect(w.total).toBe(7);
    expect(w.resetMs).toBeGreaterThan(0);
    expect(w.resetMs).toBeLessThanOrEqual(200);
    expect((await s1.readWindow(key)).total).toBe(7);
    await new Promise((r) => setTimeout(r, 260));
    expect((await s1.readWindow(key)).total).toBe(0);
  });
});
