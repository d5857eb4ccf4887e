import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, setOptions, type LaunchedExtension } from '../support/extension.ts';

describe('options page', () => {
  let ext: LaunchedExtension;

  beforeAll(async () => {
    ext = await launchExtension({ webgpu: false });
  });

  afterAll(async () => {
    await ext?.close();
  });

  const stored = async () => {
    const worker = await ext.serviceWorker();
    return worker.evaluate(async () => (await chrome.storage.local.get('settings')).settings as unknown);
  };

  it('saves valid settings', async () => {
    expect(await setOptions(ext, { gatewayUrl: 'http://127.0.0.1:9/', debounceMs: 300 })).toBe('Saved.');
    expect(await stored()).toMatchObject({
      version: 4,
      gateway: { url: 'http://127.0.0.1:9/' },
      autocomplete: { debounceMs: 300 },
    });
  });

  it('offers "Automatic" first and says what it picks on this device, and why', async () => {
    const page = await ext.openPage('extension/options/index.html');
    await page.waitForSelector('#settings');
    await page.waitForFunction(
      () => !document.getElementById('model-auto')?.textContent?.includes('Checking'),
    );
    const first = await page.$eval('#model-id option', (o) => ({
      value: (o as HTMLOptionElement).value,
      text: o.textContent?.replace(/\s+/g, ' ').trim(),
    }));
    // This Chromium runs without a GPU adapter: the small CPU model, never the 1B one.
    expect(first.value).toBe('auto');
    expect(first.text).toMatch(
      /^Automatic \(recommended for this device\): SmolLM2 135M Instruct .* 145 MB download$/,
    );
    const why = (await page.textContent('#model-auto'))?.replace(/\s+/g, ' ') ?? '';
    expect(why).toMatch(/Automatic picks SmolLM2 135M Instruct \(Q8_0, CPU\) here: No usable WebGPU/);
    expect(why).toMatch(/the CPU/);
    await page.close();
  });

  it('marks an invalid gateway URL on its field and keeps the old settings', async () => {
    const before = await stored();
    const page = await ext.openPage('extension/options/index.html');
    await page.waitForSelector('#settings');
    await page.fill('#gateway-url', 'ftp://nope');
    await page.fill('#debounce', '500');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-error-for="gateway.url"]');
    expect(await page.getAttribute('#gateway-url', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('gateway-url');
    expect(await page.textContent('#notice')).toContain('previous settings');
    expect(await stored()).toEqual(before);
    await page.close();
  });

  it('explains what leaves the device and lists the shortcuts', async () => {
    const page = await ext.openPage('extension/options/index.html');
    await page.waitForSelector('#leaves');
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain('Autocomplete never leaves the device');
    expect(text).toContain('Rewrite the selected text: clearer');
    // Every command has a name, the toolbar button's too (Chrome lists it with an empty description).
    const shortcuts = await page.$$eval('[aria-labelledby="keys"] li', (items) =>
      items.map((li) => li.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
    );
    expect(shortcuts.filter((line) => /^:/.test(line))).toEqual([]);
    expect(shortcuts).toContainEqual(expect.stringMatching(/^Open the tier-assist popup: /));
    await page.click('text=Show cached models');
    await page.waitForSelector('#cache', { state: 'attached' });
    expect(await page.textContent('#cache-h + p')).toMatch(/Using [\d.]+ MB of [\d.]+ MB/);
    await page.close();
    expect(ext.problems).toEqual([]);
  });
});
