import { describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema } from '../config/index.ts';
import type { Upstream } from '../../test/support/upstream.ts';
import {
  ORIGIN,
  SECRET,
  chatBody,
  post,
  readSseBody,
  testGateway,
  useUpstream,
  waitFor,
} from '../../test/support/server.ts';

let up: Upstream;
useUpstream({ reply: 'one two three four five six seven eight' }, (u) => (up = u));

async function siteGateway(
  site: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  now?: () => number,
) {
  const g = testGateway(
    up,
    { sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, ...site }], ...extra },
    now ? { now } : {},
  );
  const minted = await g.app.request(
    '/v1/tokens',
    post(JSON.stringify({ origin: ORIGIN, user: 'u1' }), { authorization: `Bearer ${SECRET}` }),
  );
  const { token } = (await minted.json()) as { token: string };
  const chat = (body = chatBody()) =>
    g.app.request('/v1/chat/completions', post(body, { origin: ORIGIN, authorization: `Bearer ${token}` }));
  return { ...g, chat };
}

// Haiku: $1/M in = 1000 nanos/token, $5/M out = 5000 nanos/token. The prompt is 16 characters, 1 message:
// worst case = (16 + 16) x 1000 + 256 (max_tokens clamp) x 5000 = 1,312,000 nanos; real = 4 x 1000 + 8 x 5000.
const WORST = 1_312_000;
const REAL = 44_000;

describe('daily budget: reserve the worst case, settle the real cost', () => {
  it('concurrent requests cannot overshoot: only what fits as reservations runs', async () => {
    const budgetUsd = (2 * WORST + 1000) / 1e9;
    const { chat, store, usageLog } = await siteGateway({ dailyBudgetUsd: budgetUsd });
    up.options.fault = { kind: 'slow', delayMs: 40 };
    try {
      const responses = await Promise.all(Array.from({ length: 5 }, () => chat()));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429, 429]);
      for (const r of responses) {
        if (r.status === 429) {
          expect(GatewayErrorBodySchema.parse(await r.json()).error.code).toBe('budget_exceeded');
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        } else expect((await readSseBody(r)).done).toBe(true);
      }
    } finally {
      up.options.fault = { kind: 'none' };
    }
    await waitFor(() => usageLog.records.length === 5);
    const day = new Date().toISOString().slice(0, 10);
    await waitFor(() => usageLog.records.filter((r) => r.outcome === 'ok').length === 2);
    const state = await store.budget(`shop:${day}`);
    expect(state).toEqual({ spentNanos: 2 * REAL, reservedNanos: 0 });
    // With the reservations settled, there is room again.
    const again = await chat();
    expect(again.status).toBe(200);
    await again.text();
  });

  it('a budget smaller than one worst case refuses at once', async () => {
    const { chat } = await siteGateway({ dailyBudgetUsd: 0.0001 });
    const res = await chat();
    expect(res.status).toBe(429);
    expect(up.requests).toHaveLength(0);
  });
});

