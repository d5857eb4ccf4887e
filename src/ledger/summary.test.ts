import { describe, expect, it } from 'vitest';
import { LedgerEntrySchema, dayKey, toRecord, type LedgerEntry } from './record.ts';
import { histogramPercentile, percentile, resolveRange, summarize } from './summary.ts';

const NOW = Date.UTC(2026, 10, 29, 12);
const DAY = 86_400_000;
const rec = (e: Partial<LedgerEntry>) =>
  toRecord(
    LedgerEntrySchema.parse({
      surface: 'assist',
      task: 'chat',
      tier: 'local',
      inputTokens: 0,
      outputTokens: 0,
      totalMs: 0,
      time: NOW,
      ...e,
    }),
  );

describe('summaries', () => {
  it('computes saved vs all-frontier and per-tier shares (hand-computed)', () => {
    const records = [
      // local: 1000 in + 200 out; frontier would be 1000 x 3 + 200 x 15 = 6,000 micro-$; costs 0
      rec({ tier: 'local', inputTokens: 1000, outputTokens: 200, totalMs: 900, ttftMs: 120 }),
      rec({ tier: 'local', inputTokens: 100, outputTokens: 20, totalMs: 300, ttftMs: 80 }), // frontier 600
      // mid Haiku: 2000 x 1 + 400 x 5 = 4,000; frontier 2000 x 3 + 400 x 15 = 12,000
      rec({
        tier: 'mid',
        model: 'claude-haiku-4-5',
        inputTokens: 2000,
        outputTokens: 400,
        totalMs: 4000,
        ttftMs: 500,
      }),
      // frontier: 1000 x 3 + 100 x 15 = 4,500 both ways
      rec({
        tier: 'frontier',
        inputTokens: 1000,
        outputTokens: 100,
        totalMs: 6000,
        ttftMs: 1800,
        escalated: true,
      }),
      // 8 days ago: outside 7d, inside 30d
      rec({
        tier: 'mid',
        model: 'claude-haiku-4-5',
        time: NOW - 8 * DAY,
        inputTokens: 1000,
        outputTokens: 0,
      }),
    ];
    const week = summarize(records, [], resolveRange('7d', NOW));
    expect(week.requests).toBe(4);
    expect(week.costNanos).toBe((4000 + 4500) * 1000);
    expect(week.frontierNanos).toBe((6000 + 600 + 12000 + 4500) * 1000);
    expect(week.savedUsd).toBeCloseTo((23100 - 8500) / 1e6, 12);
    expect(week.savedShare).toBeCloseTo(14600 / 23100, 12);
    expect(week.tiers.local.share).toBe(0.5);
    expect(week.tiers.mid.share).toBe(0.25);
    expect(week.tiers.local.total).toEqual({ p50: 300, p95: 900, exact: true });
    expect(week.tiers.frontier.ttft).toEqual({ p50: 1800, p95: 1800, exact: true });
    expect(week.escalations).toBe(1);
    expect(week.daily).toHaveLength(7);
    expect(week.daily.at(-1)).toMatchObject({
      day: dayKey(NOW),
      requests: 4,
      perTier: { local: 2, mid: 1, frontier: 1 },
    });

    const month = summarize(records, [], resolveRange('30d', NOW));
    expect(month.requests).toBe(5);
    expect(month.daily).toHaveLength(30);
    expect(month.costNanos).toBe((4000 + 4500 + 1000) * 1000);
    expect(summarize(records, [], resolveRange('today', NOW)).requests).toBe(4);
  });

  it('reports an empty range as zeros, not NaN', () => {
    const s = summarize([], [], resolveRange('7d', NOW));
    expect(s.savedShare).toBe(0);
    expect(s.tiers.local.share).toBe(0);
    expect(s.tiers.mid.total).toBeNull();
    expect(s.daily.every((d) => d.requests === 0)).toBe(true);
  });

  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
    // 10 values in bucket 0 (<= 10 ms), 10 in bucket 3 (<= 20 ms): p50 = 10, p95 = 20
    const hist = [10, 0, 0, 10];
    expect(histogramPercentile(hist, 50)).toBe(10);
    expect(histogramPercentile(hist, 95)).toBe(20);
  });
});
