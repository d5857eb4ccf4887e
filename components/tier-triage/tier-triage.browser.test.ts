import axe from 'axe-core';
import { deleteDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { InvalidInputError } from '../../src/errors.ts';
import type { ModelJson } from '../../src/triage/schema.ts';
import './tier-triage.ts';
import type { TierTriage } from './tier-triage.ts';

const stores: string[] = [];
const elements: HTMLElement[] = [];
afterEach(async () => {
  for (const el of elements.splice(0)) el.remove();
  for (const name of stores.splice(0)) await deleteDB(name);
});

let counter = 0;
async function mount(
  storeName = `triage-test-${Date.now()}-${counter++}`,
  attrs: Record<string, string> = {},
): Promise<TierTriage> {
  if (!stores.includes(storeName)) stores.push(storeName);
  const el = document.createElement('tier-triage');
  el.setAttribute('store-name', storeName);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  elements.push(el);
  await el.ready.catch(async (error: unknown) => {
    await el.updateComplete;
    throw new Error(
      `not ready: ${String(error)} / ${el.shadowRoot?.querySelector('[part~="message"]')?.textContent ?? ''}`,
    );
  });
  await el.updateComplete;
  return el;
}

const shadowText = (el: TierTriage, selector: string) =>
  el.shadowRoot!.querySelector(selector)?.textContent ?? '';

const TEAM = [
  ...[
    'the app crashes when I open it',
    'app keeps crashing on start',
    'crash after the update',
    'the app closes by itself',
    'app freezes and crashes',
  ].map((text) => ({ text, label: 'bug' })),
  ...[
    'please add dark mode',
    'feature request: export to csv',
    'could you add a calendar view',
    'it would be great to have offline mode',
    'add support for two factor login',
  ].map((text) => ({ text, label: 'feature_request' })),
  ...[
    'I was charged twice this month',
    'my invoice is wrong',
    'refund the double charge',
    'billing error on my card',
    'why was I billed again',
  ].map((text) => ({ text, label: 'billing' })),
];

describe('<tier-triage>', () => {
  it('starts useful with the starter model and is accessible', async () => {
    const el = await mount();
    expect(el.labels).toContain('cancel_order');
    const record = await el.triage('Hello, I would like to cancel the order I placed yesterday please');
    expect(record.fields.category?.value).toBe('cancel_order');
    expect(record.tags).toContain('intent__cancel_order');
    await el.updateComplete;
    expect(shadowText(el, '[part~="tags"]')).toContain('intent__cancel_order');
    const result = await axe.run(el, { rules: { region: { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
  });

  it('trains in a worker, predicts, and a keyboard correction changes the next prediction (kept across reload)', async () => {
    const store = `triage-correct-${Date.now()}`;
    const el = await mount(store, { 'retrain-every': '0' });
    // training reports its epochs (linear model, then hidden layer) and shows a progress bar meanwhile
    const epochs: string[] = [];
    const bars: (string | null)[] = [];
    const onProgress = (e: CustomEvent<{ done: number; total: number; phase: string }>): void => {
      epochs.push(`${e.detail.phase} ${e.detail.done}/${e.detail.total}`);
      void el.updateComplete.then(() =>
        bars.push(
          el.shadowRoot!.querySelector('progress[aria-label="Training progress"]')?.getAttribute('value') ??
            null,
        ),
      );
    };
    el.addEventListener('tier-triage-progress', onProgress);
    const trained = await el.trainFrom(TEAM);
    el.removeEventListener('tier-triage-progress', onProgress);
    expect(trained.labels).toEqual(['billing', 'bug', 'feature_request']);
    expect(epochs).toHaveLength(23);
    expect(epochs[0]).toBe('training 1/23');
    expect(epochs.at(-1)).toBe('training 23/23');
    expect(bars.slice(0, 3)).toEqual(['1', '2', '3']);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('progress')).toBeNull();
    const ticket = 'the export button crashes the app';
    expect((await el.triage('I was billed twice, please refund')).fields.category?.value).toBe('billing');
    const before = await el.triage(ticket);
    expect(before.fields.category?.value).toBe('bug');

    // correct with the keyboard in the rendered select
    await el.updateComplete;
    const corrected = new Promise((resolve) =>
      el.addEventListener('tier-triage-correct', resolve, { once: true }),
    );
    const select = el.shadowRoot!.querySelector<HTMLSelectElement>('#f-category')!;
    select.focus();
    await userEvent.keyboard('{ArrowDown}'); // bug -> feature_request (options are sorted)
    if (select.value !== 'feature_request') {
      select.value = 'feature_request';
      select.dispatchEvent(new Event('change'));
    }
    await corrected;
    expect(el.records.at(-1)!.fields.category).toMatchObject({ value: 'feature_request', source: 'agent' });
    expect((await el.triage(ticket)).fields.category?.value).toBe('feature_request');

    // "reload": a new element on the same IndexedDB store keeps the corrected model
    el.remove();
    const again = await mount(store);
    expect(again.labels).toEqual(['billing', 'bug', 'feature_request']);
    expect((await again.triage(ticket)).fields.category?.value).toBe('feature_request');
    const retrained = await again.retrain();
    expect(retrained.examples).toBe(1);
  });

  it('retrains automatically every N corrections', async () => {
    const el = await mount(undefined, { 'retrain-every': '2' });
    await el.trainFrom(TEAM);
    const retrains: number[] = [];
    el.addEventListener('tier-triage-retrain', (e) => retrains.push(e.detail.examples));
    await el.triage('app crashes when I pay');
    await el.correct('category', 'billing');
    expect(retrains).toEqual([]);
    await el.triage('dark theme please');
    await el.correct('category', 'feature_request');
    expect(retrains).toEqual([2]);
  });

  it('exports and imports a model (round trip), and refuses a bad file without losing the current model', async () => {
    const a = await mount();
    await a.trainFrom(TEAM);
    const json: ModelJson = await a.exportModel();
    expect(json.labels).toEqual(['billing', 'bug', 'feature_request']);
    const b = await mount();
    expect(b.labels).toContain('cancel_order'); // starter
    await b.importModel(JSON.parse(JSON.stringify(json)));
    expect(b.labels).toEqual(json.labels);
    const text = 'add a button to export my data';
    const [ra, rb] = [await a.triage(text), await b.triage(text)];
    expect(rb.fields.category?.value).toBe(ra.fields.category?.value);
    expect(rb.fields.category?.confidence).toBeCloseTo(ra.fields.category!.confidence, 5);
    await expect(b.importModel({ format: 'something-else' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(b.labels).toEqual(json.labels);
    await b.updateComplete;
    expect(shadowText(b, '[part~="message"]')).toMatch(/not a tier-triage model/);
  });

  it('triages a queue of 200 tickets with progress, and cancel keeps what is done', async () => {
    const el = await mount();
    const tickets = Array.from(
      { length: 200 },
      (_, i) => `Ticket ${i}: where is my order? It has not arrived yet`,
    );
    const progress: number[] = [];
    const onProgress = (e: CustomEvent<{ done: number }>) => {
      progress.push(e.detail.done);
      if (e.detail.done === 50) el.cancel();
    };
    el.addEventListener('tier-triage-progress', onProgress);
    const partial = await el.triageQueue(tickets);
    expect(partial.length).toBeGreaterThanOrEqual(50);
    expect(partial.length).toBeLessThan(200);
    expect(el.records.length).toBe(partial.length);
    await el.updateComplete;
    expect(shadowText(el, '[part~="message"]')).toMatch(/Cancelled after/);
    el.removeEventListener('tier-triage-progress', onProgress);
    progress.length = 0;
    el.addEventListener('tier-triage-progress', (e) => progress.push(e.detail.done));
    const t0 = performance.now();
    const all = await el.triageQueue(tickets);
    const ms = performance.now() - t0;
    expect(all).toHaveLength(200);
    expect(progress.at(-1)).toBe(200);
    expect(new Set(all.map((r) => r.fields.category?.value)).size).toBe(1); // digits fold: same ticket
    expect(el.labels).toContain(all[0]!.fields.category?.value);
    expect(ms / 200).toBeLessThan(50); // includes a worker round trip and a paint per ticket
  });

  it('says clearly what is wrong with empty, 1 MB and binary tickets, and loses nothing', async () => {
    const el = await mount();
    const good = await el.triage('I need to change my delivery address');
    const errors: string[] = [];
    el.addEventListener('tier-triage-error', (e) => errors.push(e.detail.error.code));
    const big = 'x'.repeat(1024 * 1024);
    const input = page.getByRole('textbox', { name: 'Ticket' });
    await input.fill('   ');
    await page.getByRole('button', { name: 'Triage', exact: true }).click();
    await expect.poll(() => shadowText(el, '[part~="message"]')).toMatch(/empty/);
    el.ticket = big;
    await el.triage(big).catch(() => undefined);
    await el.updateComplete;
    expect(shadowText(el, '[part~="message"]')).toMatch(/1,048,576 characters long; the limit is 100,000/);
    expect(el.shadowRoot!.querySelector('textarea')!.value.length).toBe(big.length);
    await el.triage('\u0000\u0001\u0002PK\u0003\u0004binary\u0000\u0000garbage').catch(() => undefined);
    await el.updateComplete;
    expect(shadowText(el, '[part~="message"]')).toMatch(/binary data/);
    expect(errors).toEqual(['invalid_input', 'payload_too_large', 'invalid_input']);
    expect(el.records).toEqual([good]);
    const after = await el.triage('where is my parcel');
    expect(after.fields.category?.value).toBeTruthy();
  });
});
