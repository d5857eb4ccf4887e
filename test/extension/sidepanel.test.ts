import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithSite, type ExtensionWithSite, type LaunchedExtension } from '../support/extension.ts';

describe('side panel when the model cannot load', () => {
  let env: ExtensionWithSite;
  let ext: LaunchedExtension;

  beforeAll(async () => {
    // A model URL that does not exist (404 on a local server).
    env = await launchWithSite({ reply: null, modelPath: '/missing.gguf' });
    ext = env.ext;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('shows a menu job that cannot run with what to do next, and the router decision', async () => {
    const panel = await ext.openPage('extension/sidepanel/index.html');
    const worker = await ext.serviceWorker();
    await worker.evaluate(() =>
      (
        globalThis as unknown as { tierAssist: { runMenu(kind: string, text: string): Promise<unknown> } }
      ).tierAssist.runMenu('triage', 'My invoice is wrong and I was charged twice.'),
    );
    await panel.waitForSelector('#job[data-state="error"]');
    expect(await panel.getAttribute('#job [role="alert"]', 'data-code')).toBe('not_found');
    expect(await panel.textContent('#job [role="alert"]')).toContain('Check the model URL');
    // No gateway configured: the router may only pick the device.
    expect(await panel.textContent('#job .meta')).toContain('on this device');
    await panel.close();
  });

  it('shows the latest job when the panel opens later (after a worker restart)', async () => {
    await ext.stopServiceWorker();
    const panel = await ext.openPage('extension/sidepanel/index.html');
    await panel.waitForSelector('#job[data-kind="triage"]');
    await panel.close();
    expect(ext.problems).toEqual([]);
  });
});
