/**
 * The gateway as `npm start` runs it: a child process on a real socket, with the provider stand-in
 * behind it and its JSONL usage log on disk.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema, TierAssistMetaSchema } from '../../src/config/index.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const ORIGIN = 'http://127.0.0.1:9';
const SECRET = 'e2e-site-secret-0123456789';
let up: Upstream;
let gw: RunningGateway;

beforeAll(async () => {
  up = await startUpstream({ reply: 'alpha beta gamma delta epsilon zeta eta theta' });
  gw = await startGateway({
    upstream: up,
    providers: 'mixed',
    config: {
      sites: [{ id: 'e2e', origins: [ORIGIN], secret: SECRET }],
      reliability: { firstByteTimeoutMs: 2000, retries: 1, backoffBaseMs: 10 },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

async function chat(token: string, body: object, signal?: AbortSignal) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      tier: 'frontier',
      messages: [{ role: 'user', content: 'Write a haiku' }],
      stream: true,
      ...body,
    }),
    ...(signal ? { signal } : {}),
  });
}

describe('gateway process', () => {
  it('serves /healthz, the demo page and the built components like npm start', async () => {
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', tiers: { mid: true, frontier: true } });
    const page = await fetch(`${gw.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('streams an answer end to end and writes its usage record to the JSONL file', async () => {
    const token = await gw.mintToken('e2e', SECRET, ORIGIN, 'user-7');
    const res = await chat(token, {});
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw.trim().endsWith('data: [DONE]')).toBe(true);
    const events = raw
      .split('\n\n')
      .filter((b) => b.startsWith('data: {'))
      .map((b) => JSON.parse(b.slice(6)) as { tier_assist?: unknown; usage?: { completion_tokens: number } });
    const last = events.at(-1)!;
    expect(TierAssistMetaSchema.parse(last.tier_assist)).toMatchObject({
      tier: 'frontier',
      model: 'claude-sonnet-4-5',
    });
    expect(last.usage?.completion_tokens).toBe(8);
    await expect.poll(() => gw.readUsage().length).toBe(1);
    expect(gw.readUsage()[0]).toMatchObject({ site: 'e2e', user: 'user-7', outcome: 'ok', outputTokens: 8 });
  });

  it('a client that hangs up mid-answer aborts the upstream call and the record says so', async () => {
    const token = await gw.mintToken('e2e', SECRET, ORIGIN);
    const before = gw.readUsage().length;
    const abortedBefore = up.aborted;
    up.faults.push({ kind: 'slow', delayMs: 200 });
    const controller = new AbortController();
    const res = await chat(token, { tier: 'mid' }, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => up.aborted, { timeout: 5000 }).toBe(abortedBefore + 1);
    await expect.poll(() => gw.readUsage().length, { timeout: 5000 }).toBe(before + 1);
    expect(gw.readUsage().at(-1)).toMatchObject({ outcome: 'client_abort', tier: 'mid' });
  });

  it('bad input is a 4xx JSON error and the process keeps serving', async () => {
    const token = await gw.mintToken('e2e', SECRET, ORIGIN);
    const send = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          authorization: `Bearer ${token}`,
          ...headers,
        },
        body,
      });
    const cases: [Promise<Response>, number, string][] = [
      [send('{"tier":'), 400, 'invalid_input'],
      [
        send(JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 42 }] })),
        400,
        'invalid_input',
      ],
      [
        send(JSON.stringify({ tier: 'gigantic', messages: [{ role: 'user', content: 'x' }] })),
        400,
        'invalid_input',
      ],
      [
        send(
          JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'x'.repeat(3 * 1024 * 1024) }] }),
        ),
        413,
        'payload_too_large',
      ],
      [
        send(JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'x' }] }), {
          origin: 'https://evil.example',
        }),
        403,
        'forbidden',
      ],
      [
        send(JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'x' }] }), {
          authorization: 'Bearer ta1.forged.token',
        }),
        401,
        'unauthorized',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe(code);
    }
    // A body larger than the limit that lies about its length (chunked, no content-length) is cut off too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          authorization: `Bearer ${token}`,
          'transfer-encoding': 'chunked',
        },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      const piece = 'x'.repeat(64 * 1024);
      req.write('{"tier":"mid","messages":[{"role":"user","content":"');
      let i = 0;
      const pump = () => {
        while (i < 48) {
          i++;
          if (!req.write(piece)) return req.once('drain', pump);
        }
        req.end('"}]}');
        return undefined;
      };
      pump();
    });
    expect(chunked).toBe(413);
    const ok = await chat(token, { tier: 'mid' });
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it('flushes the usage log on SIGTERM', async () => {
    const extra = await startGateway({ upstream: up, config: { reliability: { retries: 0 } } });
    const res = await fetch(`${extra.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.json();
    await extra.stop();
    expect(extra.readUsage()).toHaveLength(1);
  });

  it('with no provider configured, escalation is a 503 naming the setting', async () => {
    const bare = await startGateway({
      env: { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '' },
      staticFiles: false,
    });
    try {
      const res = await fetch(`${bare.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
        body: JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(503);
      expect(GatewayErrorBodySchema.parse(await res.json()).error).toMatchObject({
        code: 'not_configured',
        setting: 'ANTHROPIC_API_KEY',
      });
    } finally {
      await bare.stop();
    }
  });
});
