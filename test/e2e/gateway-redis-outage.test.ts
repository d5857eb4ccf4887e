/**
 * A real gateway PROCESS on a real redis-server that is stopped mid-test and restarted on the same port:
 * 503 store_unavailable + Retry-After while it is down (and the process stays up), requests succeed again
 * after the restart, and the usage record of a request that finished during the outage is not lost.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema } from '../../src/config/index.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const ORIGIN = 'http://127.0.0.1:9';
const SECRET = 'outage-site-secret-0123456789';

let redis: RedisServer;
let up: Upstream;
let gw: RunningGateway;

beforeAll(async () => {
  [redis, up] = await Promise.all([startRedis(), startUpstream({ reply: 'one two three four five six' })]);
  gw = await startGateway({
    upstream: up,
    staticFiles: false,
    config: {
      store: { kind: 'redis', url: redis.url, commandTimeoutMs: 400 },
      usageLog: { kind: 'redis', url: redis.url, stream: 'ta:usage' },
      sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: 5 }],
      reliability: { firstByteTimeoutMs: 5000 },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([redis?.stop(), up?.close()]);
});

function chat(token: string) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, authorization: `Bearer ${token}` },
    body: JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'hello' }], stream: true }),
  });
}

/** Waits (up to 10 s) until a chat through the gateway answers 200 again. */
async function chatsAgain(token: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const res = await chat(token);
        await res.text();
        return res.status;
      },
      { timeout: 10_000, interval: 100 },
    )
    .toBe(200);
}

describe('gateway process, Redis outage and recovery', () => {
  it('503 with Retry-After while Redis is down, alive throughout, serves again after the restart', async () => {
    const token = await gw.mintToken('shop', SECRET, ORIGIN);
    const first = await chat(token);
    expect(first.status).toBe(200);
    await first.text();

    // A request already streaming when Redis goes away still completes; its usage record must survive.
    up.options.fault = { kind: 'slow', delayMs: 120 };
    const inFlight = chat(token);
    await new Promise((r) => setTimeout(r, 150));
    await redis.stop();
    const streamed = await inFlight;
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('[DONE]');
    up.options.fault = { kind: 'none' };

    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await chat(token);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      const body = GatewayErrorBodySchema.parse(await res.json());
      expect(body.error.code).toBe('store_unavailable');
      expect(body.error.message).toMatch(/Redis/);
    }
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'store_unavailable', store: { ok: false } });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/tier_assist_store_outages_total\{store="redis"\} 1/);
    expect(metrics).toMatch(/tier_assist_usage_log_pending [1-9]/);
    expect(gw.child?.exitCode).toBeNull();

    await redis.restart();
    await chatsAgain(token);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(gw.child?.exitCode).toBeNull();

    // The restarted server is empty: the record of the request that finished during the outage arrives
    // from the gateway's queue, next to the records of the requests after recovery.
    const client = new Redis(redis.url);
    try {
      await expect
        .poll(
          async () => {
            const entries = await client.xrange('ta:usage', '-', '+');
            return entries.filter(([, f]) => (JSON.parse(f[1]!) as { outcome: string }).outcome === 'ok')
              .length;
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBeGreaterThanOrEqual(2);
      const latencies = (await client.xrange('ta:usage', '-', '+')).map(
        ([, f]) => (JSON.parse(f[1]!) as { latencyMs: number }).latencyMs,
      );
      // One of them is the slow in-flight request (6 deltas at 120 ms).
      expect(Math.max(...latencies)).toBeGreaterThan(500);
    } finally {
      client.disconnect();
    }
    const usage = await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(usage.status).toBe(200);
  });

  it('a hung Redis (SIGSTOP) gets 503 within store.commandTimeoutMs, not a hung request', async () => {
    const token = await gw.mintToken('shop', SECRET, ORIGIN);
    await chatsAgain(token);
    redis.process.kill('SIGSTOP');
    try {
      const t0 = Date.now();
      const res = await chat(token);
      const took = Date.now() - t0;
      expect(res.status).toBe(503);
      expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('store_unavailable');
      expect(took).toBeGreaterThanOrEqual(350); // it did wait for the command...
      expect(took).toBeLessThan(1500); // ...but only the configured 400 ms
    } finally {
      redis.process.kill('SIGCONT');
    }
    await chatsAgain(token);
    expect(gw.child?.exitCode).toBeNull();
  });
});
