import { describe, expect, it } from 'vitest';
import type { Tier } from '../config/schemas.ts';
import { mulberry32 } from '../prng.ts';
import { addDays, toRecord, type LedgerRecord } from './record.ts';
import { LedgerEntrySchema } from './record.ts';
import { foldRecords, selectForRollUp } from './rollup.ts';
import { summarize } from './summary.ts';

/** Deterministic pseudo-random records over 40 days (mulberry32). */
function seeded(n: number, seed = 7): LedgerRecord[] {
  const rand = mulberry32(seed);
  const tiers: Tier[] = ['local', 'mid', 'frontier'];
  const start = Date.UTC(2026, 9, 1, 12);
  return Array.from({ length: n }, (_, i) => {
    const tier = tiers[Math.floor(rand() * 3)]!;
    const input = Math.floor(rand() * 4000);
    return {
      ...toRecord(
        LedgerEntrySchema.parse({
          time: start + Math.floor((i / n) * 40 * 86_400_000),
          surface: rand() < 0.5 ? 'assist' : 'extension',
          task: rand() < 0.3 ? 'autocomplete' : 'chat',
          tier,
          model: tier === 'mid' ? (rand() < 0.5 ? 'claude-haiku-4-5' : 'gpt-5-mini') : undefined,
          inputTokens: input,
          cachedInputTokens: Math.floor(rand() * input),
          outputTokens: Math.floor(rand() * 900),
          ttftMs: rand() < 0.1 ? null : Math.floor(rand() * 2000),
          totalMs: Math.floor(rand() * 20_000),
          escalated: rand() < 0.2,
        }),
      ),
      id: i + 1,
    };
  });
}

const totals = (records: LedgerRecord[], aggs: ReturnType<typeof foldRecords>) =>
  summarize(records, [...aggs.values()], { from: '2026-01-01', to: '2026-12-31' });

describe('roll-up', () => {
  it('keeps every total exact when old records fold into daily aggregates', () => {
    const records = seeded(1200);
    const before = summarize(records, [], { from: '2026-01-01', to: '2026-12-31' });
    const fold = selectForRollUp(records, '2026-11-10', { maxRecords: 300, lowWater: 0.5, maxAgeDays: 365 });
    expect(fold).toHaveLength(1200 - 150);
    const aggs = foldRecords(fold, new Map());
    const after = totals(records.slice(fold.length), aggs);
    for (const key of [
      'requests',
      'escalations',
      'inputTokens',
      'outputTokens',
      'cachedInputTokens',
      'costNanos',
      'frontierNanos',
    ] as const) {
      expect(after[key]).toBe(before[key]);
    }
    for (const tier of ['local', 'mid', 'frontier'] as const) {
      expect(after.tiers[tier].requests).toBe(before.tiers[tier].requests);
      expect(after.tiers[tier].costNanos).toBe(before.tiers[tier].costNanos);
      expect(after.tiers[tier].frontierNanos).toBe(before.tiers[tier].frontierNanos);
    }
    expect(after.daily.map((d) => [d.requests, d.perTier])).toEqual(
      before.daily.map((d) => [d.requests, d.perTier]),
    );
    // the folded days' latency comes from histograms: within one bucket (25%) of the exact value
    const exact = before.tiers.frontier.total!;
    const approx = after.tiers.frontier.total!;
    expect(approx.exact).toBe(false);
    expect(approx.p50).toBeGreaterThanOrEqual(exact.p50);
    expect(approx.p50).toBeLessThanOrEqual(exact.p50 * 1.26 + 1);
  });

  it('folding in two passes equals folding once (aggregates merge exactly)', () => {
    const records = seeded(500, 99);
    const once = foldRecords(records, new Map());
    const first = foldRecords(records.slice(0, 217), new Map());
    const second = foldRecords(records.slice(217), first);
    const twice = new Map([...first, ...second]);
    expect([...twice.keys()].sort()).toEqual([...once.keys()].sort());
    for (const [key, agg] of once) expect(twice.get(key)).toEqual(agg);
  });

  it('selects records past the age limit even under the size bound, and nothing when within both', () => {
    const records = seeded(100);
    const today = addDays(records.at(-1)!.day, 0);
    expect(
      selectForRollUp(records, today, { maxRecords: 1000, lowWater: 0.8, maxAgeDays: 365 }),
    ).toHaveLength(0);
    const old = selectForRollUp(records, today, { maxRecords: 1000, lowWater: 0.8, maxAgeDays: 10 });
    expect(old.length).toBeGreaterThan(0);
    expect(old.every((r) => r.day < addDays(today, -10))).toBe(true);
    expect(records[old.length]!.day >= addDays(today, -10)).toBe(true);
  });
});
