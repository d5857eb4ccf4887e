/**
 * Triage from the context menu's handler with a gateway configured: the job is handed to the side
 * panel's `<tier-triage>`, the device answers first, the tiny model's answer is rejected (not the
 * triage JSON), and the element escalates to the mid tier through the real gateway (src/server) in
 * front of the provider stand-in. Personal data is redacted before it leaves and restored in the
 * answer shown; the job's result says which tier answered and why, and the ledger books it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/cli.ts';
import { launchWithSite, type ExtensionWithSite, type LaunchedExtension } from '../support/extension.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const TOKEN = 'extension-user-token-0123456789abcdef';
const TRIAGE_JSON =
  '{"category": "get_refund", "priority": "high", "sentiment": "negative", "language": "en", "summary": "Charged twice", "reply": "We will refund [EMAIL_1] today."}';

describe('triage escalates through the configured gateway', () => {
  let ext: LaunchedExtension;
  let env: ExtensionWithSite;
  let upstream: Upstream;
  let gateway: ReturnType<typeof startServer>;
  let gatewayUrl: string;
  let dir: string;

  beforeAll(async () => {
    upstream = await startUpstream({ reply: TRIAGE_JSON });
    dir = mkdtempSync(join(tmpdir(), 'tier-gw-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        tiers: {
          mid: {
            provider: 'openai',
            model: 'gpt-4o-mini',
            baseUrl: upstream.openaiBaseUrl,
            apiKey: 'test-key',
          },
          frontier: {
            provider: 'openai',
            model: 'gpt-5',
            baseUrl: upstream.openaiBaseUrl,
            apiKey: 'test-key',
          },
        },
        users: [{ id: 'extension-user', token: TOKEN }],
        usageLog: { kind: 'memory' },
      }),
    );
    gateway = startServer({
      port: 0,
      hostname: '127.0.0.1',
      staticFiles: false,
      env: { TIER_ASSIST_CONFIG: config },
    });
    await new Promise<void>((resolve) =>
      gateway.server.listening ? resolve() : gateway.server.once('listening', () => resolve()),
    );
    gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;

    env = await launchWithSite({ reply: ' not json at all.', options: { gatewayUrl, gatewayToken: TOKEN } });
    ext = env.ext;
  });

  afterAll(async () => {
    await env?.close();
    await gateway?.close();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the mid tier answer in the side panel with why, and sent no personal data', async () => {
    const panel = await ext.openPage('extension/sidepanel/index.html');
    const worker = await ext.serviceWorker();
    await worker.evaluate(() =>
      (
        globalThis as unknown as { tierAssist: { runMenu(kind: string, text: string): Promise<unknown> } }
      ).tierAssist.runMenu('triage', 'I was charged twice for order 1234. Write to ann@example.com please.'),
    );
    await panel.waitForFunction(() => document.querySelector('tier-triage')?.ready);
    await panel.waitForSelector('#job[data-state="done"]', { timeout: 60_000 });
    const meta = (await panel.textContent('#job .meta')) ?? '';
    expect(meta).toContain('mid tier via your gateway');
    expect(meta).toContain('rejected');
    expect(meta).toContain('Personal data was replaced');
    expect(await panel.textContent('#result')).toContain('We will refund ann@example.com today.');
    expect(await panel.textContent('.triage')).toContain('priority: high');
    // The element's fields came from the gateway.
    const cell = await panel.locator('tier-triage td[data-field="priority"]').textContent();
    expect(cell).toContain('gateway');
    expect(await panel.locator('tier-triage #f-reply').inputValue()).toBe(
      'We will refund ann@example.com today.',
    );

    const sent = JSON.stringify(upstream.requests.map((r) => r.body));
    expect(upstream.requests.length).toBeGreaterThan(0);
    expect(sent).not.toContain('ann@example.com');
    expect(sent).toContain('[EMAIL_1]');
    await panel.close();
  });

  it('counts the escalated request on the mid tier in the popup', async () => {
    const popup = await ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#today');
    expect(Number(await popup.textContent('#today [data-tier="mid"]'))).toBe(1);
    await popup.close();
    expect(ext.problems).toEqual([]);
  });
});
