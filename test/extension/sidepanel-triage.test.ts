/**
 * The side panel's `<tier-triage>` in the built extension: a pasted ticket gets the classifier's
 * category with a confidence, a keyboard correction changes the value and the tags, the context
 * menu's "Triage this ticket" job lands in the element, and, once the model download is allowed, the
 * element's LLM fields come from the extension's shared engine host (wasm engine on a generated tiny
 * GGUF whose only answer is a valid triage JSON) through the HostEngine adapter.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostEngine } from '../../extension/sidepanel/engine.ts';
import type { Payload, Results } from '../../extension/shared/messaging.ts';
import type { ModelDescriptor } from '../../src/engines/types.ts';
import { EngineUnavailableError, NotFoundError } from '../../src/errors.ts';
import {
  launchExtension,
  launchWithSite,
  type ExtensionWithSite,
  type LaunchedExtension,
} from '../support/extension.ts';

const PANEL = 'extension/sidepanel/index.html';
const TICKET = 'I want my money back, please refund my last order.';

/** The element's field cell (confidence + source) and value for `field`. */
async function field(panel: Page, name: string): Promise<{ value: string; cell: string }> {
  const value = await panel.locator(`tier-triage #f-${name}`).inputValue();
  const cell = (await panel.locator(`tier-triage td[data-field="${name}"]`).textContent()) ?? '';
  return { value, cell: cell.replace(/\s+/g, ' ').trim() };
}

async function openPanel(ext: LaunchedExtension): Promise<Page> {
  const panel = await ext.openPage(PANEL);
  // The classifier (starter model, or the one corrections saved) is loaded in the element's worker.
  await panel.waitForFunction(() => document.querySelector('tier-triage')?.ready);
  await panel.evaluate(() => document.querySelector('tier-triage')!.ready);
  return panel;
}

/** The ledger's records (src/ledger, IndexedDB `tier-ledger` of the extension origin), read raw from `page`. */
async function ledgerRecords(page: Page): Promise<
  {
    surface: string;
    task: string;
    tier: string;
    inputTokens: number;
    outputTokens: number;
    totalMs: number;
    frontierNanos: number;
    costNanos: number;
  }[]
> {
  return page.evaluate(async () => {
    // Opening a database that does not exist yet would create an empty one: look first.
    if (!(await indexedDB.databases()).some((d) => d.name === 'tier-ledger')) return [];
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('tier-ledger');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('requests')) {
          db.close();
          resolve([]);
          return;
        }
        const all = db.transaction('requests').objectStore('requests').getAll();
        all.onsuccess = () => {
          db.close();
          resolve(all.result);
        };
        all.onerror = () => reject(all.error);
      };
    });
  });
}

/** Engine generations the offscreen host ran so far (its status; 0 before it exists). */
async function generations(page: Page): Promise<number> {
  const status = (await page.evaluate(() =>
    chrome.runtime.sendMessage({ tierAssist: 1, name: 'status', payload: {} }),
  )) as { result: { generations?: number } };
  return status.result.generations ?? 0;
}

async function runMenu(ext: LaunchedExtension, kind: string, text: string): Promise<void> {
  const worker = await ext.serviceWorker();
  await worker.evaluate(
    ([k, t]) =>
      (
        globalThis as unknown as { tierAssist: { runMenu(kind: string, text: string): Promise<unknown> } }
      ).tierAssist.runMenu(k!, t!),
    [kind, text],
  );
}

