/**
 * The learning loop end to end in Chromium (issue 15): <tier-assist> answering on the real wasm engine
 * with the generated tiny GGUF model, feedback recorded in the real IndexedDB feedback store, the
 * per-user online router refitted from it and rolled back by itself on a planted quality drop.
 */
import axe from 'axe-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { Learner } from '../../src/assist/learning.ts';
import type { LocalEngineProvider, LocalModelProbe } from '../../src/assist/types.ts';
import { createWasmEngine } from '../../src/engines/wasm.ts';
import type { LocalEngine, ModelDescriptor } from '../../src/engines/types.ts';
import { FeedbackStore } from '../../src/ledger/feedback-store.ts';
import type { FeedbackRecord } from '../../src/router/feedback.ts';
import type { RouteContext } from '../../src/router/types.ts';
import { makeTinyLlamaGguf } from '../../test/support/gguf.ts';
import './tier-assist.ts';
import type { TierAssist } from './tier-assist.ts';

let engine: LocalEngine;
let modelUrl = '';
beforeAll(async () => {
  const bytes = makeTinyLlamaGguf();
  modelUrl = URL.createObjectURL(new Blob([bytes as BlobPart]));
  const model: ModelDescriptor = {
    id: 'tiny',
    label: 'Tiny GGUF',
    sizeBytes: bytes.byteLength,
    memoryBytes: 0,
    engine: 'wasm',
    url: modelUrl,
  };
  engine = createWasmEngine();
  await engine.load(model);
});
afterAll(async () => {
  await engine.unload();
  URL.revokeObjectURL(modelUrl);
});

/** The real engine, already loaded, behind the element's consent flow. */
const provider = (): LocalEngineProvider => ({
  async probe(): Promise<LocalModelProbe> {
    return {
      ok: true,
      verdict: 'This device can run Tiny GGUF.',
      model: engine.model!,
      engine: 'wasm',
      rejected: [],
      cached: false,
    };
  },
  load: async () => engine,
});

const elements: TierAssist[] = [];
const stores: FeedbackStore[] = [];
let counter = 0;
afterEach(async () => {
  for (const el of elements.splice(0)) {
    await el.clear();
    el.remove();
  }
  for (const store of stores.splice(0)) {
    await store.clear();
    store.close();
  }
});

