/**
 * A real redis-server goes away mid-test and comes back on the same port: the gateway answers 503
 * store_unavailable with Retry-After (fast, never a hang or a 500), /healthz and /metrics say so, and
 * requests succeed again after the restart without restarting the gateway. Usage records written while
 * Redis is down wait in the queue and reach the stream after recovery.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../test/support/redis.ts';
import type { Upstream } from '../../../test/support/upstream.ts';
import { GatewayErrorBodySchema } from '../../config/index.ts';
import { StoreUnavailableError } from '../../errors.ts';
import {
  ORIGIN,
  SECRET,
  chatBody,
  post,
  readSseBody,
  testGateway,
  useUpstream,
} from '../../../test/support/server.ts';
import type { UsageRecord } from '../usage.ts';
import { createRedisStore } from './redis.ts';
import { createRedisUsageLog } from './redis-usage.ts';

let up: Upstream;
useUpstream({ reply: 'one two three' }, (u) => (up = u));

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function record(i: number): UsageRecord {
  return {
    id: `r${i}`,
    ts: '2026-01-02T03:04:05.000Z',
    day: '2026-01-02',
    site: 'shop',
    requestedTier: 'mid',
    tier: 'mid',
    inputTokens: 1,
    outputTokens: 2,
    costNanos: 10,
    frontierCostNanos: 20,
    latencyMs: 5,
    attempts: 1,
    outcome: 'ok',
    status: 200,
    stream: true,
  };
}

describe('Redis outage', () => {
  it('503 store_unavailable with Retry-After while down, healthz and metrics say so, recovers by itself', async () => {
    const outages: unknown[] = [];
    const store = createRedisStore({
      url: redis.url,
      prefix: `o${Math.random()}:`,
      commandTimeoutMs: 300,
      maxReconnectDelayMs: 100,
      onOutage: (e) => outages.push(e),
    });
    const g = testGateway(
      up,
      { sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: 5 }] },
      { store },
    );
    try {
      const minted = await g.app.request(
        '/v1/tokens',
        post(JSON.stringify({ origin: ORIGIN }), { authorization: `Bearer ${SECRET}` }),
      );
      const { token } = (await minted.json()) as { token: string };
      const chat = () =>
        g.app.request(
          '/v1/chat/completions',
          post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
        );
      const ok = await chat();
      expect(ok.status).toBe(200);
      expect((await readSseBody(ok)).done).toBe(true);
      expect((await g.app.request('/healthz')).status).toBe(200);

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await chat();
        expect(performance.now() - t0).toBeLessThan(1500);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        const body = GatewayErrorBodySchema.parse(await res.json());
        expect(body.error.code).toBe('store_unavailable');
        expect(body.error.setting).toBe('store.url');
        // Browsers read this: what is wrong and when to retry, but not where Redis lives.
        expect(body.error.message).toMatch(/unreachable.*retry in 2 s/);
        expect(body.error.message).not.toContain(String(redis.port));
      }
      // The usage summary needs the budget from the store too.
      const usage = await g.app.request('/v1/usage', { headers: { authorization: `Bearer ${SECRET}` } });
      expect(usage.status).toBe(503);
      expect(GatewayErrorBodySchema.parse(await usage.json()).error.code).toBe('store_unavailable');
      const health = await g.app.request('/healthz');
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('2');
      expect(await health.json()).toMatchObject({
        status: 'store_unavailable',
        store: { kind: 'redis', ok: false, outages: 1 },
      });
      const metrics = await (await g.app.request('/metrics')).text();
      expect(metrics).toContain('tier_assist_store_up{store="redis"} 0');
      expect(metrics).toContain('tier_assist_store_outages_total{store="redis"} 1');
      expect(metrics).toMatch(/tier_assist_rejections_total\{code="store_unavailable"\} [1-9]/);
      expect(outages).toHaveLength(1); // reported once per outage, not per failed command

      await redis.restart();
      await expect.poll(async () => (await chat()).status, { timeout: 5000, interval: 50 }).toBe(200);
      expect((await g.app.request('/healthz')).status).toBe(200);
      const after = await (await g.app.request('/metrics')).text();
      expect(after).toContain('tier_assist_store_up{store="redis"} 1');
      expect(after).toContain('tier_assist_store_outages_total{store="redis"} 1');
    } finally {
      await store.close();
    }
  });

  it('a gateway started while Redis is down answers 503 at once and serves when Redis comes up', async () => {
    await redis.stop();
    const store = createRedisStore({
      url: redis.url,
      prefix: `s${Math.random()}:`,
      commandTimeoutMs: 1000,
      maxReconnectDelayMs: 100,
    });
    const g = testGateway(up, {}, { store });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the first connection attempt fails
      const t0 = performance.now();
      const res = await g.app.request('/v1/chat/completions', post(chatBody()));
      expect(res.status).toBe(503);
      expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('store_unavailable');
      expect(performance.now() - t0).toBeLessThan(500); // fails fast, not after the 1 s command timeout
      expect(store.stats()).toMatchObject({ ok: false, outages: 1 });
      await redis.restart();
      await expect
        .poll(async () => (await g.app.request('/v1/chat/completions', post(chatBody()))).status, {
          timeout: 5000,
          interval: 50,
        })
        .toBe(200);
    } finally {
      await store.close();
    }
  });

  it('a settle refused during the outage is replayed after recovery (Redis with persistence)', async () => {
    const persisted = await startRedis({ persist: true });
    const store = createRedisStore({ url: persisted.url, commandTimeoutMs: 300, maxReconnectDelayMs: 100 });
    const errors: unknown[] = [];
    const g = testGateway(
      up,
      { sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: 5 }] },
      { store, log: (e) => errors.push(e) },
    );
    try {
      const minted = await g.app.request(
        '/v1/tokens',
        post(JSON.stringify({ origin: ORIGIN }), { authorization: `Bearer ${SECRET}` }),
      );
      const { token } = (await minted.json()) as { token: string };
      const day = new Date().toISOString().slice(0, 10);
      up.options.fault = { kind: 'slow', delayMs: 150 };
      const res = await g.app.request(
        '/v1/chat/completions',
        post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
      );
      expect(res.status).toBe(200);
      // Reserved while streaming; Redis stops (saving its data) before the answer ends.
      expect((await store.budget(`shop:${day}`)).reservedNanos).toBeGreaterThan(0);
      await persisted.stop();
      expect((await readSseBody(res)).done).toBe(true);
      await expect.poll(() => errors.length, { timeout: 2000 }).toBeGreaterThan(0);
      expect(errors[0]).toBeInstanceOf(StoreUnavailableError);

      await persisted.restart();
      await expect
        .poll(async () => (await store.budget(`shop:${day}`).catch(() => undefined))?.reservedNanos, {
          timeout: 5000,
          interval: 50,
        })
        .toBe(0);
      expect((await store.budget(`shop:${day}`)).spentNanos).toBeGreaterThan(0);
    } finally {
      up.options.fault = { kind: 'none' };
      await store.close();
      await persisted.stop();
    }
  });

  it('fails a command that hangs (Redis paused) within the command timeout', async () => {
    const store = createRedisStore({ url: redis.url, prefix: `p${Math.random()}:`, commandTimeoutMs: 200 });
    try {
      await store.budget('warm');
      redis.process.kill('SIGSTOP');
      const t0 = performance.now();
      const error = await store.reserve('k', 1, 10, 1000).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((await store.health()).ok).toBe(false);
      redis.process.kill('SIGCONT');
      await expect.poll(async () => (await store.health()).ok, { timeout: 5000 }).toBe(true);
    } finally {
      redis.process.kill('SIGCONT');
      await store.close();
    }
  });

  it('a usage batch whose reply timed out (Redis paused) is not written twice when retried', async () => {
    const stream = `dup:${Math.random()}`;
    const log = createRedisUsageLog({ url: redis.url, stream, commandTimeoutMs: 200, retryMs: 50 });
    const reader = new Redis(redis.url, { lazyConnect: true });
    try {
      await log.append(record(0));
      redis.process.kill('SIGSTOP');
      const pending = log.append(record(1));
      await expect.poll(() => log.stats().failures, { timeout: 3000 }).toBeGreaterThan(0);
      // Resumed, Redis runs the MULTI/EXEC that was waiting in its socket: r1 is in the stream already.
      redis.process.kill('SIGCONT');
      await pending;
      await reader.connect();
      const ids = (await reader.xrange(stream, '-', '+')).map(
        ([, f]) => (JSON.parse(f[1]!) as { id: string }).id,
      );
      expect(ids).toEqual(['r0', 'r1']);
      expect(log.stats()).toMatchObject({ pending: 0, written: 2 });
    } finally {
      redis.process.kill('SIGCONT');
      reader.disconnect();
      await log.close();
    }
  });

  it('usage records appended while Redis is down are kept and reach the stream after recovery', async () => {
    const stream = `usage:${Math.random()}`;
    const errors: unknown[] = [];
    const log = createRedisUsageLog({
      url: redis.url,
      stream,
      commandTimeoutMs: 300,
      maxReconnectDelayMs: 100,
      retryMs: 50,
      onError: (e) => errors.push(e),
    });
    const reader = new Redis(redis.url, { lazyConnect: true });
    try {
      await log.append(record(0));
      await redis.stop();
      const appended = Array.from({ length: 5 }, (_, i) => log.append(record(i + 1)));
      await expect.poll(() => log.stats().failures, { timeout: 3000 }).toBeGreaterThan(0);
      expect(log.stats().pending).toBe(5);
      // Reading while down fails fast with the typed error instead of waiting for the queue.
      const t0 = performance.now();
      await expect(log.query({ site: 'shop', from: '2026-01-01', to: '2026-01-31' })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(errors[0]).toBeInstanceOf(StoreUnavailableError);

      await redis.restart(); // an empty server: only what is retried after recovery lands
      await Promise.all(appended);
      expect(log.stats()).toMatchObject({ pending: 0, written: 6 });
      const ids = (await log.query({ site: 'shop', from: '2026-01-01', to: '2026-01-31' })).map((r) => r.id);
      expect(ids).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
      await reader.connect();
      expect(await reader.xlen(stream)).toBe(5);
    } finally {
      reader.disconnect();
      await log.close();
    }
  });
});