describe('rate limits per site, user and IP', () => {
  it('requests per minute per site: 429 with retry-after past the limit', async () => {
    const { chat } = await siteGateway({ limits: { requestsPerMinute: 2 } });
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);
    const res = await chat();
    expect(res.status).toBe(429);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('rate_limited');
    const after = Number(res.headers.get('retry-after'));
    expect(after).toBeGreaterThanOrEqual(1);
    // Sliding window: the rest of this minute, then until half the 2 requests have slid out (<= 60 + 30 s).
    expect(after).toBeLessThanOrEqual(90);
  });

  it('sliding window over HTTP: no second burst right after a minute boundary, exact retry-after', async () => {
    const boundary = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    let clock = boundary - 1000;
    const { chat } = await siteGateway({ limits: { requestsPerMinute: 3 } }, {}, () => clock);
    for (let i = 0; i < 3; i++) {
      const res = await chat();
      expect(res.status).toBe(200);
      await res.text();
    }
    clock = boundary + 1000; // a fixed window would admit 3 more here
    const res = await chat();
    expect(res.status).toBe(429);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('rate_limited');
    // 3 x (1 - t/60) + 1 <= 3 from t = 20 s: 19 s after this request.
    expect(res.headers.get('retry-after')).toBe('19');
    clock = boundary + 19_999;
    expect((await chat()).status).toBe(429);
    clock = boundary + 20_000;
    const later = await chat();
    expect(later.status).toBe(200);
    await later.text();
  });

  it('tokens per minute per user: the window over its limit refuses the next request', async () => {
    const { chat, usageLog } = await siteGateway({}, { limits: { perUser: { tokensPerMinute: 10 } } });
    const first = await chat();
    expect(first.status).toBe(200);
    await first.text();
    await waitFor(() => usageLog.records.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    const second = await chat();
    expect(second.status).toBe(429);
    expect(GatewayErrorBodySchema.parse(await second.json()).error.code).toBe('rate_limited');
  });

  it('requests per minute per IP (socket address from clientIp)', async () => {
    const g = testGateway(
      up,
      { limits: { perIp: { requestsPerMinute: 1 } } },
      { clientIp: () => '10.0.0.1' },
    );
    const ok = await g.app.request('/v1/chat/completions', post(chatBody()));
    expect(ok.status).toBe(200);
    await ok.text();
    expect((await g.app.request('/v1/chat/completions', post(chatBody()))).status).toBe(429);
  });
});

describe('GET /v1/usage and /metrics', () => {
  it('summarises the site per day from the usage log, behind the site secret', async () => {
    const { app, chat, usageLog } = await siteGateway({});
    for (let i = 0; i < 3; i++) await (await chat(chatBody({ tier: i === 0 ? 'frontier' : 'mid' }))).text();
    await waitFor(() => usageLog.records.length === 3);
    expect((await app.request('/v1/usage')).status).toBe(401);
    expect((await app.request('/v1/usage', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect(
      (await app.request('/v1/usage?from=yesterday', { headers: { authorization: `Bearer ${SECRET}` } }))
        .status,
    ).toBe(400);
    const res = await app.request('/v1/usage', { headers: { authorization: `Bearer ${SECRET}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      site: string;
      days: {
        requests: number;
        costUsd: number;
        frontierCostUsd: number;
        byTier: Record<string, { requests: number }>;
      }[];
      total: { requests: number; savedUsd: number };
    };
    expect(body.site).toBe('shop');
    expect(body.days).toHaveLength(1);
    expect(body.days[0]!.requests).toBe(3);
    expect(body.days[0]!.byTier).toMatchObject({ mid: { requests: 2 }, frontier: { requests: 1 } });
    // 2 mid (haiku) at 44,000 nanos + 1 frontier (sonnet: 4 x 3000 + 8 x 15000 = 132,000 nanos)
    expect(body.days[0]!.costUsd).toBeCloseTo((2 * REAL + 132_000) / 1e9, 12);
    expect(body.days[0]!.frontierCostUsd).toBeCloseTo((3 * 132_000) / 1e9, 12);
    expect(body.total.savedUsd).toBeCloseTo((3 * 132_000 - 2 * REAL - 132_000) / 1e9, 12);
  });

  it('/metrics exposes tier_assist_* counters and histograms by tier and outcome', async () => {
    const { app, chat } = await siteGateway({});
    await (await chat()).text();
    up.faults.push({ kind: 'cut', afterDeltas: 1 });
    await (await chat()).text();
    await new Promise((r) => setTimeout(r, 10));
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('tier_assist_requests_total{outcome="ok",tier="mid"} 1');
    expect(text).toContain('tier_assist_requests_total{outcome="upstream_error",tier="mid"} 1');
    expect(text).toMatch(/tier_assist_tokens_total\{kind="output",tier="mid"\} 9/);
    expect(text).toMatch(
      /tier_assist_request_duration_seconds_bucket\{outcome="ok",tier="mid",le="\+Inf"\} 1/,
    );
    expect(text).toMatch(/tier_assist_cost_usd_total\{tier="mid"\} [0-9.e-]+/);
  });
});
