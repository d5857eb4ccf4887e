/**
 * POST /v1/feedback and GET /v1/router on two gateway PROCESSES sharing one real redis-server: what one
 * gateway accepts the other reports, the site's router refits after enough feedback, concurrent batches
 * on both lose nothing, and bad feedback is refused with the right status and a typed JSON body while
 * both processes stay up and nothing is recorded.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema } from '../../src/config/index.ts';
import { MAX_FEEDBACK_BATCH, parseOnlineState, type OnlineState } from '../../src/router/learning.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';
import { feedbackBatch } from '../support/server.ts';

const ORIGIN = 'http://127.0.0.1:9';
const FOREIGN = 'https://evil.example';
const SECRET = 'feedback-site-secret-0123456789';

interface RouterBody {
  site: string;
  version: number;
  counts: { records: number; stored: number; learned: number; refits: number; rollbacks: number };
  upToDate: boolean;
  state: OnlineState | null;
}

let redis: RedisServer;
let a: RunningGateway;
let b: RunningGateway;
const tokens: Record<string, { a: string; b: string }> = {};

beforeAll(async () => {
  redis = await startRedis();
  const config = {
    store: { kind: 'redis' as const, url: redis.url },
    sites: [
      { id: 'shop', origins: [ORIGIN], secret: SECRET },
      { id: 'blog', origins: [ORIGIN], secret: `${SECRET}-blog` },
      { id: 'limited', origins: [ORIGIN], secret: `${SECRET}-limited`, limits: { requestsPerMinute: 3 } },
    ],
  };
  [a, b] = await Promise.all([
    startGateway({ config, staticFiles: false }),
    startGateway({ config, staticFiles: false }),
  ]);
  for (const [site, secret] of [
    ['shop', SECRET],
    ['blog', `${SECRET}-blog`],
    ['limited', `${SECRET}-limited`],
  ] as const)
    tokens[site] = {
      a: await a.mintToken(site, secret, ORIGIN),
      b: await b.mintToken(site, secret, ORIGIN),
    };
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

const tokenFor = (gw: RunningGateway, site: string) => (gw === a ? tokens[site]!.a : tokens[site]!.b);

function postFeedback(
  gw: RunningGateway,
  body: string,
  {
    site = 'shop',
    origin = ORIGIN,
    token = tokenFor(gw, site),
  }: { site?: string; origin?: string; token?: string } = {},
) {
  return fetch(`${gw.url}/v1/feedback`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
}

async function router(gw: RunningGateway, site = 'shop'): Promise<RouterBody> {
  const res = await fetch(`${gw.url}/v1/router`, {
    headers: { origin: ORIGIN, authorization: `Bearer ${tokenFor(gw, site)}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as RouterBody;
}

describe('feedback on two gateways, one redis', () => {
  it('a batch posted to A is learned and visible through B; other sites see none of it', async () => {
    const res = await postFeedback(a, JSON.stringify(feedbackBatch(30, { signal: 'thumbs-down' })));
    expect(res.status).toBe(200);
    const posted = (await res.json()) as Omit<RouterBody, 'state'> & { accepted: number };
    expect(posted).toEqual({
      accepted: 30,
      site: 'shop',
      version: 0,
      counts: { records: 30, stored: 30, learned: 30, refits: 0, rollbacks: 0 },
      upToDate: true,
    });
    const seen = await router(b);
    expect(seen.counts).toEqual(posted.counts);
    expect(seen.version).toBe(0);
    const state = parseOnlineState(seen.state);
    expect(state.counters.updates).toBe(30);
    // The learned residual moved away from the static router (all zeros before any feedback).
    expect(state.candidate.mid.some((w) => w !== 0)).toBe(true);
    const blog = await router(a, 'blog');
    expect(blog.counts.records).toBe(0);
    expect(blog.state).toBeNull();
  });

  it('after enough feedback the site router refits, and both gateways serve the same version', async () => {
    const res = await postFeedback(
      b,
      JSON.stringify(feedbackBatch(MAX_FEEDBACK_BATCH, { signal: 'thumbs-up' })),
    );
    expect(res.status).toBe(200);
    const fromB = await router(b);
    const fromA = await router(a);
    expect(fromA.counts.records).toBe(230);
    expect(fromA.counts.learned).toBe(230);
    expect(fromA.counts.refits).toBeGreaterThanOrEqual(1);
    expect(fromA.version).toBeGreaterThanOrEqual(1);
    expect(fromA.state!.counters.version).toBe(fromA.version);
    expect(fromA).toEqual(fromB);
  });

  it('concurrent batches on both gateways: every record counted and learned exactly once', async () => {
    const before = await router(a);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        postFeedback(i % 2 ? a : b, JSON.stringify(feedbackBatch(10, { tier: 'frontier', at: i * 100 }))),
      ),
    );
    expect(responses.map((r) => r.status).every((s) => s === 200 || s === 202)).toBe(true);
    const after = await router(b);
    expect(after.counts.records).toBe(before.counts.records + 120);
    expect(after.counts.learned).toBe(after.counts.records);
    expect(after.state!.counters.updates).toBe(before.state!.counters.updates + 120);
  });

  it('bad bodies, an oversized batch, missing or forged tokens and a foreign origin are refused; nothing is recorded', async () => {
    const before = await router(a);
    const good = feedbackBatch(2).records;
    const withText = { records: [{ ...good[0]!, prompt: 'my secret question' }] };
    const textInFeedback = {
      records: [{ ...good[0]!, feedback: { ...good[0]!.feedback, answer: 'the answer text' } }],
    };
    const contradicting = {
      records: [{ ...good[0]!, signal: 'thumbs-up', feedback: { ...good[0]!.feedback, correct: false } }],
    };
    const cases: [string, Promise<Response>, number, string][] = [
      ['not JSON', postFeedback(a, '{"records": [tru'), 400, 'invalid_input'],
      ['wrong shape', postFeedback(b, JSON.stringify({ records: 'all of them' })), 400, 'invalid_input'],
      ['empty batch', postFeedback(a, JSON.stringify({ records: [] })), 400, 'invalid_input'],
      ['a bare array', postFeedback(b, JSON.stringify(good)), 400, 'invalid_input'],
      ['a record with text', postFeedback(a, JSON.stringify(withText)), 400, 'invalid_input'],
      ['text inside feedback', postFeedback(b, JSON.stringify(textInFeedback)), 400, 'invalid_input'],
      ['outcome contradicts signal', postFeedback(a, JSON.stringify(contradicting)), 400, 'invalid_input'],
      [
        'oversized batch',
        postFeedback(b, JSON.stringify(feedbackBatch(MAX_FEEDBACK_BATCH + 1))),
        413,
        'payload_too_large',
      ],
      ['no token', postFeedback(a, JSON.stringify({ records: good }), { token: '' }), 401, 'unauthorized'],
      [
        'forged token',
        postFeedback(b, JSON.stringify({ records: good }), { token: `${tokens.shop!.b}x` }),
        401,
        'unauthorized',
      ],
      [
        'foreign origin',
        postFeedback(a, JSON.stringify({ records: good }), { origin: FOREIGN }),
        403,
        'forbidden',
      ],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, name).toBe(status);
      const body = GatewayErrorBodySchema.parse(await res.json());
      expect(body.error.code, name).toBe(code);
      expect(body.error.message.length, name).toBeGreaterThan(10);
    }
    // Both processes are still up, and the site's records and router are exactly as before.
    for (const gw of [a, b]) expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(a.child?.exitCode).toBeNull();
    expect(b.child?.exitCode).toBeNull();
    expect(await router(b)).toEqual(before);
  });

  it('feedback counts against the site rate limit like chat: 429 with Retry-After, nothing recorded', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await postFeedback(i % 2 ? a : b, JSON.stringify(feedbackBatch(5)), { site: 'limited' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('rate_limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } else await res.text();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // GET /v1/router is limited too (the window is full), so read the site's counter in Redis itself.
    const client = new Redis(redis.url);
    try {
      expect(await client.get('ta:f:limited:n')).toBe('15');
    } finally {
      client.disconnect();
    }
  });
});
