/**
 * <tier-assist> end to end in real Chromium (no WebGPU: the wasm engine path), against real gateway
 * processes (test/support/gateway.ts, like `npm start`) serving the built components (`npm run
 * build:components` first), with the provider stand-in (test/support/upstream.ts) behind one of them and
 * nothing configured behind the other. The on-device model is a generated tiny llama GGUF whose reply
 * is known.
 */
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureTierAssist } from '../../scripts/size.ts';
import { launchChromium } from '../support/chromium.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const STAND_IN_REPLY = 'We will write to [EMAIL_1] with both mortgage options, compared year by year.';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tier-assist e2e</title>
<script type="module" src="/components/tier-assist.js"></script></head>
<body><main><script type="module">
  const params = new URLSearchParams(location.search);
  const el = document.createElement('tier-assist');
  for (const [k, v] of params) el.setAttribute(k, v);
  window.events = [];
  for (const type of ['tier-route', 'tier-response', 'tier-escalate', 'tier-error', 'tier-model-progress'])
    el.addEventListener(type, (e) => window.events.push({ type, detail: JSON.parse(JSON.stringify(e.detail, (k, v) => (v instanceof Error ? { code: v.code, message: v.message, data: v.data } : v))) }));
  document.querySelector('main').append(el);
</script></main></body></html>`;

let upstream: Upstream;
let gateway: RunningGateway;
let bare: RunningGateway;
let browser: Browser;
const TINY = makeTinyLlamaGguf();
const require = createRequire(import.meta.url);

beforeAll(async () => {
  upstream = await startUpstream({ reply: STAND_IN_REPLY });
  // Real gateway processes (`tsx src/server/cli.ts`, like `npm start`) serving public/ + dist/components.
  [gateway, bare] = await Promise.all([
    startGateway({ upstream }),
    startGateway({ env: { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } }),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), bare?.stop(), upstream?.close()]);
});

async function open(base: string, attrs: Record<string, string>): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  // The test page and the generated model live on the gateway's origin (like public/index.html and a
  // self-hosted model); the components, /v1 and everything else are the real gateway's.
  await page.route(`${base}/e2e/page.html*`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE }),
  );
  await page.route(`${base}/e2e/tiny.gguf`, (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(TINY.byteLength) },
      body: route.request().method() === 'HEAD' ? '' : Buffer.from(TINY),
    }),
  );
  await page.goto(`${base}/e2e/page.html?${new URLSearchParams(attrs)}`);
  await page.locator('tier-assist textarea').waitFor();
  return page;
}

async function downloadModel(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Check this device' }).click();
  const consent = page.locator('tier-assist [part~="consent-button"]');
  await consent.waitFor();
  await consent.click();
  await page.getByText('On-device model ready').waitFor({ timeout: 60_000 });
}

async function ask(page: Page, text: string): Promise<void> {
  const input = page.getByRole('textbox', { name: 'Your question' });
  await input.fill(text);
  await input.press('Enter');
}

const badges = (page: Page) => page.locator('tier-assist [part~="badge"]');
const COMPLEX =
  'My e-mail is ann.lee@example.com. Compare the total interest paid on a 25-year and a 30-year fixed mortgage of 300,000 at 4.5%, derive the amortisation formula step by step, and explain the trade-offs for refinancing after 7 years.';

describe('<tier-assist> end to end', () => {
  it('answers a simple request on-device with the wasm engine on a generated GGUF, with a badge', async () => {
    const page = await open(gateway.url, {
      tiers: 'local',
      model: '/e2e/tiny.gguf',
      'conversation-key': 'e2e-local',
    });
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? (await gpu.requestAdapter()) !== null : false;
    });
    expect(adapter).toBe(false); // no WebGPU here: the wasm engine answers
    await downloadModel(page);
    const progress = await page.evaluate(() =>
      (window as unknown as { events: { type: string }[] }).events.filter(
        (e) => e.type === 'tier-model-progress',
      ),
    );
    expect(progress.length).toBeGreaterThan(0);
    await ask(page, 'Hi!');
    await badges(page).first().waitFor({ timeout: 60_000 });
    const badge = badges(page).first();
    expect(await badge.getAttribute('data-tier')).toBe('local');
    expect(await badge.textContent()).toContain('on-device, free');
    expect(await page.locator('tier-assist [part~="answer"]').first().textContent()).toContain(TINY_REPLY);
    // The answer is in the client ledger (what <tier-savings> reads), priced at $0 on-device.
    const records = await page.waitForFunction(
      () =>
        new Promise<{ tier: string; surface: string }[] | false>((resolve) => {
          const open = indexedDB.open('tier-ledger');
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('requests')) return resolve(false);
            const get = db.transaction('requests').objectStore('requests').getAll();
            get.onsuccess = () =>
              resolve(get.result.length > 0 ? (get.result as { tier: string; surface: string }[]) : false);
          };
          open.onerror = () => resolve(false);
        }),
    );
    expect(await records.jsonValue()).toMatchObject([{ tier: 'local', surface: 'assist' }]);
    await page.close();
  });

  it('escalates a complex request to the gateway, streams it, redacts the e-mail and restores it', async () => {
    const before = upstream.requests.length;
    upstream.faults.push({ kind: 'slow', delayMs: 120 });
    const page = await open(gateway.url, {
      gateway: '/',
      model: '/e2e/tiny.gguf',
      quality: '0.9',
      privacy: 'redact',
      'conversation-key': 'e2e-escalate',
    });
    await downloadModel(page);
    await ask(page, COMPLEX);
    // Streaming: part of the stand-in's reply is visible while the request is still running.
    await page.waitForFunction(
      () => {
        const el = document.querySelector('tier-assist') as (HTMLElement & { busy: boolean }) | null;
        return el?.busy === true && (el.shadowRoot?.textContent ?? '').includes('We will write to');
      },
      undefined,
      { timeout: 30_000, polling: 20 },
    );
    await badges(page).first().waitFor({ timeout: 30_000 });
    const tier = await badges(page).first().getAttribute('data-tier');
    expect(['mid', 'frontier']).toContain(tier);
    expect(await badges(page).first().textContent()).toMatch(/\$\d/);
    const answer = await page.locator('tier-assist [part~="answer"]').first().textContent();
    expect(answer).toContain('ann.lee@example.com');
    const sent = JSON.stringify(upstream.requests.slice(before).map((r) => r.body));
    expect(sent).toContain('[EMAIL_1]');
    expect(sent).not.toContain('ann.lee@example.com');
    await page.close();
  });

  it('falls back to the on-device model with a note when the gateway is down', async () => {
    const page = await open(gateway.url, {
      gateway: 'http://127.0.0.1:9',
      model: '/e2e/tiny.gguf',
      quality: '0.9',
      'conversation-key': 'e2e-down',
    });
    await downloadModel(page);
    await ask(page, COMPLEX);
    await badges(page).first().waitFor({ timeout: 60_000 });
    expect(await badges(page).first().getAttribute('data-tier')).toBe('local');
    expect(await page.locator('tier-assist [part~="note"]').first().textContent()).toMatch(
      /answered on this device instead|Showing the on-device answer/,
    );
    expect(await page.locator('tier-assist [part~="answer"]').first().textContent()).toContain(TINY_REPLY);
    await page.close();
  });

  it('without WebGPU and without a usable wasm model it says why, still escalates, and survives a reload', async () => {
    const page = await open(gateway.url, {
      gateway: '/',
      model: '/e2e/missing.gguf',
      'conversation-key': 'e2e-nomodel',
    });
    await page.getByRole('button', { name: 'Check this device' }).click();
    const panel = page.locator('tier-assist [part~="engine"]');
    await page.getByText('cannot run an on-device model').waitFor();
    expect(await panel.textContent()).toMatch(/missing\.gguf is not available \(HTTP 404/);
    await ask(page, 'What are your opening hours?');
    await badges(page).first().waitFor({ timeout: 30_000 });
    expect(['mid', 'frontier']).toContain(await badges(page).first().getAttribute('data-tier'));
    const route = await page.evaluate(
      () =>
        (
          window as unknown as { events: { type: string; detail: { decision: { flags: string[] } } }[] }
        ).events.find((e) => e.type === 'tier-route')?.detail.decision.flags,
    );
    expect(route).toContain('no-local-engine');

    await page.reload();
    await page.locator('tier-assist [part~="badge"]').first().waitFor();
    const text = await page.locator('tier-assist [part~="log"]').textContent();
    expect(text).toContain('What are your opening hours?');
    expect(text).toContain('We will write to');
    await page.close();
  });

  it('the demo bank page (npm start) loads the element, links the other demos and is axe-clean', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${bare.url}/`);
    await page.locator('tier-assist textarea').waitFor();
    expect(await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      '/',
      '/triage.html',
      '/savings.html',
    ]);
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string }[] }> } }).axe;
      return (await axe.run()).violations.map((v) => v.id);
    });
    expect(violations).toEqual([]);
    // The settings panel reaches the element.
    await page.locator('#quality').fill('0.8');
    await page.locator('#privacy').selectOption('local-only');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(
      await page.locator('tier-assist').evaluate((el) => (el as unknown as { settings: object }).settings),
    ).toMatchObject({
      quality: 0.8,
      privacy: 'local-only',
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the first load of the built element stays within the 25 KB gz budget', () => {
    const report = measureTierAssist();
    expect(report.tierAssistInitialGzBytes).toBeLessThanOrEqual(25 * 1024);
    // The heavy parts are not in it.
    expect(report.lazyFiles.map((f) => f.file).join(' ')).toMatch(/router.*|markdown.*/);
  });

  it('with no upstream configured, an escalation shows the setting to add', async () => {
    const page = await open(bare.url, {
      gateway: '/',
      tiers: 'mid,frontier',
      'conversation-key': 'e2e-bare',
    });
    await ask(page, 'Explain the difference between APR and APY.');
    const error = page.locator('tier-assist .error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toContain('ANTHROPIC_API_KEY');
    const setting = await page.evaluate(
      () =>
        (window as unknown as { events: { type: string; detail: { setting?: string } }[] }).events.find(
          (e) => e.type === 'tier-error',
        )?.detail.setting,
    );
    expect(setting).toBe('ANTHROPIC_API_KEY');
    await page.close();
  });
});

