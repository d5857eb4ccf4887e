import { deleteDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { Ledger, ledgerChannelName, type LedgerChange } from './ledger.ts';
import { DB_VERSION, openLedgerDb, type RecordV1 } from './store.ts';
import type { LedgerEntry } from './record.ts';

const NOW = Date.UTC(2026, 10, 29, 12);
const DAY = 86_400_000;
const opened: Ledger[] = [];
let counter = 0;
const freshName = () => `ledger-test-${Date.now()}-${(counter += 1)}`;
async function open(name: string, options: Parameters<typeof Ledger.open>[1] = {}) {
  const ledger = await Ledger.open(name, { now: () => NOW, ...options });
  opened.push(ledger);
  return ledger;
}
afterEach(async () => {
  for (const l of opened.splice(0)) {
    l.close();
    await deleteDB(l.name);
  }
});

const mid = (e: Partial<LedgerEntry> = {}): LedgerEntry => ({
  surface: 'assist',
  task: 'chat',
  tier: 'mid',
  model: 'claude-haiku-4-5',
  inputTokens: 1000,
  cachedInputTokens: 200,
  outputTokens: 300,
  ttftMs: 450,
  totalMs: 2000,
  reason: 'mid clears it',
  ...e,
});

describe('Ledger (real IndexedDB)', () => {
  it('records, summarises and survives a reload', async () => {
    const name = freshName();
    const ledger = await open(name);
    await ledger.record(mid({ time: NOW }));
    await ledger.record({ ...mid({ time: NOW - 3 * DAY }), tier: 'local', model: undefined, totalMs: 700 });
    ledger.close();

    const again = await open(name);
    const week = await again.summary('7d');
    expect(week.requests).toBe(2);
    // mid: 2,320 micro-$ (see record.test.ts); local 0; frontier counterfactual 6,960 x 2
    expect(week.costNanos).toBe(2_320_000);
    expect(week.frontierNanos).toBe(13_920_000);
    expect(week.tiers.local.share).toBe(0.5);
    expect((await again.summary('today')).requests).toBe(1);
    expect(await again.summaries(['today', '7d'])).toEqual([await again.summary('today'), week]);
  });

  it('rejects a malformed entry with ConfigError and stores nothing', async () => {
    const ledger = await open(freshName());
    await expect(ledger.record(mid({ outputTokens: -5 }))).rejects.toBeInstanceOf(ConfigError);
    expect(await ledger.records()).toHaveLength(0);
  });

  it('migrates a v1 database to v2 keeping every record and its money', async () => {
    const name = freshName();
    const v1 = await openLedgerDb(name, 1);
    const old: RecordV1[] = Array.from({ length: 57 }, (_, i) => ({
      time: NOW - i * 3_600_000,
      surface: i % 2 ? 'assist' : 'extension',
      task: 'chat',
      tier: (['local', 'mid', 'frontier'] as const)[i % 3]!,
      model: i % 3 === 0 ? 'on-device' : 'claude-haiku-4-5',
      tokensIn: 100 + i,
      tokensOut: 10 + i,
      latencyMs: 500 + i,
      costUsd: i % 3 === 0 ? 0 : 0.000123 * i,
      frontierCostUsd: 0.000456 * i,
      escalated: i % 5 === 0,
      reason: `reason ${i}`,
    }));
    for (const r of old) await v1.add('requests', r);
    expect(v1.objectStoreNames.contains('daily')).toBe(false);
    v1.close();

    const ledger = await open(name);
    const records = await ledger.records();
    expect(records).toHaveLength(57);
    expect(DB_VERSION).toBe(2);
    const byReason = new Map(records.map((r) => [r.reason, r]));
    for (const [i, o] of old.entries()) {
      const r = byReason.get(`reason ${i}`)!;
      expect(r.inputTokens).toBe(o.tokensIn);
      expect(r.outputTokens).toBe(o.tokensOut);
      expect(r.totalMs).toBe(o.latencyMs);
      expect(r.ttftMs).toBeNull();
      expect(r.costNanos).toBe(Math.round(o.costUsd * 1e9));
      expect(r.frontierNanos).toBe(Math.round(o.frontierCostUsd * 1e9));
      expect(r.escalated).toBe(o.escalated);
    }
    const total = old.reduce((s, o) => s + Math.round(o.frontierCostUsd * 1e9), 0);
    expect((await ledger.summary({ from: '2000-01-01', to: '2100-01-01' })).frontierNanos).toBe(total);
    await ledger.record(mid()); // v2 stores work after the migration
    expect(await ledger.records()).toHaveLength(58);
  });

  it('stays bounded by rolling old records into daily totals without losing any', async () => {
    const ledger = await open(freshName(), { rollUp: { maxRecords: 20, lowWater: 0.5 } });
    for (let i = 0; i < 45; i += 1)
      await ledger.record(mid({ time: NOW - (45 - i) * 3_600_000, outputTokens: i }));
    const records = await ledger.records();
    expect(records.length).toBeLessThanOrEqual(20);
    expect((await ledger.aggregates()).length).toBeGreaterThan(0);
    const s = await ledger.summary('30d');
    expect(s.requests).toBe(45);
    // each: 800 + 20 + 5i micro-$ (Haiku) -> sum = 45 x 820 + 5 x (0+..+44) = 36,900 + 4,950
    expect(s.costNanos).toBe((36_900 + 4_950) * 1000);
  });

  it('rolls records older than maxAgeDays into aggregates', async () => {
    const ledger = await open(freshName(), { rollUp: { maxAgeDays: 10 } });
    await ledger.record(mid({ time: NOW - 20 * DAY }));
    await ledger.record(mid({ time: NOW }));
    expect(await ledger.records()).toHaveLength(1);
    expect((await ledger.summary('30d')).requests).toBe(2);
  });

  it('exports JSON that imports into another ledger with identical totals, and CSV', async () => {
    const a = await open(freshName(), { rollUp: { maxRecords: 5, lowWater: 0.4 } });
    for (let i = 0; i < 9; i += 1) await a.record(mid({ time: NOW - i * DAY, inputTokens: 100 * i }));
    const json = await a.export('json');
    const b = await open(freshName());
    expect(await b.import(json)).toEqual({
      records: (await a.records()).length,
      daily: (await a.aggregates()).length,
    });
    const strip = (text: string) => ({ ...JSON.parse(text), exportedAt: null }) as unknown;
    expect(strip(await b.export('json'))).toEqual(strip(json));
    expect(await b.summary('30d')).toEqual(await a.summary('30d'));
    const csv = await b.export('csv');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(
      1 + (await b.records()).length + (await b.aggregates()).length,
    );
    await expect(b.import('{"format":"other"}')).rejects.toBeInstanceOf(ConfigError);
  });

  it('announces changes in-page and on its BroadcastChannel', async () => {
    const name = freshName();
    const ledger = await open(name);
    const channel = new BroadcastChannel(ledgerChannelName(name));
    const heard = new Promise<LedgerChange>(
      (resolve) => (channel.onmessage = (e) => resolve(e.data as LedgerChange)),
    );
    const local = new Promise<LedgerChange>((resolve) =>
      ledger.addEventListener('change', (e) => resolve((e as CustomEvent<LedgerChange>).detail), {
        once: true,
      }),
    );
    await ledger.record(mid());
    expect((await local).kind).toBe('record');
    expect((await heard).record?.costNanos).toBe(2_320_000);
    channel.close();
  });

  it('persists the on-device cost setting and prices later local answers with it', async () => {
    const name = freshName();
    const ledger = await open(name);
    await ledger.setOnDeviceCost({ watts: 30, usdPerKwh: 0.2 });
    ledger.close();
    const again = await open(name);
    expect(again.onDeviceCost).toEqual({ watts: 30, usdPerKwh: 0.2, amortisedUsdPerHour: 0 });
    const r = await again.record({ ...mid(), tier: 'local', model: undefined, totalMs: 3600 });
    expect(r.costNanos).toBe(6000);
    await expect(again.setOnDeviceCost({ watts: -1 })).rejects.toBeInstanceOf(ConfigError);
  });
});