describe('side panel triage with the classifier only (no model download allowed)', () => {
  let ext: LaunchedExtension;

  beforeAll(async () => {
    ext = await launchExtension({ webgpu: false });
  });

  afterAll(async () => {
    await ext?.close();
  });

  it('triages a pasted ticket and a keyboard correction changes the value and the tags', async () => {
    const panel = await openPanel(ext);
    expect(await panel.textContent('#triage-engine')).toContain('allow the model download');
    await panel.locator('tier-triage #ticket').fill(TICKET);
    await panel.locator('tier-triage #ticket').press('Control+Enter');
    await panel.locator('tier-triage #f-category').waitFor();

    const before = await field(panel, 'category');
    expect(before.value).toBe('get_refund');
    expect(before.cell).toMatch(/^\d{1,3}% confidence · classifier$/);
    // Classifier only: no LLM fields, no network.
    expect(await panel.locator('tier-triage #f-priority').count()).toBe(0);
    const tags = panel.locator('tier-triage [part="tags"]');
    expect(await tags.textContent()).toBe('intent__get_refund');

    // Correct with the keyboard: Tab to the select, ArrowDown picks the next category.
    await panel.locator('tier-triage #f-category').focus();
    await panel.keyboard.press('ArrowDown');
    await panel.waitForFunction(() =>
      document
        .querySelector('tier-triage')
        ?.shadowRoot?.querySelector('td[data-field="category"]')
        ?.textContent?.includes('agent'),
    );
    const after = await field(panel, 'category');
    expect(after.value).not.toBe('get_refund');
    expect(after.cell).toContain('agent');
    expect(await tags.textContent()).toBe(`intent__${after.value}`);
    expect(await panel.locator('tier-triage pre[part="json"]').textContent()).toContain(
      `"value": "${after.value}"`,
    );
    await panel.close();
  });

  it('the context menu "Triage this ticket" job lands in the element', async () => {
    const panel = await openPanel(ext);
    const text = 'Where is my parcel? I need to track my order 555.';
    await runMenu(ext, 'triage', text);
    // The element triages it (classifier only: no download allowed) and the job line says so...
    await panel.waitForSelector('#job[data-kind="triage"][data-state="done"]');
    expect(await panel.textContent('#job .meta')).toContain('by the classifier');
    expect(await panel.textContent('#job .triage')).toContain('category: track_order');
    // ...and the ticket is in the element, triaged by the classifier.
    expect(await panel.locator('tier-triage #ticket').inputValue()).toBe(text);
    await panel.locator('tier-triage #f-category').waitFor();
    expect((await field(panel, 'category')).value).toBe('track_order');
    expect(await panel.locator('tier-triage [part="tags"]').textContent()).toBe('intent__track_order');
    await panel.close();
    expect(ext.problems).toEqual([]);
  });
});

