/**
 * <tier-triage> end to end in real Chromium on the demo page (public/triage.html, built components in
 * dist/components: `npm run build:components` first), with the wasm engine running a generated tiny
 * llama GGUF as the on-device model and the real gateway app in front of the provider stand-in.
 * The tiny model cannot write triage JSON, so every on-device answer is invalid: it must be retried,
 * then escalated to the mid tier, and never shown as a result.
 */
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const root = resolve(import.meta.dirname, '../..');
const MID_ANSWER = JSON.stringify({
  category: 'cancel_order',
  priority: 'high',
  sentiment: 'negative',
  language: 'en',
  summary: 'Customer wants to cancel an order placed by mistake.',
  reply: 'Sorry about that, we have cancelled the order and you will not be charged.',
});

interface Server {
  url: string;
  close(): Promise<void>;
}

/** The real gateway app on 127.0.0.1:0, serving the demo page, the built components and the GGUF. */
async function startGateway(env: Record<string, string>, modelDir: string): Promise<Server> {
  const { config, tiers } = loadConfig({}, env);
  const app = createApp({ config, tiers, log: () => undefined });
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  app.use('/components/*', serveStatic({ root: rel(join(root, 'dist')) }));
  app.use('/e2e/*', serveStatic({ root: rel(join(modelDir, '..')) }));
  app.use('/*', serveStatic({ root: rel(join(root, 'public')) }));
  const server: ServerType = await new Promise((done) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

let upstream: Upstream;
let broken: Upstream;
let gateway: Server;
let brokenGateway: Server;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tier-triage-e2e-'));
  const modelDir = join(dir, 'e2e');
  mkdirSync(modelDir);
  writeFileSync(join(modelDir, 'tiny.gguf'), makeTinyLlamaGguf());
  upstream = await startUpstream({ reply: MID_ANSWER });
  broken = await startUpstream({ reply: 'Sure! Here is what I think about this ticket.' });
  gateway = await startGateway(
    { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: upstream.anthropicBaseUrl },
    modelDir,
  );
  brokenGateway = await startGateway(
    { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: broken.anthropicBaseUrl },
    modelDir,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS],
    headless: true,
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await brokenGateway?.close();
  await upstream?.close();
  await broken?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(base: string, store: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  await page.goto(
    `${base}/triage.html?${new URLSearchParams({ model: '/e2e/tiny.gguf', gateway: '/', 'store-name': store })}`,
  );
  await page.getByText('Starter model loaded').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Use on-device model' }).click();
  await page.getByText('On-device model ready').waitFor({ timeout: 60_000 });
  return page;
}

async function triage(page: Page, text: string): Promise<void> {
  const input = page.getByRole('textbox', { name: 'Ticket' });
  await input.fill(text);
  await page.getByRole('button', { name: 'Triage', exact: true }).click();
}

const events = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { triageEvents: { type: string; detail: Record<string, unknown> }[] })
        .triageEvents,
  );

describe('<tier-triage> end to end (wasm engine on a tiny GGUF, real gateway, provider stand-in)', () => {
  it('invalid JSON from the on-device model is retried, then escalated to the mid tier; never shown', async () => {
    const before = upstream.requests.length;
    const page = await open(gateway.url, 'e2e-escalate');
    await triage(page, 'I ordered the wrong size by mistake, please cancel my order before it ships!');
    await page.locator('tier-triage [part~="fields"]').waitFor({ timeout: 90_000 });
    const [result] = (await events(page)).filter((e) => e.type === 'tier-triage-result');
    const detail = result!.detail as {
      fields: Record<string, { value: string; source: string }>;
      escalated: string[];
      notes: string[];
    };
    expect(detail.notes.join(' ')).toMatch(/did not produce valid triage JSON \(retried once\)/);
    expect(detail.escalated).toEqual(['category', 'priority', 'sentiment', 'language', 'summary', 'reply']);
    expect(detail.fields.priority).toMatchObject({ value: 'high', source: 'gateway' });
    expect(detail.fields.category!.value).toBe('cancel_order');
    expect(await page.locator('tier-triage [part~="tags"]').textContent()).toContain('priority__high');
    // the stand-in got the triage request with the classifier's candidates and the label set
    const sent = upstream.requests.slice(before).map((r) => JSON.stringify(r.body));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent[0]).toContain('A classifier suggests these categories');
    // nothing the tiny model wrote reaches the page
    const shown = await page.locator('tier-triage').evaluate((el) => el.shadowRoot!.textContent ?? '');
    expect(shown).not.toContain(TINY_REPLY.slice(0, 12));
    await page.close();
  });

  it('when the mid tier also answers with invalid JSON, nothing is shown and the agent is told', async () => {
    const before = broken.requests.length;
    const page = await open(brokenGateway.url, 'e2e-broken');
    await triage(page, 'My package never arrived and nobody answers my emails');
    await page
      .locator('tier-triage [part~="message"]', { hasText: 'nothing is shown' })
      .waitFor({ timeout: 90_000 });
    expect(broken.requests.length - before).toBe(2); // one retry at the gateway too
    expect(await page.locator('tier-triage [part~="fields"]').count()).toBe(0);
    const all = await events(page);
    expect(all.filter((e) => e.type === 'tier-triage-result')).toEqual([]);
    expect(all.filter((e) => e.type === 'tier-triage-error').map((e) => e.detail.code)).toEqual([
      'invalid_output',
    ]);
    // the ticket is still in the box for another try
    expect(await page.getByRole('textbox', { name: 'Ticket' }).inputValue()).toContain(
      'package never arrived',
    );
    await page.close();
  });
  it('a keyboard correction is learnt at once and survives a real page reload (IndexedDB)', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('[page error]', error.message));
    const url = `${gateway.url}/triage.html?store-name=e2e-reload`;
    await page.goto(url);
    await page.getByText('Starter model loaded').waitFor({ timeout: 30_000 });
    const ticket = 'The courier says my parcel was delivered but it is not here';
    await triage(page, ticket);
    const category = page.getByRole('combobox', { name: 'Category' });
    await category.waitFor();
    const before = await category.inputValue();
    const target = before === 'complaint' ? 'track_order' : 'complaint';
    await category.focus();
    await category.selectOption(target); // keyboard-operable native select
    await page.getByText(`Saved "${target}"`).waitFor();
    await triage(page, ticket);
    await expect.poll(() => page.getByRole('combobox', { name: 'Category' }).inputValue()).toBe(target);
    await page.reload();
    await page.getByText("Your team's model is loaded").waitFor({ timeout: 30_000 });
    await triage(page, ticket);
    await expect.poll(() => page.getByRole('combobox', { name: 'Category' }).inputValue()).toBe(target);
    await page.close();
  });
});
