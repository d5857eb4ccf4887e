import { describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema, TierAssistMetaSchema } from '../config/index.ts';
import type { Upstream } from '../../test/support/upstream.ts';
import { createApp } from './app.ts';
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
import { signToken } from './tokens.ts';

let up: Upstream;
useUpstream({ reply: 'Hello there from the stand-in model.' }, (u) => (up = u));

describe('gateway app basics', () => {
  it('answers /healthz with 200 JSON', async () => {
    const res = await createApp({ version: '1.2.3' }).request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ status: 'ok', version: '1.2.3' });
  });

  it('with nothing configured, escalation is a 503 naming the setting to add', async () => {
    const app = createApp();
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(503);
    const body = GatewayErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('not_configured');
    expect(body.error.setting).toBe('ANTHROPIC_API_KEY');
    const tiers = (await (await app.request('/v1/tiers')).json()) as { tiers: { configured: boolean }[] };
    expect(tiers.tiers.every((t) => !t.configured)).toBe(true);
  });

  it('unknown routes are JSON 404s', async () => {
    const res = await createApp().request('/nope');
    expect(res.status).toBe(404);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('not_found');
  });
});

describe('streaming and non-streaming answers', () => {
  for (const providers of ['anthropic', 'openai'] as const) {
    it(`${providers}: streams OpenAI chunks, usage and tier_assist in the last chunk, then [DONE]`, async () => {
      const { app, usageLog } = testGateway(up, {}, { providers });
      const res = await app.request('/v1/chat/completions', post(chatBody({ max_tokens: 100 })));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const sse = await readSseBody(res);
      expect(sse.done).toBe(true);
      expect(sse.text).toBe('Hello there from the stand-in model.');
      const last = sse.events.at(-1) as {
        usage: { prompt_tokens: number; completion_tokens: number };
        tier_assist: unknown;
        choices: unknown[];
      };
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6 });
      const meta = TierAssistMetaSchema.parse(last.tier_assist);
      expect(meta.tier).toBe('mid');
      expect(meta.model).toBe(providers === 'anthropic' ? 'claude-haiku-4-5' : 'gpt-5-mini');
      expect(meta.costUsd).toBeGreaterThan(0);
      expect(meta.frontierCostUsd).toBeGreaterThan(meta.costUsd);
      const first = sse.events[0] as { object: string; choices: { delta: { role?: string } }[] };
      expect(first.object).toBe('chat.completion.chunk');
      expect(first.choices[0]!.delta.role).toBe('assistant');
      await waitFor(() => usageLog.records.length === 1);
      expect(usageLog.records[0]).toMatchObject({
        outcome: 'ok',
        inputTokens: 4,
        outputTokens: 6,
        tier: 'mid',
        site: 'local',
      });
      expect(usageLog.records[0]!.usageEstimated).toBeUndefined();
    });
  }

  it('non-streaming returns one chat.completion with usage and tier_assist', async () => {
    const { app } = testGateway(up);
    const res = await app.request(
      '/v1/chat/completions',
      post(chatBody({ stream: false, tier: 'frontier' })),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      choices: { message: { content: string } }[];
      usage: object;
      tier_assist: unknown;
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content).toBe('Hello there from the stand-in model.');
    expect(body.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6 });
    expect(TierAssistMetaSchema.parse(body.tier_assist)).toMatchObject({
      tier: 'frontier',
      model: 'claude-sonnet-4-5',
    });
  });

  it('maps the tier to the allowlisted model, clamps max_tokens, never forwards model, base URL or logit_bias', async () => {
    const { app } = testGateway(up, {}, { providers: 'openai' });
    const res = await app.request(
      '/v1/chat/completions',
      post(
        chatBody({
          model: 'gpt-4-32k-expensive',
          base_url: 'http://evil.example',
          api_key: 'x',
          logit_bias: { '1': 100 },
          max_tokens: 100_000,
        }),
      ),
    );
    expect(res.status).toBe(200);
    await res.text();
    const sent = up.requests[0]!.body;
    expect(sent.model).toBe('gpt-5-mini');
    expect(sent.max_tokens).toBe(256);
    expect(sent).not.toHaveProperty('logit_bias');
    expect(sent).not.toHaveProperty('base_url');
    expect(sent).not.toHaveProperty('api_key');
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(up.requests[0]!.headers.authorization).toBe('Bearer sk-test-key');
  });

  it('a max_tokens below the clamp ends the answer with finish_reason length', async () => {
    const { app } = testGateway(up);
    const sse = await readSseBody(
      await app.request('/v1/chat/completions', post(chatBody({ max_tokens: 2 }))),
    );
    expect(sse.text).toBe('Hello there ');
    const fin = sse.events.at(-2) as { choices: { finish_reason: string }[] };
    expect(fin.choices[0]!.finish_reason).toBe('length');
  });
});

