/**
 * The extension's Firefox build (dist/extension-firefox, `npm run build:extension-firefox`) installed
 * into Firefox ESR over WebDriver BiDi: the options page saves the generated tiny GGUF as the model,
 * the event page hosts the wasm engine (no offscreen document in Firefox), and ghost text shows in a
 * textarea of a page on 127.0.0.1 and is accepted with Tab, and rewrites run on the device into the
 * sidebar (pasted there, or the tab's selection through the content script), as in Chrome
 * (test/extension/ghost-text.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_EXTENSION_PAGES, launchFirefox, openExtensionPage } from '../support/firefox.ts';
import { makeTinyLlamaGguf } from '../support/gguf.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';

const DIR = resolve(import.meta.dirname, '../../dist/extension-firefox');
const GECKO_ID = 'tier-assist@tier-assist.dev';
/** Fixed so the test can open the add-on's own pages (Firefox picks a random one per profile otherwise). */
const UUID = '5d1c9a3e-7f2b-4c61-9e0a-2b8f6d4c1a70';
const REPLY = ' world, from a tiny llama.';
const PAGE = `<!doctype html><html lang="en"><title>fields</title>
<textarea id="t" aria-label="notes" style="width:400px;height:80px;font:16px monospace"></textarea>
<script>
  window.inputs = [];
  document.addEventListener('input', (e) => window.inputs.push(e.inputType));
</script>`;

const extensionUrl = (path: string) => `moz-extension://${UUID}/${path}`;

async function waitForGhost(page: Page): Promise<string> {
  await page.waitForFunction(
    () => {
      const host = document.querySelector<HTMLElement>('tier-ghost-text');
      return (
        host?.dataset.state === 'visible' &&
        (host.shadowRoot?.querySelector('.ghost')?.textContent ?? '') !== ''
      );
    },
    { timeout: 60_000 },
  );
  return page.evaluate(
    () => document.querySelector('tier-ghost-text')?.shadowRoot?.querySelector('.ghost')?.textContent ?? '',
  );
}

describe('the Firefox build of the extension', () => {
  let browser: Browser;
  let site: StaticServer;

  beforeAll(async () => {
    if (!existsSync(resolve(DIR, 'manifest.json')))
      throw new Error(
        'No Firefox build: run `npm run build:extension-firefox` first (npm run test:firefox does).',
      );
    site = await startStaticServer();
    site.set('/model.gguf', makeTinyLlamaGguf({ reply: REPLY }), 'application/octet-stream');
    site.set('/fields.html', PAGE);
    browser = await launchFirefox(
      { 'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: UUID }) },
      ALLOW_EXTENSION_PAGES,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('has a gecko id, an event page and a sidebar instead of Chrome-only keys', () => {
    const manifest = JSON.parse(readFileSync(resolve(DIR, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.browser_specific_settings).toMatchObject({ gecko: { id: GECKO_ID } });
    expect(manifest.background).toEqual({ page: 'extension/background/event-page.html' });
    expect(manifest.sidebar_action).toMatchObject({ default_panel: 'extension/sidepanel/index.html' });
    expect(manifest).not.toHaveProperty('side_panel');
    expect(manifest.permissions).not.toContain('offscreen');
    expect(existsSync(resolve(DIR, 'extension/background/event-page.html'))).toBe(true);
  });

  it('installs over BiDi, saves the model in its options page, and Tab accepts a ghost-text suggestion', async () => {
    const id = await browser.installExtension(DIR);
    expect(id).toBe(GECKO_ID);

    const options = await openExtensionPage(
      browser,
      extensionUrl('extension/options/index.html'),
      '#settings',
    );
    await options.click('#model-url', { count: 3 });
    await options.type('#model-url', `${site.url}/model.gguf`);
    if (!(await options.$eval('#model-download', (box) => (box as HTMLInputElement).checked)))
      await options.click('#model-download');
    await options.click('button[type="submit"]');
    await options.waitForFunction(() => (document.getElementById('notice')?.textContent ?? '') !== '');
    expect(await options.$eval('#notice', (n) => n.textContent)).toBe('Saved.');
    await options.close();

    const page = await browser.newPage();
    await page.goto(`${site.url}/fields.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected', {
      timeout: 30_000,
    });
    await page.click('#t');
    await page.keyboard.type('Hello', { delay: 10 });
    const ghost = await waitForGhost(page);
    expect(ghost).toBe(REPLY);
    await page.keyboard.press('Tab');
    expect(await page.$eval('#t', (t) => (t as HTMLTextAreaElement).value)).toBe(`Hello${REPLY}`);
    expect(await page.evaluate(() => (window as unknown as { inputs: string[] }).inputs)).toContain(
      'insertText',
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('t');
    expect(site.hits.get('/model.gguf')).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('rewrites text pasted in its sidebar on the device, as in Chrome', async () => {
    const panel = await openExtensionPage(browser, extensionUrl('extension/sidepanel/index.html'), '#text');
    await panel.type('#text', 'pls send me the report asap thx');
    await panel.click('button[value="rewrite-clearer"]');
    await panel.waitForSelector('#job[data-state="done"]', { timeout: 60_000 });
    expect(await panel.$eval('#job', (job) => job.getAttribute('data-kind'))).toBe('rewrite-clearer');
    expect(await panel.$eval('#job .meta', (meta) => meta.textContent)).toContain('on this device');
    expect(await panel.$eval('#result', (result) => result.textContent)).toBe(REPLY.trim());
    await panel.close();
  });

  it('the keyboard command takes the selected text from the tab through the content script into the sidebar', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/fields.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected', {
      timeout: 30_000,
    });
    await page.click('#t');
    await page.keyboard.type('Please make this sentence better.');
    await page.evaluate(() => (document.getElementById('t') as HTMLTextAreaElement).select());
    const panel = await openExtensionPage(browser, extensionUrl('extension/sidepanel/index.html'), '#text');
    // What the command's listener does (BiDi cannot press an add-on's shortcut): the event page asks
    // the tab's content script for the selection and runs the rewrite on it.
    await panel.evaluate(async (pageUrl: string) => {
      const ext = (globalThis as unknown as { browser: typeof chrome }).browser;
      // Firefox's match patterns take no port (they match any): http://127.0.0.1/fields.html.
      const { protocol, hostname, pathname } = new URL(pageUrl);
      const [tab] = await ext.tabs.query({ url: `${protocol}//${hostname}${pathname}` });
      const background = (await (
        ext.runtime as unknown as { getBackgroundPage(): Promise<Window> }
      ).getBackgroundPage()) as Window & {
        tierAssist: { runCommand(kind: string, tabId: number): Promise<unknown> };
      };
      await background.tierAssist.runCommand('rewrite-polite', tab!.id!);
    }, page.url());
    await panel.waitForSelector('#job[data-kind="rewrite-polite"][data-state="done"]', { timeout: 60_000 });
    expect(await panel.$eval('#job details p', (input) => input.textContent)).toBe(
      'Please make this sentence better.',
    );
    expect(await panel.$eval('#result', (result) => result.textContent)).toBe(REPLY.trim());
    await panel.close();
    await page.close();
  });

  it('its popup shows the model the event page loaded, on WebAssembly, and no engine problems', async () => {
    const popup = await openExtensionPage(browser, extensionUrl('extension/popup/index.html'), 'body');
    await popup.waitForFunction(() => /model\.gguf/.test(document.body.innerText), { timeout: 30_000 });
    const text = await popup.evaluate(() => document.body.innerText);
    expect(text).toContain('WebAssembly (CPU)');
    expect(text).not.toMatch(/loading|error|failed/i);
    await popup.close();
  });
});
