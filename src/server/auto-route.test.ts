/**
 * `model` as the tier and `model: "auto"`: body validation, the router's decision mapped onto the
 * gateway's tiers, and the cascade through the app (small first, verified, escalated when rejected).
 */
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../test/support/upstream.ts';
import {
  ORIGIN,
  SECRET,
  post,
  readSseBody,
  testGateway,
  useUpstream,
  waitFor,
} from '../../test/support/server.ts';
import { InvalidInputError } from '../errors.ts';
import { AutoRouteSchema } from './auto-record.ts';
import { acceptedModels, decideAuto, readChatRequest, verifySmall } from './auto-route.ts';
import { loadConfig, type GatewayConfigInput } from './config.ts';

const SIMPLE = 'What is the capital of France?';
const COMPLEX =
  'Design a distributed consensus protocol tolerant to Byzantine faults for a 7-node cluster; prove safety and liveness and compare with PBFT and HotStuff in message complexity.';
const user = (content: string) => [{ role: 'user', content }];

const withSmall = loadConfig({
  tiers: {
    small: { baseUrl: 'http://127.0.0.1:1/v1', model: 'llama3.2:1b' },
    mid: { provider: 'openai', model: 'gpt-5-mini', apiKey: 'k' },
    frontier: { provider: 'openai', model: 'gpt-5', apiKey: 'k' },
  },
}).tiers;
const withoutSmall = loadConfig({
  tiers: {
    mid: { provider: 'openai', model: 'gpt-5-mini', apiKey: 'k' },
    frontier: { provider: 'openai', model: 'gpt-5', apiKey: 'k' },
  },
}).tiers;

