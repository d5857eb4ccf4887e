/** Nothing is downloaded until the person agrees: typing alone never fetches the model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ghostState,
  launchExtension,
  setOptions,
  waitForGhost,
  type LaunchedExtension,
} from '../support/extension.ts';
import { makeTinyLlamaGguf } from '../support/gguf.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';

describe('model download consent', () => {
  let ext: LaunchedExtension;
  let site: StaticServer;

  beforeAll(async () => {
    site = await startStaticServer();
    site.set('/model.gguf', makeTinyLlamaGguf({ reply: ' world.' }), 'application/octet-stream');
    site.set('/p.html', '<!doctype html><title>p</title><textarea id="t" aria-label="t"></textarea>');
    ext = await launchExtension({ webgpu: false });
    const notice = await setOptions(ext, {
      modelUrl: `${site.url}/model.gguf`,
      debounceMs: 100,
      allowDownload: false,
    });
    expect(notice).toBe('Saved.');
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('suggests nothing and downloads nothing before consent', async () => {
    const page = await ext.context.newPage();
    await page.goto(`${site.url}/p.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected');
    await page.click('#t');
    await page.keyboard.type('Hello');
    await page.waitForTimeout(600);
    expect((await ghostState(page)).state).not.toBe('visible');
    expect(site.hits.get('/model.gguf') ?? 0).toBe(0);
    await page.close();
  });

  it('"Load model now" in the popup is consent: the model loads and suggestions start', async () => {
    const popup = await ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#today');
    expect(await popup.textContent('#engine')).toContain('not downloaded');
    await popup.click('#load');
    await popup.waitForFunction(
      () => document.querySelector('#engine [data-field="state"]')?.textContent === 'loaded',
      undefined,
      { timeout: 60_000 },
    );
    expect(site.hits.get('/model.gguf')).toBe(1);
    await popup.close();

    const page = await ext.context.newPage();
    await page.goto(`${site.url}/p.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected');
    await page.click('#t');
    await page.keyboard.type('Hello');
    expect(await waitForGhost(page)).toBe(' world.');
    await page.close();
    expect(ext.problems).toEqual([]);
  });
});
