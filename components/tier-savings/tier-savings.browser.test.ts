import axe from 'axe-core';
import { deleteDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { Tier } from '../../src/config/schemas.ts';
import { FeedbackStore } from '../../src/ledger/feedback-store.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { feedbackRecord, type FeedbackSignal } from '../../src/router/feedback.ts';
import { formatUsd } from '../../src/ledger/money.ts';
import { seedDemoLedger } from './demo-seed.ts';
import './tier-savings.ts';
import type { TierSavings } from './tier-savings.ts';

const NOW = Date.UTC(2026, 10, 29, 15); // 2026-11-29, fixed "today"
const names: string[] = [];
const elements: HTMLElement[] = [];
afterEach(async () => {
  for (const el of elements.splice(0)) el.remove();
  for (const name of names.splice(0)) await deleteDB(name);
});

async function seed(name: string): Promise<Ledger> {
  names.push(name);
  const ledger = await Ledger.open(name, { now: () => NOW });
  await ledger.clear();
  await seedDemoLedger(ledger, NOW);
  return ledger;
}

async function mount(attrs: Record<string, string>): Promise<TierSavings> {
  // Tall enough for the whole dashboard, so its screenshot holds every section.
  await page.viewport(414, 1400);
  const el = document.createElement('tier-savings');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.style.width = '380px';
  const updated = new Promise((resolve) =>
    el.addEventListener('tier-savings-update', resolve, { once: true }),
  );
  document.body.append(el);
  elements.push(el);
  await updated;
  return el;
}

/** A feedback record `day` days after Monday 2026-11-02 09:00 UTC (the learning-curve tests' first week). */
const FEEDBACK_START = Date.UTC(2026, 10, 2, 9);
const FEATURES = { scores: { local: 0.5, mid: 0.8 }, dense: [], idx: [], val: [] };
function at(day: number, signal: FeedbackSignal, tier: Tier) {
  return feedbackRecord(
    signal,
    { features: FEATURES, tier, propensity: 1 },
    { surface: 'tier-assist', at: FEEDBACK_START + day * 86_400_000 },
  );
}

describe('<tier-savings>', () => {
  it('draws saved money, tier share, latency and the series from a seeded ledger', async () => {
    const ledger = await seed('savings-render');
    const month = await ledger.summary('30d');
    ledger.close();
    const el = await mount({
      'ledger-name': 'savings-render',
      now: new Date(NOW).toISOString(),
      theme: 'light',
    });
    const root = el.shadowRoot!;
    const cards = [...root.querySelectorAll('[part~="card"] .value')].map((n) => n.textContent);
    expect(cards).toHaveLength(3);
    expect(cards[2]).toBe(formatUsd(month.savedUsd));
    const charts = root.querySelectorAll('svg[role="img"]');
    expect(charts).toHaveLength(3);
    for (const svg of charts) {
      const [titleId, descId] = svg.getAttribute('aria-labelledby')!.split(' ');
      expect(root.getElementById(titleId!)?.textContent).toBeTruthy();
      expect(root.getElementById(descId!)?.textContent).toMatch(/\d/);
    }
    expect(root.querySelector('#share-desc')!.textContent).toContain(
      `On-device ${Math.round(month.tiers.local.share * 100)}%`,
    );
    expect(root.querySelectorAll('svg[part~="series"] rect.paid-cost')).toHaveLength(30);

    await expect.element(page.elementLocator(el)).toMatchScreenshot('tier-savings-light', {
      comparatorName: 'pixelmatch',
      comparatorOptions: { threshold: 0.2, allowedMismatchedPixelRatio: 0.01 },
    });
  });

  it('renders the dark theme', async () => {
    (await seed('savings-dark')).close();
    const el = await mount({
      'ledger-name': 'savings-dark',
      now: new Date(NOW).toISOString(),
      theme: 'dark',
    });
    expect(getComputedStyle(el).backgroundColor).toBe('rgb(13, 17, 23)');
    await expect.element(page.elementLocator(el)).toMatchScreenshot('tier-savings-dark', {
      comparatorName: 'pixelmatch',
      comparatorOptions: { threshold: 0.2, allowedMismatchedPixelRatio: 0.01 },
    });
  });

  it('passes axe, and its table toggle exposes the same numbers', async () => {
    (await seed('savings-axe')).close();
    const el = await mount({ 'ledger-name': 'savings-axe', now: new Date(NOW).toISOString() });
    const root = el.shadowRoot!;
    const toggle = root.querySelector<HTMLButtonElement>('[part="table-toggle"]')!;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(root.querySelector<HTMLElement>('#tables')!.hidden).toBe(true);
    toggle.click();
    await el.updateComplete;
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const tables = root.querySelectorAll('#tables table');
    expect(tables).toHaveLength(3);
    expect(tables[2]!.querySelectorAll('tbody tr')).toHaveLength(30);
    const saved30 = root.querySelectorAll('[part~="card"] .value')[2]!.textContent;
    const monthRow = tables[0]!.querySelectorAll('tbody tr')[2]!;
    expect(monthRow.children[4]!.textContent).toBe(saved30);
    expect(Number(monthRow.children[5]!.textContent)).toBe(el.data!.month.escalations);
    expect(el.data!.month.escalations).toBe(el.data!.month.tiers.frontier.requests); // the demo escalates every frontier answer
    const results = await axe.run(el);
    expect(
      results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);
  });

  it('shows what each choice buys: 30-day cost beside the quality it keeps, with the source', async () => {
    const ledger = await seed('savings-trade');
    const month = await ledger.summary('30d');
    ledger.close();
    const el = await mount({ 'ledger-name': 'savings-trade', now: new Date(NOW).toISOString() });
    const root = el.shadowRoot!;
    const rows = [...root.querySelectorAll('table[part="trade"] tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent!.trim()),
    );
    // All mid by hand: Haiku 4.5 at $1/M input, $0.10/M cached input, $5/M output on the month's tokens.
    const mid =
      ((month.inputTokens - month.cachedInputTokens) * 1 +
        month.cachedInputTokens * 0.1 +
        month.outputTokens * 5) /
      1e6;
    expect(rows).toEqual([
      ['All frontier', formatUsd(month.frontierCostUsd), '100.0%'],
      ['All mid (same tokens, mid prices)', formatUsd(mid), '85.3%'],
      ['Routed (what you paid)', formatUsd(month.costUsd), '98.2%'],
    ]);
    const source = root.querySelector('[part="quality-source"]')!.textContent!.replace(/\s+/g, ' ');
    expect(source).toContain('measured on RouterBench test split (945 prompts');
    expect(source).toContain('knob 0.94');
    expect(source).toContain('routed 95% interval 97.0%–99.4%');
  });

  it('draws the learning curve from feedback records, with an empty state that says what to do', async () => {
    (await seed('savings-learning')).close();
    const el = await mount({ 'ledger-name': 'savings-learning', now: new Date(NOW).toISOString() });
    const root = el.shadowRoot!;
    expect(root.querySelector('[part="learning-empty"]')!.textContent).toContain(
      'No feedback yet. Turn on the thumbs in <tier-assist feedback>',
    );
    expect(root.querySelector('table[part="learning"]')).toBeNull();

    el.feedback = [
      // week 1: 4 rated on mid (2 good), 2 on the frontier (both good); one on-device answer checked
      at(0, 'thumbs-up', 'mid'),
      at(0, 'thumbs-up', 'mid'),
      at(1, 'thumbs-down', 'mid'),
      at(1, 'ask-bigger', 'mid'),
      at(2, 'thumbs-up', 'frontier'),
      at(2, 'thumbs-up', 'frontier'),
      at(2, 'verifier-accept', 'local'),
      // week 2: 4 rated on-device, 3 good
      at(8, 'thumbs-up', 'local'),
      at(8, 'thumbs-up', 'local'),
      at(9, 'thumbs-up', 'local'),
      at(9, 're-ask', 'local'),
    ];
    await el.updateComplete;
    expect(root.querySelector('[part="learning-empty"]')).toBeNull();
    const rows = [...root.querySelectorAll('table[part="learning"] tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent!.trim()),
    );
    // week 1 saving: 4 x (1 - 1/3) + 2 x 0 over 6 = 44%; week 2: all on-device = 100%
    expect(rows).toEqual([
      ['1 (from 2026-11-02)', '6', '67%', '44%', '100% of 1'],
      ['2 (from 2026-11-09)', '4', '75%', '100%', '–'],
    ]);
    const summary = [...root.querySelectorAll('p.note')].map((p) => p.textContent!.replace(/\s+/g, ' '));
    expect(summary).toContain(' Week 1 to 2: judged good 67% → 75%, saving 44% → 100%. ');
    const results = await axe.run(el);
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });

  it('loads the learning curve from the feedback store named by feedback-store, and again after a new request', async () => {
    (await seed('savings-fb-ledger')).close();
    names.push('savings-fb-store');
    const store = await FeedbackStore.open('savings-fb-store');
    for (const r of [
      at(0, 'thumbs-up', 'mid'),
      at(0, 'thumbs-down', 'mid'),
      at(1, 'thumbs-up', 'frontier'),
      at(8, 'thumbs-up', 'local'),
    ])
      await store.add(r);
    const el = await mount({
      'ledger-name': 'savings-fb-ledger',
      'feedback-store': 'savings-fb-store',
      now: new Date(NOW).toISOString(),
    });
    const root = el.shadowRoot!;
    const rows = () =>
      [...root.querySelectorAll('table[part="learning"] tbody tr')].map((tr) =>
        [...tr.children].slice(0, 3).map((c) => c.textContent!.trim()),
      );
    await expect.poll(rows).toEqual([
      ['1 (from 2026-11-02)', '3', '67%'],
      ['2 (from 2026-11-09)', '1', '100%'],
    ]);
    expect(el.feedback).toHaveLength(4);

    // a correction recorded later (e.g. by <tier-triage feedback-store>) shows after the next request
    await store.add(
      feedbackRecord(
        'correction',
        { features: FEATURES, tier: 'local', propensity: 1 },
        { surface: 'tier-triage', task: 'triage', at: FEEDBACK_START + 9 * 86_400_000 },
      ),
    );
    store.close();
    const writer = await Ledger.open('savings-fb-ledger', { now: () => NOW });
    await writer.record({
      surface: 'assist',
      task: 'chat',
      tier: 'local',
      inputTokens: 10,
      outputTokens: 10,
      totalMs: 100,
      reason: 'test',
    });
    writer.close();
    await expect.poll(rows).toEqual([
      ['1 (from 2026-11-02)', '3', '67%'],
      ['2 (from 2026-11-09)', '2', '50%'],
    ]);
  });

  it('without feedback-store it reads no feedback store', async () => {
    (await seed('savings-no-fb')).close();
    const before = (await indexedDB.databases()).map((d) => d.name);
    const el = await mount({ 'ledger-name': 'savings-no-fb', now: new Date(NOW).toISOString() });
    expect(el.feedback).toBeUndefined();
    expect(el.shadowRoot!.querySelector('[part="learning-empty"]')).not.toBeNull();
    const after = (await indexedDB.databases()).map((d) => d.name);
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
  });

  it('updates when another ledger instance records a request (BroadcastChannel)', async () => {
    names.push('savings-live');
    const el = await mount({ 'ledger-name': 'savings-live', now: new Date(NOW).toISOString() });
    expect(el.shadowRoot!.querySelector('[part="empty"]')?.textContent).toContain('No requests');
    const writer = await Ledger.open('savings-live', { now: () => NOW });
    const updated = new Promise<CustomEvent>((resolve) =>
      el.addEventListener('tier-savings-update', (e) => resolve(e), { once: true }),
    );
    await writer.record({
      surface: 'assist',
      task: 'chat',
      tier: 'local',
      inputTokens: 1000,
      outputTokens: 200,
      totalMs: 900,
    });
    const detail = (await updated).detail as { today: { requests: number; savedUsd: number } };
    expect(detail.today.requests).toBe(1);
    // 1000 x $3/M + 200 x $15/M = $0.006 saved on-device
    expect(el.shadowRoot!.querySelector('[part~="card"] .value')!.textContent).toBe('$0.0060');
    writer.close();
  });

  it('reads from a ledger property and from ready-made data', async () => {
    const ledger = await seed('savings-prop');
    const el = document.createElement('tier-savings');
    elements.push(el);
    const updated = new Promise((resolve) =>
      el.addEventListener('tier-savings-update', resolve, { once: true }),
    );
    el.ledger = ledger;
    document.body.append(el);
    await updated;
    expect(el.data?.month.requests).toBe((await ledger.summary('30d')).requests);
    const again = new Promise((resolve) =>
      el.addEventListener('tier-savings-update', resolve, { once: true }),
    );
    await ledger.record({
      surface: 'assist',
      task: 'chat',
      tier: 'mid',
      inputTokens: 10,
      outputTokens: 10,
      totalMs: 500,
    });
    await again;
    expect(el.data?.today.tiers.mid.requests).toBeGreaterThan(0);
    ledger.close();

    const plain = document.createElement('tier-savings');
    elements.push(plain);
    plain.data = el.data;
    document.body.append(plain);
    await plain.updateComplete;
    expect(plain.shadowRoot!.querySelectorAll('svg[role="img"]')).toHaveLength(3);
  });

  it('follows a change of ledger-name and of the pinned day', async () => {
    (await seed('savings-switch')).close();
    names.push('savings-switch-empty');
    const el = await mount({ 'ledger-name': 'savings-switch', now: new Date(NOW).toISOString() });
    expect(el.data?.month.requests).toBeGreaterThan(100);
    let updated = new Promise((resolve) =>
      el.addEventListener('tier-savings-update', resolve, { once: true }),
    );
    el.setAttribute('ledger-name', 'savings-switch-empty');
    await updated;
    expect(el.data?.month.requests).toBe(0);
    expect(el.shadowRoot!.querySelector('[part="empty"]')).not.toBeNull();
    updated = new Promise((resolve) => el.addEventListener('tier-savings-update', resolve, { once: true }));
    el.setAttribute('ledger-name', 'savings-switch');
    el.setAttribute('now', new Date(NOW + 60 * 86_400_000).toISOString()); // two months later: nothing recent
    await updated;
    expect(el.data?.month.requests).toBe(0);
  });
});