function invalid(json: unknown, tiers = withSmall): InvalidInputError {
  try {
    readChatRequest(json, tiers);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('readChatRequest: model names the tier', () => {
  it('model as a tier, as "auto", and the old tier field all parse', () => {
    expect(readChatRequest({ model: 'frontier', messages: user('x') }, withSmall)).toMatchObject({
      auto: false,
      body: { tier: 'frontier' },
    });
    expect(readChatRequest({ model: 'small', messages: user('x') }, withSmall).body.tier).toBe('small');
    expect(readChatRequest({ model: 'auto', messages: user('x') }, withSmall).auto).toBe(true);
    expect(readChatRequest({ tier: 'mid', messages: user('x') }, withSmall)).toMatchObject({
      auto: false,
      body: { tier: 'mid' },
    });
    expect(readChatRequest({ tier: 'mid', model: 'mid', messages: user('x') }, withSmall).body.tier).toBe(
      'mid',
    );
  });

  it('a model the gateway does not serve is a 400 listing the accepted values', () => {
    const error = invalid({ model: 'gpt-4o', messages: user('x') });
    expect(error.code).toBe('invalid_input');
    expect(error.data).toMatchObject({ field: 'model', accepted: ['auto', 'small', 'mid', 'frontier'] });
    expect(error.message).toContain('"auto", "small", "mid", "frontier"');
  });

  it('"small" is accepted only where a small tier is configured', () => {
    expect(acceptedModels(withoutSmall)).toEqual(['auto', 'mid', 'frontier']);
    const error = invalid({ model: 'small', messages: user('x') }, withoutSmall);
    expect(error.data).toMatchObject({ field: 'model' });
    expect(error.message).toContain('TIER_ASSIST_SMALL_BASE_URL');
  });

  it('tier and model that differ: 400 saying to drop tier', () => {
    const error = invalid({ model: 'auto', tier: 'mid', messages: user('x') });
    expect(error.data).toMatchObject({ field: 'tier' });
    expect(error.message).toContain('Drop "tier"');
    expect(invalid({ model: 'frontier', tier: 'mid', messages: user('x') }).data).toMatchObject({
      field: 'tier',
    });
  });

  it('neither model nor tier, or a bad body: 400 naming the field', () => {
    expect(invalid({ messages: user('x') }).data).toMatchObject({ field: 'model' });
    expect(invalid({ model: 'auto', messages: [] }).data).toMatchObject({ field: 'messages' });
    expect(invalid({ model: 42, messages: user('x') }).data).toMatchObject({ field: 'model' });
    expect(invalid(['not', 'an', 'object']).data).toMatchObject({ field: 'model' });
  });
});

describe('decideAuto: the browser router on the gateway', () => {
  const body = (content: string, extra: Record<string, unknown> = {}) =>
    readChatRequest({ model: 'auto', messages: user(content), ...extra }, withSmall).body;

  it('a simple request goes to small where configured, to mid (saying why) where not', () => {
    const small = decideAuto(body(SIMPLE), withSmall, 0.5);
    expect(small).toMatchObject({ tier: 'small', routerTier: 'local', quality: 0.5 });
    expect(AutoRouteSchema.parse(small).scores.local).toBeGreaterThan(0.5);
    const mid = decideAuto(body(SIMPLE), withoutSmall, 0.5);
    expect(mid).toMatchObject({ tier: 'mid', routerTier: 'local' });
    expect(mid.flags).toContain('no-local-engine');
    expect(mid.reason).toContain('No small tier is configured');
  });

  it('a complex request goes to frontier with the router reason', () => {
    const route = decideAuto(body(COMPLEX), withSmall, 0.5);
    expect(route).toMatchObject({ tier: 'frontier', routerTier: 'frontier' });
    expect(route.reason).toMatch(/^Frontier: /);
  });

  it("the knob moves the decision as in the browser, and the config default is the element's 0.5", () => {
    const polite = body('Write a short email declining a meeting invitation politely.');
    expect(decideAuto(polite, withSmall, 0.3).tier).toBe('small');
    expect(decideAuto(polite, withSmall, 0.5).tier).toBe('mid');
    expect(loadConfig({}).config.auto.quality).toBe(0.5);
  });

  it('the policy overrides apply: an autocomplete task is pinned to the on-device (small) tier', () => {
    const route = decideAuto(body(COMPLEX, { task: 'autocomplete' }), withSmall, 0.5);
    expect(route.tier).toBe('small');
    expect(route.flags).toContain('task-local-only');
  });

  it("the router's verifier judges a small answer", () => {
    const b = body(SIMPLE);
    expect(verifySmall(b, 'The capital of France is Paris.', 'stop').accept).toBe(true);
    expect(verifySmall(b, "I don't know.", 'stop')).toMatchObject({ accept: false });
    expect(verifySmall(b, 'The capital of France is', 'length').accept).toBe(false);
  });
});

describe('model "auto" through the app', () => {
  let up: Upstream;
  useUpstream(
    {
      reply: 'The capital of France is Paris.',
      replyFor: (body) => (body.model === 'tiny-reject' ? "I'm not sure, I don't know." : undefined),
    },
    (u) => (up = u),
  );
  const gateway = (smallModel: string | undefined, config: GatewayConfigInput = {}) => {
    const base = testGateway(up, {}, { providers: 'openai' });
    const tiers = {
      ...(smallModel ? { small: { baseUrl: up.openaiBaseUrl, model: smallModel } } : {}),
      mid: { provider: 'openai' as const, model: 'gpt-5-mini', baseUrl: up.openaiBaseUrl, apiKey: 'k' },
      frontier: { provider: 'openai' as const, model: 'gpt-5', baseUrl: up.openaiBaseUrl, apiKey: 'k' },
    };
    return testGateway(up, { ...base.config, tiers, ...config }, { providers: 'openai' });
  };
  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    post(JSON.stringify({ model: 'auto', messages: user(content), ...extra }));

  it('small answers a simple request; the verdict is in the body, the headers and the record', async () => {
    const { app, usageLog } = gateway('tiny-ok');
    const res = await app.request('/v1/chat/completions', ask(SIMPLE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tier-assist-tier')).toBe('small');
    expect(res.headers.get('x-tier-assist-route')).toBe('small');
    expect(res.headers.get('x-tier-assist-escalated')).toBe('false');
    const json = (await res.json()) as {
      model: string;
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number };
      tier_assist: { tier: string; route: unknown };
    };
    expect(json.model).toBe('tiny-ok');
    expect(json.choices[0]!.message.content).toBe('The capital of France is Paris.');
    const route = AutoRouteSchema.parse(json.tier_assist.route);
    expect(route).toMatchObject({ tier: 'small', verdict: { accept: true } });
    expect(up.requests.map((r) => r.body.model)).toEqual(['tiny-ok']);
    const records = usageLog.records;
    await waitFor(() => records.length === 1);
    expect(records[0]).toMatchObject({
      tier: 'small',
      model: 'tiny-ok',
      inputTokens: json.usage.prompt_tokens,
      outputTokens: json.usage.completion_tokens,
      route: { tier: 'small', verdict: { accept: true } },
    });
  });

  it('a rejected small answer escalates to mid; both attempts leave a record', async () => {
    const { app, usageLog } = gateway('tiny-reject');
    const sse = await readSseBody(await app.request('/v1/chat/completions', ask(SIMPLE, { stream: true })));
    expect(sse.done).toBe(true);
    expect(sse.text).toBe('The capital of France is Paris.');
    const tail = sse.events.at(-1) as { tier_assist: { tier: string; route: unknown } };
    expect(tail.tier_assist.tier).toBe('mid');
    const route = AutoRouteSchema.parse(tail.tier_assist.route);
    expect(route).toMatchObject({
      tier: 'small',
      verdict: { accept: false },
      escalated: { from: 'small', to: 'mid' },
    });
    expect(route.escalated?.reason).toContain('Escalated to mid: the cascade verifier rejected');
    expect(up.requests.map((r) => r.body.model)).toEqual(['tiny-reject', 'gpt-5-mini']);
    const records = usageLog.records;
    await waitFor(() => records.length === 2);
    expect(records.map((r) => [r.tier, r.route?.escalated?.from, r.route?.verdict?.accept])).toEqual([
      ['small', undefined, false],
      ['mid', 'small', false],
    ]);
  });

  it('a small tier that fails escalates too; a complex request goes straight to frontier', async () => {
    const { app } = gateway('tiny-ok', {
      reliability: {
        retries: 0,
        firstByteTimeoutMs: 2000,
        attemptTimeoutMs: 5000,
        backoffBaseMs: 5,
        maxRetryDelayMs: 10,
      },
    });
    up.faults.push({ kind: 'status', status: 500 });
    const res = await app.request('/v1/chat/completions', ask(SIMPLE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tier-assist-escalated')).toBe('true');
    const json = (await res.json()) as { tier_assist: { tier: string; route: unknown } };
    expect(json.tier_assist.tier).toBe('mid');
    expect(AutoRouteSchema.parse(json.tier_assist.route).escalated?.reason).toContain(
      'the small tier failed',
    );

    const hard = await app.request('/v1/chat/completions', ask(COMPLEX));
    expect(hard.headers.get('x-tier-assist-tier')).toBe('frontier');
    expect(((await hard.json()) as { model: string }).model).toBe('gpt-5');
  });

  it('a client that goes away while small answers is not escalated: nothing more is asked upstream', async () => {
    const { app, usageLog } = gateway('tiny-ok');
    up.faults.push({ kind: 'slow', delayMs: 100 });
    const controller = new AbortController();
    const pending = Promise.resolve(
      app.request('/v1/chat/completions', { ...ask(SIMPLE), signal: controller.signal }),
    );
    await waitFor(() => up.requests.length === 1);
    controller.abort();
    const outcome = await pending.then(
      (res) => res.status,
      () => 'rejected',
    );
    expect(outcome).not.toBe(200);
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ tier: 'small', outcome: 'client_abort' });
    await new Promise((r) => setTimeout(r, 200));
    expect(up.requests.map((r) => r.body.model)).toEqual(['tiny-ok']);
  });

  it('without a small tier, auto answers a simple request from mid and says so', async () => {
    const { app } = gateway(undefined);
    const res = await app.request('/v1/chat/completions', ask(SIMPLE));
    const json = (await res.json()) as { tier_assist: { tier: string; route: { reason: string } } };
    expect(json.tier_assist.tier).toBe('mid');
    expect(json.tier_assist.route.reason).toContain('No small tier is configured');
    expect(up.requests.map((r) => r.body.model)).toEqual(['gpt-5-mini']);
  });

  it('GET /v1/models lists what model takes; /v1/tiers and /healthz show small only where configured', async () => {
    const models = async (app: ReturnType<typeof gateway>['app']) =>
      ((await (await app.request('/v1/models')).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    const tiersOf = async (app: ReturnType<typeof gateway>['app']) =>
      ((await (await app.request('/v1/tiers')).json()) as { tiers: { tier: string }[] }).tiers.map(
        (t) => t.tier,
      );
    const small = gateway('tiny-ok').app;
    expect(await models(small)).toEqual(['auto', 'small', 'mid', 'frontier']);
    expect(await tiersOf(small)).toEqual(['small', 'mid', 'frontier']);
    expect(await (await small.request('/healthz')).json()).toMatchObject({ tiers: { small: true } });
    const none = gateway(undefined).app;
    expect(await models(none)).toEqual(['auto', 'mid', 'frontier']);
    expect(await tiersOf(none)).toEqual(['mid', 'frontier']);
  });

  it("the daily budget reserves at the small tier's own price, not the frontier's", async () => {
    // A budget below one mid worst case ($1/M in, $5/M out on 256 tokens) and above small's (free here).
    const { app } = testGateway(
      up,
      {
        tiers: {
          small: { baseUrl: up.openaiBaseUrl, model: 'tiny-ok' },
          mid: { provider: 'openai', model: 'gpt-5-mini', baseUrl: up.openaiBaseUrl, apiKey: 'k' },
        },
        sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: 0.0001 }],
      },
      { providers: 'openai' },
    );
    const minted = await app.request(
      '/v1/tokens',
      post(JSON.stringify({ origin: ORIGIN }), { authorization: `Bearer ${SECRET}` }),
    );
    const { token } = (await minted.json()) as { token: string };
    const send = (model: string) =>
      app.request(
        '/v1/chat/completions',
        post(JSON.stringify({ model, messages: user(SIMPLE) }), {
          origin: ORIGIN,
          authorization: `Bearer ${token}`,
        }),
      );
    expect((await send('small')).status).toBe(200);
    const mid = await send('mid');
    expect(mid.status).toBe(429);
    expect(((await mid.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
  });

  it("the small tier's configured price is what the record and the response charge", async () => {
    const { app, usageLog } = testGateway(
      up,
      {
        tiers: {
          small: { baseUrl: up.openaiBaseUrl, model: 'tiny-ok', price: { input: 1000, output: 2000 } },
        },
      },
      { providers: 'openai' },
    );
    const res = await app.request(
      '/v1/chat/completions',
      post(JSON.stringify({ model: 'small', messages: user(SIMPLE) })),
    );
    const json = (await res.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
      tier_assist: { costUsd: number };
    };
    const nanos = json.usage.prompt_tokens * 1_000_000 + json.usage.completion_tokens * 2_000_000;
    expect(json.tier_assist.costUsd).toBeCloseTo(nanos / 1e9, 9);
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ tier: 'small', costNanos: nanos });
  });
});
