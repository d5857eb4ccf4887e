/**
 * The browser's GatewayClient (src/remote) against a real gateway process: the wire contract end to end,
 * including a site backend that mints tokens, a re-mint after the gateway refuses an expired token, a
 * mid-stream failure and the 503 that names the missing setting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotConfiguredError, UpstreamError } from '../../src/errors.ts';
import { GatewayClient } from '../../src/remote/index.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const SECRET = 'client-e2e-site-secret-012345';
const ORIGIN = 'http://site.example';
let up: Upstream;
let gw: RunningGateway;
let site: StaticServer;
let minted = 0;
let ttlSeconds = 600;
let clockSkewMs = 0;

beforeAll(async () => {
  up = await startUpstream({ reply: 'The client and the gateway agree.' });
  gw = await startGateway({
    upstream: up,
    providers: 'mixed',
    staticFiles: false,
    config: { sites: [{ id: 'site', origins: [ORIGIN], secret: SECRET }] },
  });
  // The site's own backend: POST /api/tier-token mints with the site secret (what docs/gateway.md shows).
  site = await startStaticServer([
    (req, res) => {
      if (req.url !== '/api/tier-token') return false;
      minted++;
      fetch(`${gw.url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ origin: ORIGIN, ttlSeconds }),
      })
        .then(async (r) => {
          const body = (await r.json()) as { token: string; expiresAt: number };
          // With clockSkew the backend reports a later expiry than the gateway will enforce.
          const expiresAt = body.expiresAt + clockSkewMs;
          res
            .writeHead(r.status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ...body, expiresAt }));
        })
        .catch(() => res.writeHead(500).end());
      return true;
    },
  ]);
});
afterAll(async () => {
  await gw?.stop();
  await site?.close();
  await up?.close();
});

describe('GatewayClient against the gateway', () => {
  it('streams deltas and ends with the usage and tier_assist the gateway computed', async () => {
    const client = new GatewayClient({ url: gw.url, tokenEndpoint: `${site.url}/api/tier-token` });
    const stream = client.chat({ tier: 'frontier', messages: [{ role: 'user', content: 'Agree?' }] });
    const deltas: string[] = [];
    for await (const d of stream) deltas.push(d);
    const result = await stream.result;
    expect(deltas.join('')).toBe('The client and the gateway agree.');
    expect(deltas.length).toBeGreaterThan(1);
    expect(result.text).toBe(deltas.join(''));
    expect(result.usage).toEqual({ promptTokens: 2, completionTokens: 6 });
    expect(result.meta).toMatchObject({ tier: 'frontier', model: 'claude-sonnet-4-5' });
    expect(result.meta!.frontierCostUsd).toBeCloseTo(result.meta!.costUsd, 12);
    await expect.poll(() => gw.readUsage().at(-1)?.surface).toBe('component');
  });

  it('re-mints after the gateway refuses an expired token', async () => {
    ttlSeconds = 1;
    clockSkewMs = 600_000;
    const client = new GatewayClient({ url: gw.url, tokenEndpoint: `${site.url}/api/tier-token` });
    const first = await client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'one' }] }).result;
    expect(first.meta?.model).toBe('gpt-5-mini');
    const before = minted;
    // The client believes the token lives 10 more minutes; the gateway says it expired: 401, re-mint, retry.
    await new Promise((r) => setTimeout(r, 1100));
    ttlSeconds = 600;
    clockSkewMs = 0;
    const refusals = async () => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      return Number(/tier_assist_rejections_total\{code="unauthorized"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const refusedBefore = await refusals();
    const second = await client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'two' }] }).result;
    expect(second.text).toBe('The client and the gateway agree.');
    expect(minted).toBe(before + 1);
    expect(await refusals()).toBe(refusedBefore + 1);
    await expect.poll(() => gw.readUsage().length).toBeGreaterThanOrEqual(3);
  });

  it('a stream cut mid-answer rejects with UpstreamError after the partial deltas', async () => {
    const client = new GatewayClient({ url: gw.url, tokenEndpoint: `${site.url}/api/tier-token` });
    up.faults.push({ kind: 'cut', afterDeltas: 2 });
    const stream = client.chat({ tier: 'mid', messages: [{ role: 'user', content: 'cut' }] });
    const deltas: string[] = [];
    await expect(
      (async () => {
        for await (const d of stream) deltas.push(d);
      })(),
    ).rejects.toBeInstanceOf(UpstreamError);
    expect(deltas.join('')).toBe('The client ');
  });

  it('a gateway with no provider gives NotConfiguredError naming the setting', async () => {
    const bare = await startGateway({ env: { ANTHROPIC_API_KEY: '' }, staticFiles: false });
    try {
      const client = new GatewayClient({ url: bare.url });
      const error = await client
        .chat({ tier: 'mid', messages: [{ role: 'user', content: 'hi' }] })
        .result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotConfiguredError);
      expect((error as NotConfiguredError).data?.setting).toBe('ANTHROPIC_API_KEY');
    } finally {
      await bare.stop();
    }
  });
});
