/**
 * <tier-assist> end to end in Firefox ESR (over WebDriver BiDi): the built components (`npm run
 * build:components`) on a page served cross-origin isolated, the wasm engine on the generated tiny
 * GGUF, its IndexedDB model cache across a reload, escalation through a real gateway process with the
 * provider stand-in behind it, and redaction. The same page without isolation runs one thread. (The
 * probe's reasons for WebGPU and the Prompt API: test/firefox/probe.browser.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox } from '../support/firefox.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const COMPONENTS = resolve(import.meta.dirname, '../../dist/components');
const STAND_IN_REPLY = 'We will write to [EMAIL_1] with both mortgage options, compared year by year.';
const COMPLEX =
  'My e-mail is ann.lee@example.com. Compare the total interest paid on a 25-year and a 30-year fixed mortgage of 300,000 at 4.5%, derive the amortisation formula step by step, and explain the trade-offs for refinancing after 7 years.';
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tier-assist in Firefox</title>
<script type="module" src="/components/tier-assist.js"></script></head>
<body><main><script type="module">
  const params = new URLSearchParams(location.search);
  const el = document.createElement('tier-assist');
  for (const [k, v] of params) el.setAttribute(k, v);
  document.querySelector('main').append(el);
</script></main></body></html>`;

/** Downloads of the model (GET; the probe's HEAD only asks for its size). */
let modelDownloads = 0;

/** Serves the page (isolated under /iso/, plain under /plain/) and dist/components with CORP. */
function site(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/model.gguf' && req.method === 'GET') modelDownloads += 1;
  if (path === '/iso/page.html' || path === '/plain/page.html') {
    const headers = path.startsWith('/iso/') ? ISOLATION : {};
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(PAGE);
    return true;
  }
  if (!path.startsWith('/components/')) return false;
  const file = normalize(join(COMPONENTS, path.slice('/components/'.length)));
  if (!file.startsWith(COMPONENTS) || !existsSync(file)) return false;
  res
    .writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cross-origin-resource-policy': 'cross-origin',
    })
    .end(readFileSync(file));
  return true;
}

let upstream: Upstream;
let gateway: RunningGateway;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(COMPONENTS, 'tier-assist.js')))
    throw new Error('No built components: run `npm run build:components` first (npm run test:firefox does).');
  upstream = await startUpstream({ reply: STAND_IN_REPLY });
  [gateway, server, browser] = await Promise.all([
    startGateway({ upstream }),
    startStaticServer([site]),
    launchFirefox(),
  ]);
  server.set('/model.gguf', makeTinyLlamaGguf(), 'application/octet-stream');
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), upstream?.close(), server?.close()]);
});