describe('side panel triage on the extension engine host', () => {
  let ext: LaunchedExtension;
  let env: ExtensionWithSite;
  const ANSWER =
    '{"category":"get_refund","priority":"high","sentiment":"negative","language":"en","summary":"Wants a refund","reply":"Sorry! Your refund is on its way."}';

  beforeAll(async () => {
    env = await launchWithSite({ reply: ANSWER });
    ext = env.ext;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('fills the LLM fields from the shared on-device engine (JSON schema constrained)', async () => {
    const panel = await openPanel(ext);
    expect(await panel.textContent('#triage-engine')).toContain('from the on-device model');
    await panel.locator('tier-triage #ticket').fill(TICKET);
    await panel.locator('tier-triage button.primary').click();
    await panel.locator('tier-triage #f-priority').waitFor({ timeout: 60_000 });
    expect(await field(panel, 'priority')).toMatchObject({ value: 'high' });
    expect((await field(panel, 'priority')).cell).toContain('device');
    expect((await field(panel, 'reply')).value).toBe('Sorry! Your refund is on its way.');
    expect((await field(panel, 'category')).value).toBe('get_refund');
    expect(await panel.locator('tier-triage [part="tags"]').textContent()).toContain('priority__high');
    // The one engine host answered it (loaded once, shared with ghost text and jobs).
    const status = await panel.evaluate(() =>
      chrome.runtime.sendMessage({ tierAssist: 1, name: 'status', payload: {} }),
    );
    expect(status).toMatchObject({ ok: true, result: { state: 'ready', kind: 'wasm' } });
    await panel.close();
    expect(ext.problems).toEqual([]);
  });
});

describe('one context-menu triage: one model run, shown in the panel, booked in the ledger', () => {
  let ext: LaunchedExtension;
  let env: ExtensionWithSite;
  const ANSWER =
    '{"category":"track_order","priority":"normal","sentiment":"neutral","language":"en","summary":"Asks where the parcel is","reply":"Your parcel is on its way."}';

  beforeAll(async () => {
    env = await launchWithSite({ reply: ANSWER });
    ext = env.ext;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('runs the engine exactly once and the panel shows the device answer', async () => {
    const panel = await openPanel(ext);
    // Load the model first (the person's "Load model now"), so the count below is the triage alone.
    await panel.evaluate(() => chrome.runtime.sendMessage({ tierAssist: 1, name: 'load', payload: {} }));
    const before = await generations(panel);
    const recordsBefore = (await ledgerRecords(panel)).length;
    await runMenu(ext, 'triage', 'Where is my parcel? I need to track my order 555.');
    await panel.waitForSelector('#job[data-kind="triage"][data-state="done"]', { timeout: 60_000 });
    expect(await panel.textContent('#job .meta')).toContain('on this device');
    expect(await panel.textContent('#job .triage')).toContain('priority: normal');
    expect(await panel.textContent('#result')).toBe('Your parcel is on its way.');
    expect(await field(panel, 'priority')).toMatchObject({ value: 'normal' });
    expect((await field(panel, 'priority')).cell).toContain('device');
    // Let anything queued behind it (a second run, as before) reach the host before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await generations(panel)) - before).toBe(1);

    // Booked: one on-device triage record with tokens, latency and what it saved vs the frontier tier.
    await expect
      .poll(async () => (await ledgerRecords(panel)).length, { timeout: 10_000 })
      .toBeGreaterThan(recordsBefore);
    const added = (await ledgerRecords(panel)).slice(recordsBefore);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ surface: 'extension-triage', task: 'triage', tier: 'local' });
    expect(added[0]!.inputTokens).toBeGreaterThan(20);
    expect(added[0]!.outputTokens).toBeGreaterThan(10);
    expect(added[0]!.totalMs).toBeGreaterThan(0);
    expect(added[0]!.frontierNanos).toBeGreaterThan(added[0]!.costNanos);

    // A panel opened later shows the published result and does not triage it again.
    const later = await openPanel(ext);
    await later.waitForSelector('#job[data-kind="triage"][data-state="done"]');
    expect(await later.textContent('#job .triage')).toContain('priority: normal');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await generations(later)) - before).toBe(1);
    await later.close();
    await panel.close();
  });

  it('the popup counts it and its savings figure includes it', async () => {
    const popup = await ext.openPage('extension/popup/index.html');
    await popup.waitForSelector('#today');
    // The model load above made no request; the triage is the one on-device request today.
    expect(Number(await popup.textContent('#today [data-tier="local"]'))).toBe(1);
    expect(await popup.textContent('#today [data-field="saved"]')).toMatch(/^\$0\.\d*[1-9]\d*$/);
    await popup.close();
  });

  it('a rewrite from the panel form is booked too (by the background job)', async () => {
    const panel = await openPanel(ext);
    const before = (await ledgerRecords(panel)).length;
    await panel.fill('#text', 'pls send me the report asap thx');
    await panel.click('button[value="rewrite-shorter"]');
    await panel.waitForSelector('#job[data-kind="rewrite-shorter"][data-state="done"]', { timeout: 60_000 });
    await expect
      .poll(async () => (await ledgerRecords(panel)).length, { timeout: 10_000 })
      .toBeGreaterThan(before);
    const added = (await ledgerRecords(panel)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ task: 'rewrite', tier: 'local' });
    expect(added[0]!.frontierNanos).toBeGreaterThan(0);
    await panel.close();
    expect(ext.problems).toEqual([]);
  });
});

