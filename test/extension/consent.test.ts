/** Nothing is downloaded until the person agrees: typing alone never fetches the model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ghostState,
  launchWithSite,
  waitForGhost,
  type ExtensionWithSite,
  type LaunchedExtension,
} from '../support/extension.ts';
import type { StaticServer } from '../support/static-server.ts';

describe('model download consent', () => {
  let env: ExtensionWithSite;
  let ext: LaunchedExtension;
  let site: StaticServer;

  beforeAll(async () => {
    env = await launchWithSite({
      reply: ' world.',
      pages: { '/p.html': '<!doctype html><title>p</title><textarea id="t" aria-label="t"></textarea>' },
      options: { debounceMs: 100, allowDownload: false },
    });
    ({ ext, site } = env);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('suggests nothing and downloads nothing before consent', async () => {
    const page = await env.openSitePage('/p.html');
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

    const page = await env.openSitePage('/p.html');
    await page.click('#t');
    await page.keyboard.type('Hello');
    expect(await waitForGhost(page)).toBe(' world.');
    await page.close();
    expect(ext.problems).toEqual([]);
  });
});
