import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, setOptions, waitForGhost, type LaunchedExtension } from '../support/extension.ts';
import { makeTinyLlamaGguf } from '../support/gguf.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';

describe('content script teardown', () => {
  let ext: LaunchedExtension;
  let site: StaticServer;

  beforeAll(async () => {
    site = await startStaticServer();
    site.set('/model.gguf', makeTinyLlamaGguf({ reply: ' world.' }), 'application/octet-stream');
    site.set('/p.html', '<!doctype html><title>p</title><textarea id="t" aria-label="t"></textarea>');
    ext = await launchExtension({ webgpu: false });
    expect(await setOptions(ext, { modelUrl: `${site.url}/model.gguf`, debounceMs: 100 })).toBe('Saved.');
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('removes its UI and stops listening when the extension goes away', async () => {
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
