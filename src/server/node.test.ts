import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TierError } from '../errors.ts';
import { startGateway, type RunningGateway } from './node.ts';

async function listening(started: RunningGateway): Promise<string> {
  if (!started.server.listening) await new Promise((r) => started.server.once('listening', r));
  return `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
}

describe('startGateway (tier-assist-gateway/node)', () => {
  it('serves the API and a static folder cross-origin isolated, and flushes the file usage log on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tier-node-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>my site</title>');
    const usage = join(dir, 'usage.jsonl');
    const started = startGateway({
      port: 0,
      hostname: '127.0.0.1',
      env: {},
      config: { usageLog: { kind: 'file', path: usage } },
      static: [{ route: '/*', root: dir }],
      version: '1.0.0',
    });
    try {
      const url = await listening(started);
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toMatchObject({ status: 'ok', version: '1.0.0' });
      const page = await fetch(`${url}/`);
      expect(await page.text()).toContain('my site');
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      // A 503 escalation (no tier configured) is still a usage record.
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tier: 'mid', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(503);
    } finally {
      await started.close();
    }
    const lines = readFileSync(usage, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ status: 503 });
  });

  it('without static folders it serves only the API', async () => {
    const started = startGateway({
      port: 0,
      hostname: '127.0.0.1',
      env: {},
      config: { usageLog: { kind: 'memory' } },
    });
    try {
      const url = await listening(started);
      const res = await fetch(`${url}/index.html`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await started.close();
    }
  });

  it('reads the config file named by env.TIER_ASSIST_CONFIG, and says what is wrong with a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tier-node-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"sites": [');
    const attempt = (env: Record<string, string>) => {
      try {
        startGateway({ port: 0, env });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const notJson = attempt({ TIER_ASSIST_CONFIG: broken });
    expect(notJson).toBeInstanceOf(TierError);
    expect((notJson as TierError).code).toBe('config_invalid');
    expect((notJson as TierError).message).toContain('not valid JSON');
    const missing = attempt({ TIER_ASSIST_CONFIG: join(dir, 'missing.json') });
    expect((missing as TierError).code).toBe('config_invalid');
    expect((missing as TierError).message).toContain('TIER_ASSIST_CONFIG');
  });
});
