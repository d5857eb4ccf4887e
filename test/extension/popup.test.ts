/**
 * The popup says which model runs where and at what speed this device measured, from the engine host's
 * status (the built extension in Chromium, the tiny generated GGUF on the wasm engine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../extension/shared/messaging.ts';
import { launchWithSite, waitForGhost, type ExtensionWithSite } from '../support/extension.ts';

describe('popup: model, where it runs, measured speed', () => {
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

  const text = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();

  it('no placement line before a model is loaded; after "Load model now", the model on the CPU', async () => {
    const popup = await env.ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#today');
    expect(await popup.$('#placement')).toBeNull();
    await popup.click('#load');
    await popup.waitForSelector('#placement', { timeout: 60_000 });
    expect(text(await popup.textContent('#placement [data-field="where"]'))).toMatch(
      /^model\.gguf \(self-hosted\) on the CPU(, \d+ threads?)?$/,
    );
    await popup.close();
  });

  it('after a suggestion the popup shows exactly what the engine host measured', async () => {
    const page = await env.openSitePage('/p.html');
    await page.click('#t');
    await page.keyboard.type('Hello');
    expect(await waitForGhost(page)).toBe(' world.');
    await page.close();

    const popup = await env.ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#placement');
    const answer = (await popup.evaluate(() =>
      chrome.runtime.sendMessage({ tierAssist: 1, name: 'status', payload: {} }),
    )) as { ok: boolean; result: EngineStatus };
    const status = answer.result;
    const where = text(await popup.textContent('#placement [data-field="where"]'));
    const speed = text(await popup.textContent('#placement [data-field="speed"]'));
    if (status.placement?.threads !== undefined)
      expect(where).toContain(`on the CPU, ${status.placement.threads} thread`);
    if (status.speed && status.speed.samples > 0) {
      expect(speed).toMatch(/^[\d.]+ tok\/s \(prompt [\d.]+ tok\/s, \d+ runs?\)$/);
      expect(speed).toContain(`${status.speed.samples} run`);
    } else {
      expect(speed).toMatch(/^speed not measured yet/);
    }
    if (status.placement?.note)
      expect(text(await popup.textContent('[data-field="note"]'))).toBe(text(status.placement.note));
    // A self-hosted model is the person's choice: no "chosen for this device" line.
    expect(await popup.$('[data-field="reason"]')).toBeNull();
    await popup.close();
    expect(env.ext.problems).toEqual([]);
  });
});