describe('<tier-assist> with a site that requires tokens', () => {
  const SECRET = 'northwind-site-secret-0123456789';
  let site: RunningGateway;
  let origin: string;

  beforeAll(async () => {
    // The site's origin must be known before the gateway starts: reserve a free port for it.
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => done(free));
      });
    });
    origin = `http://127.0.0.1:${port}`;
    site = await startGateway({
      upstream,
      env: { PORT: String(port) },
      config: { sites: [{ id: 'northwind', origins: [origin], secret: SECRET }] },
    });
  });

  afterAll(async () => {
    await site?.stop();
  });

  it('mints a token at token-endpoint (the site backend) and escalates with it', async () => {
    let minted = 0;
    const page = await browser.newPage();
    await page.route(`${origin}/api/tier-token`, async (route) => {
      minted += 1;
      const token = await site.mintToken('northwind', SECRET, origin);
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ token }) });
    });
    await page.route(`${origin}/e2e/page.html*`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE }),
    );
    const attrs = {
      gateway: '/',
      tiers: 'mid,frontier',
      'token-endpoint': '/api/tier-token',
      'conversation-key': 'e2e-token',
    };
    await page.goto(`${origin}/e2e/page.html?${new URLSearchParams(attrs)}`);
    await ask(page, 'What is the daily ATM withdrawal limit?');
    await badges(page).first().waitFor({ timeout: 30_000 });
    expect(['mid', 'frontier']).toContain(await badges(page).first().getAttribute('data-tier'));
    await ask(page, 'And for business accounts?');
    await badges(page).nth(1).waitFor({ timeout: 30_000 });
    expect(minted).toBe(1); // reused until it nears expiry
    await page.close();
  });

  it('without a token the gateway refuses and the element says so', async () => {
    const page = await browser.newPage();
    await page.route(`${origin}/e2e/page.html*`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE }),
    );
    await page.goto(
      `${origin}/e2e/page.html?${new URLSearchParams({ gateway: '/', tiers: 'mid', 'conversation-key': 'e2e-notoken' })}`,
    );
    await ask(page, 'What is the daily ATM withdrawal limit?');
    await page.locator('tier-assist .error').waitFor({ timeout: 30_000 });
    const code = await page.evaluate(
      () =>
        (window as unknown as { events: { type: string; detail: { code: string } }[] }).events.find(
          (e) => e.type === 'tier-error',
        )?.detail.code,
    );
    expect(code).toBe('unauthorized');
    expect(await page.locator('tier-assist .error').textContent()).toMatch(/token/i);
    await page.close();
  });
});
