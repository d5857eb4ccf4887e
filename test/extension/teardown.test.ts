import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithSite, waitForGhost, type ExtensionWithSite } from '../support/extension.ts';

describe('content script teardown', () => {
  let env: ExtensionWithSite;

  beforeAll(async () => {
    env = await launchWithSite({
      reply: ' world.',
      pages: { '/p.html': '<!doctype html><title>p</title><textarea id="t" aria-label="t"></textarea>' },
      options: { debounceMs: 100 },
    });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('removes its UI and stops listening when the extension goes away', async () => {
    const { ext, site } = env;
    const page = await ext.context.newPage();
    await page.goto(`${site.url}/p.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierGhost === 'on');
    await page.click('#t');
    await page.keyboard.type('Hello');
    await waitForGhost(page);
    const worker = await ext.serviceWorker();
    await worker.evaluate(() => chrome.runtime.reload()).catch(() => undefined);
    // The old content script notices on the next event: overlay gone, no capture of Tab.
    await page.waitForTimeout(300);
    await page.keyboard.type(' again');
    await page.waitForFunction(() => document.documentElement.dataset.tierGhost === undefined);
    expect(await page.locator('tier-ghost-text').count()).toBe(0);
    await page.keyboard.press('Tab');
    expect(await page.inputValue('#t')).toBe('Hello again');
    await page.close();
  });
});