describe('HostEngine (the LocalEngine the side panel gives <tier-triage>), against a stand-in port', () => {
  const MODEL: ModelDescriptor = {
    id: 'tiny.gguf',
    label: 'tiny',
    sizeBytes: 1,
    memoryBytes: 1,
    engine: 'wasm',
    url: 'http://127.0.0.1/tiny.gguf',
  };
  type Sent = { name: string; payload: unknown };

  /** A port like the engine host's: `answer` decides each engine.generate reply. */
  function port(
    answer: (payload: Payload<'engine.generate'>, call: number) => Promise<Results['engine.generate']>,
  ) {
    const sent: Sent[] = [];
    let calls = 0;
    return {
      sent,
      request: async (name: string, payload: unknown): Promise<never> => {
        sent.push({ name, payload });
        if (name === 'engine.generate')
          return answer(payload as Payload<'engine.generate'>, ++calls) as Promise<never>;
        return { cancelled: true } as never;
      },
    };
  }
  const ok = (text: string): Results['engine.generate'] => ({
    text,
    finishReason: 'stop',
    engineMs: 5,
    hostMs: 6,
    model: 'tiny.gguf',
  });

  it('sends chat with the JSON schema to the host and returns its text', async () => {
    const p = port(async () => ok('{"a":1}'));
    const engine = new HostEngine(MODEL, { port: p, wake: async () => undefined });
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const stream = engine.chat([{ role: 'user', content: 'hi' }], { jsonSchema: schema, maxTokens: 400 });
    const deltas: string[] = [];
    for await (const d of stream) deltas.push(d);
    expect(deltas).toEqual(['{"a":1}']);
    expect(await stream.result).toMatchObject({ text: '{"a":1}', finishReason: 'stop', model: 'tiny.gguf' });
    expect(p.sent[0]).toMatchObject({
      name: 'engine.generate',
      payload: {
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        jsonSchema: schema,
        maxTokens: 400,
      },
    });
    expect(engine.capabilities).toMatchObject({ kind: 'wasm', jsonSchema: true, gpu: false });
  });

  it('wakes the host through the background when nothing answers on the port, then retries once', async () => {
    let woken = 0;
    const p = port(async (_, call) => {
      if (call === 1) throw new EngineUnavailableError('Nothing answers on "tierAssist:engine".');
      return ok('done');
    });
    const engine = new HostEngine(MODEL, { port: p, wake: async () => ++woken });
    expect((await engine.complete('Hello').result).text).toBe('done');
    expect(woken).toBe(1);
    expect(p.sent.map((s) => s.name)).toEqual(['engine.generate', 'engine.generate']);
  });

  it('passes the host errors on (a model that cannot load) without waking it', async () => {
    let woken = 0;
    const p = port(async () => {
      throw new NotFoundError('The model URL answered 404: check the model URL in the options.');
    });
    const engine = new HostEngine(MODEL, { port: p, wake: async () => ++woken });
    await expect(engine.chat([{ role: 'user', content: 'x' }]).result).rejects.toBeInstanceOf(NotFoundError);
    expect(woken).toBe(0);
  });

  it('abort cancels the generation on the host by id and ends with finishReason abort', async () => {
    let release: () => void = () => undefined;
    const p = port(
      () =>
        new Promise((_, reject) => {
          release = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        }),
    );
    const engine = new HostEngine(MODEL, { port: p, wake: async () => undefined });
    const controller = new AbortController();
    const stream = engine.chat([{ role: 'user', content: 'x' }], { signal: controller.signal });
    await Promise.resolve();
    controller.abort();
    release();
    expect(await stream.result).toMatchObject({ text: '', finishReason: 'abort' });
    const id = (p.sent[0]!.payload as { id: string }).id;
    expect(p.sent).toContainEqual({ name: 'cancel', payload: { id } });
  });
});
