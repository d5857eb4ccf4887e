/**
 * Two gateway PROCESSES sharing one real redis-server: the daily budget cannot be overshot beyond the
 * in-flight reservations, rate limits hold across both, and both write to one usage stream.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema } from '../../src/config/index.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const ORIGIN = 'http://127.0.0.1:9';
const SECRET = 'redis-site-secret-0123456789';
// Haiku worst case for a 5-character prompt (see src/server/limits.test.ts): (5 + 16) x 1000 + 256 x 5000 nanos.
const WORST = 1_301_000;
const REAL = 2 * 1000 + 8 * 5000; // 2 input tokens (ceil(5/4)), 8 output tokens
const RESERVATIONS = 3;

let redis: RedisServer;
let up: Upstream;
let a: RunningGateway;
let b: RunningGateway;
let client: Redis;

beforeAll(async () => {
  [redis, up] = await Promise.all([
    startRedis(),
    startUpstream({ reply: 'one two three four five six seven eight' }),
  ]);
  client = new Redis(redis.url);
  const config = {
    store: { kind: 'redis' as const, url: redis.url },
    usageLog: { kind: 'redis' as const, url: redis.url, stream: 'ta:usage' },
    sites: [
      { id: 'budget', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: (RESERVATIONS * WORST + 500) / 1e9 },
      { id: 'limited', origins: [ORIGIN], secret: `${SECRET}-limited`, limits: { requestsPerMinute: 5 } },
    ],
    reliability: { firstByteTimeoutMs: 5000 },
  };
  [a, b] = await Promise.all([
    startGateway({ upstream: up, config, staticFiles: false }),
    startGateway({ upstream: up, config, staticFiles: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  client?.disconnect();
  await Promise.all([redis?.stop(), up?.close()]);
});

function chat(gw: RunningGateway, token: string) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, authorization: `Bearer ${token}` },
    body: JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'hello' }], stream: true }),
  });
}

describe('two gateways, one redis', () => {
  it('concurrent requests against a small budget never overshoot beyond in-flight reservations', async () => {
    const [ta, tb] = await Promise.all([
      a.mintToken('budget', SECRET, ORIGIN),
      b.mintToken('budget', SECRET, ORIGIN),
    ]);
    up.options.fault = { kind: 'slow', delayMs: 150 };
    let responses: Response[];
    try {
      responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => chat(i % 2 ? a : b, i % 2 ? ta : tb)),
      );
      for (const r of responses) await r.text();
    } finally {
      up.options.fault = { kind: 'none' };
    }
    const ok = responses.filter((r) => r.status === 200).length;
    expect(ok).toBe(RESERVATIONS);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(10 - RESERVATIONS);
    const day = new Date().toISOString().slice(0, 10);
    await expect
      .poll(async () => client.hgetall(`ta:b:budget:${day}`), { timeout: 5000 })
      .toEqual({ spent: String(RESERVATIONS * REAL), reserved: '0' });
    // Room again once settled: spent is far below the limit now.
    const again = await chat(a, ta);
    expect(again.status).toBe(200);
    await again.text();
  });

  it('rate limits hold across both processes', async () => {
    // Sliding window: no need to keep clear of a minute boundary (it no longer resets the count).
    const secret = `${SECRET}-limited`;
    const [ta, tb] = await Promise.all([
      a.mintToken('limited', secret, ORIGIN),
      b.mintToken('limited', secret, ORIGIN),
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await chat(i % 2 ? a : b, i % 2 ? ta : tb);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('rate_limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } else await res.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it('both processes append to one usage stream that GET /v1/usage reads from either', async () => {
    // Budget refusals are recorded; rate-limit refusals are not (a flood must not fill the log): 10 + 1 + 5.
    await expect.poll(async () => client.xlen('ta:usage'), { timeout: 5000 }).toBe(10 + 1 + 5);
    const res = await fetch(`${b.url}/v1/usage`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      days: { requests: number; byOutcome: Record<string, number>; costUsd: number }[];
    };
    expect(body.days).toHaveLength(1);
    expect(body.days[0]!.requests).toBe(11);
    expect(body.days[0]!.byOutcome).toEqual({ ok: RESERVATIONS + 1, budget_exceeded: 10 - RESERVATIONS });
    expect(body.days[0]!.costUsd).toBeCloseTo(((RESERVATIONS + 1) * REAL) / 1e9, 12);
  });
});
