import axe from 'axe-core';
import { deleteDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { Ledger } from '../../src/ledger/ledger.ts';
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