describe('bad input: each a 4xx JSON error, and the app keeps serving', () => {
  const cases: [string, RequestInit, number, string][] = [
    ['malformed JSON', post('{"tier": "mid", '), 400, 'invalid_input'],
    ['wrong types', post(JSON.stringify({ tier: 'mid', messages: 'hello' })), 400, 'invalid_input'],
    ['unknown tier', post(chatBody({ tier: 'ultra' })), 400, 'invalid_input'],
    ['local tier', post(chatBody({ tier: 'local' })), 400, 'invalid_input'],
    ['empty messages', post(JSON.stringify({ tier: 'mid', messages: [] })), 400, 'invalid_input'],
    [
      '3 MB body',
      post(JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'x'.repeat(3_000_000) }] })),
      413,
      'payload_too_large',
    ],
    [
      '3 MB body with a declared length (refused from the header alone)',
      post(JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'x'.repeat(3_000_000) }] }), {
        'content-length': '3000056',
      }),
      413,
      'payload_too_large',
    ],
    ['foreign origin', post(chatBody(), { origin: 'https://evil.example' }), 403, 'forbidden'],
  ];
  for (const [name, init, status, code] of cases) {
    it(name, async () => {
      const { app } = testGateway(up);
      const res = await app.request('/v1/chat/completions', init);
      expect(res.status).toBe(status);
      expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe(code);
      const ok = await app.request('/v1/chat/completions', post(chatBody()));
      expect(ok.status).toBe(200);
      await ok.text();
    });
  }
});