const storeName = () => `feedback-test-${Date.now()}-${counter++}`;
async function openStore(name: string): Promise<FeedbackStore> {
  const store = await FeedbackStore.open(name);
  stores.push(store);
  return store;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const $ = <T extends Element = HTMLElement>(el: TierAssist, sel: string) =>
  el.shadowRoot!.querySelector<T>(sel);

/** A ready element on the tiny model; the gateway is unreachable, so every answer ends on the device. */
async function mount(store: string, attrs: Record<string, string> = {}): Promise<TierAssist> {
  const el = document.createElement('tier-assist');
  el.setAttribute('conversation-key', `learning-${Date.now()}-${counter++}`);
  el.setAttribute('gateway', 'http://127.0.0.1:9');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.engineProvider = provider();
  el.feedbackStore = store;
  // Keep the on-device answer when the verifier would escalate (the gateway is down anyway).
  el.addEventListener('tier-escalate', (e) => e.preventDefault());
  document.body.append(el);
  elements.push(el);
  await el.updateComplete;
  await el.conversationReady;
  $<HTMLButtonElement>(el, '.engine button')!.click();
  await until(() => $(el, '[part~="consent-button"]') !== null, 'consent button');
  $<HTMLButtonElement>(el, '[part~="consent-button"]')!.click();
  await until(() => el.engine.state.status === 'ready', 'engine ready');
  await el.updateComplete;
  return el;
}

/** Ask and return the tier the router decided. */
async function routed(el: TierAssist, question: string): Promise<string> {
  let tier = '';
  const onRoute = (e: CustomEvent<{ decision: { tier: string } }>) => (tier = e.detail.decision.tier);
  el.addEventListener('tier-route', onRoute);
  await el.ask(question);
  el.removeEventListener('tier-route', onRoute);
  await el.updateComplete;
  return tier;
}

const signals = (records: FeedbackRecord[]) => records.map((r) => r.signal);
const TRANSLATIONS = [
  'good morning',
  'thank you',
  'see you soon',
  'where is the station',
  'good night',
].flatMap((p) => ['French', 'Spanish', 'German', 'Italian'].map((l) => `Translate "${p}" into ${l}.`));
const HELD_OUT = 'Translate "happy birthday" into Dutch.';
const OTHER = [
  'What is the capital of France?',
  'What is 2 + 2?',
  'Name a primary colour.',
  'What does HTML stand for?',
  'How do I reset my password?',
  'Give me a synonym for happy.',
  'Say hello.',
  'What is the boiling point of water?',
  'How many days are in a week?',
  'Who wrote Hamlet?',
  'What colour is the sky?',
  'Spell the word cat.',
];
/** What <tier-assist> passes the router for a first question with the default settings. */
const CONTEXT: RouteContext = {
  task: 'chat',
  quality: 0.5,
  turn: 1,
  localAvailable: true,
  allowedTiers: ['local', 'mid', 'frontier'],
};
/** Settings that learn within a test's worth of planted feedback, deterministic (no exploring). */
const FAST = { learningRate: 0.1, minUpdatesPerRefit: 10, guardMinSamples: 10, exploreRate: 0 };

describe('<tier-assist> records feedback on every answer', () => {
  it('stores the verifier verdict, thumbs and "Ask a bigger model", never the question text', async () => {
    const name = storeName();
    const el = await mount(name, { feedback: '' });
    const events: { signal: string; tier: string }[] = [];
    el.addEventListener('tier-feedback', (e) => events.push(e.detail));
    const question = 'Translate "good morning" into French.';
    await el.ask(question);
    await el.updateComplete;
    const up = $<HTMLButtonElement>(el, '[part~="thumbs-up"]')!;
    const down = $<HTMLButtonElement>(el, '[part~="thumbs-down"]')!;
    expect(up.getAttribute('aria-pressed')).toBe('false');
    expect(down.getAttribute('aria-label')).toBe('Bad answer');
    up.click();
    await el.updateComplete;
    expect(up.getAttribute('aria-pressed')).toBe('true');
    $<HTMLButtonElement>(el, '[part~="bigger-button"]')!.click();
    await until(() => !el.busy && el.turns.length === 3, 'the bigger model to be asked');
    expect(events).toEqual([
      { signal: 'thumbs-up', tier: 'local' },
      { signal: 'ask-bigger', tier: 'local' },
    ]);

    const store = await openStore(name);
    await until(async () => (await store.count()) >= 3, 'three records');
    const records = await store.records();
    expect(signals(records)).toEqual(
      expect.arrayContaining(['thumbs-up', 'ask-bigger', expect.stringMatching(/^verifier-/)]),
    );
    for (const r of records) {
      expect(r).toMatchObject({ surface: 'tier-assist', task: 'chat', feedback: { tier: 'local' } });
      expect(r.feedback.features.idx.length).toBeGreaterThan(0);
    }
    expect(records.find((r) => r.signal === 'thumbs-up')!.feedback.correct).toBe(true);
    expect(records.find((r) => r.signal === 'ask-bigger')!.feedback.correct).toBe(false);
    // Nothing the person typed is stored: not in the records, the export or the learned state.
    const kept = JSON.stringify([records, await store.export(), await store.loadState()]).toLowerCase();
    for (const word of ['good morning', 'morning', 'translate', 'french']) expect(kept).not.toContain(word);
  });

  it('a re-ask of the same question within the window is recorded against the first answer', async () => {
    const name = storeName();
    const el = await mount(name);
    const events: string[] = [];
    el.addEventListener('tier-feedback', (e) => events.push(e.detail.signal));
    await el.ask('What is the capital of France?');
    await el.ask('  what is the capital of   france? ');
    expect(events).toEqual(['re-ask']);
    expect($(el, '[part~="thumb-button"]')).toBeNull(); // no `feedback` attribute: no thumbs
    const store = await openStore(name);
    await until(async () => signals(await store.records()).includes('re-ask'), 'the re-ask record');
  });

  it('keyboard: Tab reaches the thumbs, Enter and Space press them; no axe violations', async () => {
    const el = await mount(storeName(), { feedback: '' });
    await el.ask('Say hello.');
    await el.updateComplete;
    const result = await axe.run(el, { rules: { region: { enabled: false } } });
    expect(result.violations.map((v) => v.id)).toEqual([]);
    $<HTMLButtonElement>(el, '[part~="copy-button"]')!.focus();
    await userEvent.keyboard('{Tab}');
    const active = () => el.shadowRoot!.activeElement as HTMLElement;
    expect(active().getAttribute('part')).toContain('thumbs-up');
    await userEvent.keyboard('{Enter}');
    await el.updateComplete;
    expect(active().getAttribute('aria-pressed')).toBe('true');
    await userEvent.keyboard('{Tab}');
    expect(active().getAttribute('part')).toContain('thumbs-down');
    await userEvent.keyboard(' ');
    await el.updateComplete;
    expect(active().getAttribute('aria-pressed')).toBe('true');
    expect($(el, '[part~="thumbs-up"]')!.getAttribute('aria-pressed')).toBe('false');
  });
});

describe('<tier-assist> learns per user in the browser', () => {
  it('a refit from feedback that on-device is wrong for translations routes the next one to mid', async () => {
    // Static routing first: a translation stays on the device.
    const fresh = await mount(storeName());
    expect(await routed(fresh, HELD_OUT)).toBe('local');

    // Planted feedback: twenty translations answered on the device were wrong.
    const name = storeName();
    const planted = await Learner.open({ store: await openStore(name), config: FAST, refitEvery: 20 });
    for (const question of TRANSLATIONS) {
      const { tag } = planted.route(question, CONTEXT);
      await planted.record('thumbs-down', 'local', tag, 'chat');
    }
    const el = await mount(name);
    expect(await routed(el, HELD_OUT)).toBe('mid');
    expect(el.turns.at(-1)!.badge!.reason).toMatch(/learned from feedback in this browser/);
    // Other kinds of question still stay on the device.
    expect(await routed(el, OTHER[0]!)).toBe('local');
    // learning="off": the static router decides again.
    const off = await mount(name, { learning: 'off' });
    expect(await routed(off, HELD_OUT)).toBe('local');
  });

  it('rolls back a refit whose observed quality drops: tier-router-rollback, and the decision is back', async () => {
    const name = storeName();
    const planted = await Learner.open({ store: await openStore(name), config: FAST, refitEvery: 80 });
    // A good baseline (mid answers were right), then the feedback that moves translations to mid.
    for (let k = 0; k < 60; k++) {
      const { tag } = planted.route(OTHER[k % OTHER.length]!, CONTEXT);
      await planted.record('thumbs-up', 'mid', tag, 'chat');
    }
    for (const question of TRANSLATIONS) {
      const { tag } = planted.route(question, CONTEXT);
      await planted.record('thumbs-down', 'local', tag, 'chat');
    }
    const el = await mount(name, { feedback: '' });
    const rollbacks: { version: number; rollbacks: number }[] = [];
    el.addEventListener('tier-router-rollback', (e) => rollbacks.push(e.detail));
    expect(await routed(el, HELD_OUT)).toBe('mid');
    // Under the new refit every answer is rated bad: quality drops far below the baseline.
    for (const question of OTHER.slice(1, 11)) {
      await el.ask(question);
      await el.updateComplete;
      $<HTMLButtonElement>(el, '[part~="message-assistant"]:last-child [part~="thumbs-down"]')!.click();
      if (rollbacks.length > 0) break;
    }
    await until(() => rollbacks.length === 1, 'the rollback event');
    expect(rollbacks[0]).toEqual({ version: 2, rollbacks: 1 });
    expect(await routed(el, HELD_OUT)).toBe('local');
  });
});
