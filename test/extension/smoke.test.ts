import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, type LaunchedExtension } from '../support/extension.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';

describe('extension harness', () => {
  let ext: LaunchedExtension;
  let site: StaticServer;

  beforeAll(async () => {
    site = await startStaticServer();
    site.set('/page.html', '<!doctype html><title>t</title><textarea aria-label="notes"></textarea>');
    ext = await launchExtension();
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('starts the service worker with the pinned extension id', async () => {
    const worker = await ext.serviceWorker();
    expect(worker.url()).toContain('chrome-extension://okfjjcgkhpnlommigaoabffdndjnkkdn/');
    expect(ext.extensionId).toBe('okfjjcgkhpnlommigaoabffdndjnkkdn');
  });

  it('attaches the content script to a page on 127.0.0.1 and reaches the background', async () => {
    const page = await ext.context.newPage();
    await page.goto(`${site.url}/page.html`);
    await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected');
    await page.close();
  });

  it('answers from the popup, and again after the worker is stopped through CDP', async () => {
    const popup = await ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#today [data-tier="local"]');
    await ext.stopServiceWorker();
    await popup.reload();
    await popup.waitForSelector('#today [data-tier="local"]');
    expect(await popup.textContent('#engine')).toContain('WebGPU');
    expect(ext.problems).toEqual([]);
  });
});