describe('access: sites, tokens, origins', () => {
  const site = { id: 'shop', origins: [ORIGIN], secret: SECRET };
  const mint = async (app: ReturnType<typeof testGateway>['app'], body: object, secret = SECRET) =>
    app.request('/v1/tokens', post(JSON.stringify(body), { authorization: `Bearer ${secret}` }));

  it('the site backend mints a token; the browser uses it from its origin', async () => {
    const { app, usageLog } = testGateway(up, { sites: [site] });
    const minted = await mint(app, { origin: ORIGIN, user: 'u1' });
    expect(minted.status).toBe(200);
    const { token, expiresAt, expiresIn } = (await minted.json()) as {
      token: string;
      expiresAt: number;
      expiresIn: number;
    };
    expect(expiresIn).toBe(600);
    expect(expiresAt).toBeGreaterThan(Date.now());
    const res = await app.request(
      '/v1/chat/completions',
      post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    // A page's script can read which tier answered, not only the body.
    expect(res.headers.get('access-control-expose-headers')).toContain('x-tier-assist-tier');
    await res.text();
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ site: 'shop', user: 'u1' });
    expect(JSON.stringify(usageLog.records[0])).not.toContain('Say hello');
    expect(JSON.stringify(usageLog.records[0])).not.toContain(SECRET);
  });

  it('answers CORS preflights for allowed origins and refuses foreign ones', async () => {
    const { app } = testGateway(up, { sites: [site] });
    const ok = await app.request('/v1/chat/completions', { method: 'OPTIONS', headers: { origin: ORIGIN } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const bad = await app.request('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(bad.status).toBe(403);
  });

  it('refuses minting with a wrong secret (401) or for an origin the site does not list (400)', async () => {
    const { app } = testGateway(up, { sites: [site] });
    expect((await mint(app, { origin: ORIGIN }, 'wrong-secret-wrong-secret')).status).toBe(401);
    const res = await mint(app, { origin: 'https://other.example' });
    expect(res.status).toBe(400);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('invalid_input');
  });

  const rejects: [string, () => Promise<string | undefined>, string | undefined][] = [
    ['no token', async () => undefined, ORIGIN],
    [
      'forged token (other secret)',
      () =>
        signToken(
          { site: 'shop', aud: ORIGIN, exp: Math.floor(Date.now() / 1000) + 60 },
          'not-the-secret-xxxxxxxx',
        ),
      ORIGIN,
    ],
    [
      'expired token',
      () => signToken({ site: 'shop', aud: ORIGIN, exp: Math.floor(Date.now() / 1000) - 1 }, SECRET),
      ORIGIN,
    ],
    [
      'tampered payload',
      async () => (await signToken({ site: 'shop', aud: ORIGIN, exp: 1 }, SECRET)).replace('ta1.', 'ta1.x'),
      ORIGIN,
    ],
    ['garbage token', async () => 'ta1.garbage', ORIGIN],
    ['unknown user token', async () => 'some-random-user-token-123456789', undefined],
  ];
  for (const [name, make, origin] of rejects) {
    it(`401 for ${name}`, async () => {
      const { app } = testGateway(up, { sites: [site] });
      const token = await make();
      const res = await app.request(
        '/v1/chat/completions',
        post(chatBody(), {
          ...(origin ? { origin } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        }),
      );
      expect(res.status).toBe(401);
      expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('unauthorized');
      expect(up.requests).toHaveLength(0);
    });
  }

  it('401 for a token minted for another allowed origin of the same site', async () => {
    const other = 'https://admin.shop.example';
    const { app } = testGateway(up, { sites: [{ ...site, origins: [ORIGIN, other] }] });
    const { token } = (await (await mint(app, { origin: other })).json()) as { token: string };
    const res = await app.request(
      '/v1/chat/completions',
      post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
    );
    expect(res.status).toBe(401);
  });

  it('the extension presents a user token from its chrome-extension:// origin', async () => {
    const { app, usageLog } = testGateway(up, {
      sites: [site],
      users: [{ id: 'ana', token: 'user-token-ana-0123456789abcdef', site: 'shop' }],
    });
    const res = await app.request(
      '/v1/chat/completions',
      post(chatBody(), {
        origin: 'chrome-extension://abcdefghijklmnop',
        authorization: 'Bearer user-token-ana-0123456789abcdef',
      }),
    );
    expect(res.status).toBe(200);
    await res.text();
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ site: 'shop', user: 'ana' });
  });

  it('with no sites configured, localhost and same-origin are served and others refused', async () => {
    const { app } = testGateway(up);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8787', 'http://localhost']) {
      const res = await app.request('/v1/chat/completions', post(chatBody(), { origin }));
      expect(res.status, origin).toBe(200);
      await res.text();
    }
    const same = await app.request(
      'http://192.168.1.5:8787/v1/chat/completions',
      post(chatBody(), { origin: 'http://192.168.1.5:8787' }),
    );
    expect(same.status).toBe(200);
    await same.text();
    // A DNS name that could rebind to this machine is not trusted as "same origin" without a site entry.
    const rebound = await app.request(
      'http://attacker.example:8787/v1/chat/completions',
      post(chatBody(), { origin: 'http://attacker.example:8787' }),
    );
    expect(rebound.status).toBe(403);
    expect(
      (await app.request('/v1/chat/completions', post(chatBody(), { origin: 'https://evil.example' })))
        .status,
    ).toBe(403);
  });

  it('logs prompt text only when the site opts in', async () => {
    const { app, usageLog } = testGateway(up, { sites: [{ ...site, logPrompts: true }] });
    const { token } = (await (await mint(app, { origin: ORIGIN })).json()) as { token: string };
    await (
      await app.request(
        '/v1/chat/completions',
        post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
      )
    ).text();
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]!.prompt?.[0]?.content).toBe('Say hello please');
  });
});