async function open(kind: 'iso' | 'plain', attrs: Record<string, string>): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/${kind}/page.html?${new URLSearchParams(attrs)}`);
  await page.waitForFunction(() =>
    document.querySelector('tier-assist')?.shadowRoot?.querySelector('textarea'),
  );
  return page;
}

/** Text of the first element matching `selector` inside <tier-assist>'s shadow root. */
const shadowText = (page: Page, selector: string) =>
  page.evaluate(
    (s) => document.querySelector('tier-assist')?.shadowRoot?.querySelector(s)?.textContent ?? '',
    selector,
  );

/**
 * Waits until `selector` matches in <tier-assist>'s shadow root. Polls each frame: puppeteer's
 * waitForSelector watches document mutations, which do not include changes inside a shadow root.
 */
async function waitInShadow(page: Page, selector: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (s) => document.querySelector('tier-assist')?.shadowRoot?.querySelector(s) !== null,
    { timeout },
    selector,
  );
}

const clickShadow = async (page: Page, selector: string) => {
  await waitInShadow(page, selector, 30_000);
  const handle = await page.evaluateHandle(
    (s) => document.querySelector('tier-assist')!.shadowRoot!.querySelector<HTMLElement>(s)!,
    selector,
  );
  await handle.click();
};

/** Presses "Check this device" (a real click on the button found by its text). */
async function probe(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      [...(document.querySelector('tier-assist')?.shadowRoot?.querySelectorAll('button') ?? [])].some((b) =>
        b.textContent?.includes('Check this device'),
      ),
    { timeout: 30_000 },
  );
  const button = await page.evaluateHandle(() =>
    [...document.querySelector('tier-assist')!.shadowRoot!.querySelectorAll('button')].find((b) =>
      b.textContent?.includes('Check this device'),
    )!,
  );
  await button.click();
}

/** Probes, gives consent when the panel asks for it, and waits until the model is ready. */
async function downloadModel(page: Page): Promise<void> {
  await probe(page);
  // The panel answers the probe with a consent button, or goes straight to loading a cached model.
  const state = await page
    .waitForFunction(
      () => {
        const root = document.querySelector('tier-assist')?.shadowRoot;
        if (root?.querySelector('[part~="consent-button"]')) return 'consent';
        return (root?.textContent ?? '').includes('On-device model ready') ? 'ready' : false;
      },
      { timeout: 60_000 },
    )
    .catch(async (error: unknown) => {
      throw new Error(
        `The panel never offered or loaded the model; it says: ${await shadowText(page, '[part~="engine"]')}`,
        {
          cause: error,
        },
      );
    });
  if ((await state.jsonValue()) === 'consent') await clickShadow(page, '[part~="consent-button"]');
  await page.waitForFunction(
    () =>
      (document.querySelector('tier-assist')?.shadowRoot?.textContent ?? '').includes(
        'On-device model ready',
      ),
    { timeout: 60_000 },
  );
}

const shadowTier = (page: Page) =>
  page.evaluate(() =>
    document
      .querySelector('tier-assist')
      ?.shadowRoot?.querySelector('[part~="badge"]')
      ?.getAttribute('data-tier'),
  );

async function ask(page: Page, text: string): Promise<void> {
  await clickShadow(page, 'textarea');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await waitInShadow(page, '[part~="badge"]');
}

describe('<tier-assist> in Firefox', () => {
  it('an isolated page has SharedArrayBuffer, and the wasm engine answers on-device with several threads', async () => {
    const page = await open('iso', { tiers: 'local', model: '/model.gguf', 'conversation-key': 'ff-local' });
    expect(await page.evaluate(() => [crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([
      true,
      'function',
    ]);
    await downloadModel(page);
    const placement = await shadowText(page, '[part~="placement"]');
    const threads = Number(/(\d+) threads?/.exec(placement)?.[1]);
    expect(threads).toBe(Math.min(8, await page.evaluate(() => navigator.hardwareConcurrency)));
    expect(threads).toBeGreaterThan(1);
    await ask(page, 'Hi!');
    expect(await shadowTier(page)).toBe('local');
    expect(await shadowText(page, '[part~="answer"]')).toContain(TINY_REPLY);
    await page.close();
  });

  it('keeps the model in the IndexedDB cache: a reload loads it without downloading again', async () => {
    const before = modelDownloads;
    expect(before).toBeGreaterThan(0);
    const page = await open('iso', { tiers: 'local', model: '/model.gguf', 'conversation-key': 'ff-cache' });
    await downloadModel(page);
    await ask(page, 'Hello again');
    expect(await shadowText(page, '[part~="answer"]')).toContain(TINY_REPLY);
    expect(modelDownloads).toBe(before);
    const stores = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(stores.some((name) => name?.includes('model'))).toBe(true);
    // Only that cache: wllama gets the file as a Blob and never writes its OPFS cache (docs/engines.md).
    const opfs = await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const names: string[] = [];
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys())
        names.push(name);
      return names;
    });
    expect(opfs).toEqual([]);
    await page.close();
  });

  it('escalates through the gateway with the e-mail redacted, and restores it in the answer', async () => {
    const before = upstream.requests.length;
    const page = await open('iso', {
      gateway: gateway.url,
      model: '/model.gguf',
      quality: '0.9',
      privacy: 'redact',
      'conversation-key': 'ff-escalate',
    });
    await downloadModel(page);
    await ask(page, COMPLEX);
    const tier = await shadowTier(page);
    expect(['mid', 'frontier']).toContain(tier);
    await page.waitForFunction(
      () =>
        (document.querySelector('tier-assist')?.shadowRoot?.textContent ?? '').includes(
          'compared year by year',
        ),
      { timeout: 30_000 },
    );
    expect(await shadowText(page, '[part~="answer"]')).toContain('ann.lee@example.com');
    const sent = JSON.stringify(upstream.requests.slice(before).map((r) => r.body));
    expect(sent).toContain('[EMAIL_1]');
    expect(sent).not.toContain('ann.lee@example.com');
    await page.close();
  });

  it('with no usable model the panel says why, and questions go to the gateway', async () => {
    const page = await open('plain', {
      model: '/missing.gguf',
      gateway: gateway.url,
      'conversation-key': 'ff-probe',
    });
    expect(await page.evaluate(() => ['gpu' in navigator, 'LanguageModel' in globalThis])).toEqual([
      false,
      false,
    ]);
    await probe(page);
    await page.waitForFunction(
      () =>
        (document.querySelector('tier-assist')?.shadowRoot?.textContent ?? '').includes(
          'cannot run an on-device model',
        ),
      { timeout: 30_000 },
    );
    const panel = await shadowText(page, '[part~="engine"]');
    expect(panel).toMatch(/missing\.gguf is not available \(HTTP 404/);
    await ask(page, 'What are your opening hours?');
    expect(['mid', 'frontier']).toContain(await shadowTier(page));
    await page.close();
  });

  it('a page that is not isolated has no SharedArrayBuffer and runs the engine on one thread', async () => {
    const page = await open('plain', {
      tiers: 'local',
      model: '/model.gguf',
      'conversation-key': 'ff-plain',
    });
    expect(await page.evaluate(() => [crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([
      false,
      'undefined',
    ]);
    await downloadModel(page);
    expect(await shadowText(page, '[part~="placement"]')).toMatch(/1 thread\b/);
    await ask(page, 'Hi!');
    expect(await shadowText(page, '[part~="answer"]')).toContain(TINY_REPLY);
    await page.close();
  });
});
