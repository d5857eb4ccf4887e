import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TierError } from '../errors.ts';
import { ORIGIN, SECRET, post, useUpstream } from '../../test/support/server.ts';
import type { Upstream } from '../../test/support/upstream.ts';
import { createGateway, createMemoryUsageLog, loadConfig } from './index.ts';

let up: Upstream;
useUpstream({ reply: 'Hello from the library.' }, (u) => (up = u));

describe('createGateway (the library entry)', () => {
  it('returns a Hono app that answers /healthz with no config at all', async () => {
    const app = createGateway();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', tiers: { mid: false, frontier: false } });
  });

  it('builds from a config object and env, mints a site token and escalates through it', async () => {
    const usageLog = createMemoryUsageLog();
    const app = createGateway(
      {
        tiers: { mid: { provider: 'openai', model: 'gpt-5-mini', baseUrl: up.openaiBaseUrl } },
        sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET }],
      },
      { env: { OPENAI_API_KEY: 'sk-from-env' }, usageLog, version: '9.9.9' },
    );
    expect(await (await app.request('/healthz')).json()).toMatchObject({ version: '9.9.9' });
    const minted = await app.request(
      '/v1/tokens',
      post(JSON.stringify({ origin: ORIGIN }), { authorization: `Bearer ${SECRET}` }),
    );
    expect(minted.status).toBe(200);
    const { token } = (await minted.json()) as { token: string };
    const res = await app.request(
      '/v1/chat/completions',
      post(
        JSON.stringify({ tier: 'mid', stream: false, messages: [{ role: 'user', content: 'Say hello' }] }),
        { authorization: `Bearer ${token}`, origin: ORIGIN },
      ),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('Hello from the library.');
    // The key came from the env option, not from process.env.
    expect(up.requests.at(-1)?.headers.authorization).toBe('Bearer sk-from-env');
    const records = [];
    for await (const r of usageLog.scan({ site: 'shop', from: '2000-01-01', to: '2999-12-31' }))
      records.push(r);
    expect(records).toHaveLength(1);
  });

  it('accepts loadConfig output as is', async () => {
    const loaded = loadConfig({ limits: { bodyBytes: 64 } }, {});
    const app = createGateway(loaded);
    const res = await app.request('/v1/chat/completions', post(JSON.stringify({ padding: 'x'.repeat(200) })));
    expect(res.status).toBe(413);
  });

  it('rejects a bad config with config_invalid naming the field', () => {
    let caught: unknown;
    try {
      createGateway({ sites: [{ id: 'shop', origins: [ORIGIN], secret: 'short' }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TierError);
    expect((caught as TierError).code).toBe('config_invalid');
    expect((caught as TierError).message).toContain('secret');
  });

  it("imports nothing Node-only, so it runs in a serverless runtime (Node wiring is './node')", () => {
    const nodeOnly = /^(node:|ioredis$|@hono\/node-server)/;
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (/^import type|^export type/.test(m[0].trim())) continue;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (existsSync(target)) visit(target);
        } else if (nodeOnly.test(spec)) offenders.push(`${file}: ${spec}`);
      }
    };
    visit(resolve(import.meta.dirname, 'index.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
