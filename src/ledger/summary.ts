/**
 * Summaries a person reads: saved vs all-frontier over a day range, share and latency per tier, and a daily
 * series. Computed from raw records plus rolled-up daily aggregates. Pure.
 */
import type { Tier } from '../config/schemas.ts';
import { nanosToUsd } from './money.ts';
import {
  LATENCY_BUCKETS_MS,
  addDays,
  bucketOf,
  dayKey,
  type DailyAggregate,
  type LedgerRecord,
} from './record.ts';

export const TIERS: readonly Tier[] = ['local', 'mid', 'frontier'];

/** 'today', the last 7 or 30 days (today included), or an inclusive day range. */
export type SummaryRange = 'today' | '7d' | '30d' | { from: string; to: string };

export function resolveRange(range: SummaryRange, now: number = Date.now()): { from: string; to: string } {
  const today = dayKey(now);
  if (range === 'today') return { from: today, to: today };
  if (range === '7d') return { from: addDays(today, -6), to: today };
  if (range === '30d') return { from: addDays(today, -29), to: today };
  return range;
}

/** p50/p95 in ms; `exact` is false when rolled-up days contributed (histogram bucket bounds then). */
export interface Percentiles {
  p50: number;
  p95: number;
  exact: boolean;
}

export interface TierSummary {
  requests: number;
  /** Share of all requests in the range, 0..1. */
  share: number;
  costNanos: number;
  frontierNanos: number;
  costUsd: number;
  savedUsd: number;
  ttft: Percentiles | null;
  total: Percentiles | null;
}

export interface DayPoint {
  day: string;
  requests: number;
  costUsd: number;
  frontierCostUsd: number;
  savedUsd: number;
  perTier: Record<Tier, number>;
}

export interface Summary {
  from: string;
  to: string;
  requests: number;
  escalations: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costNanos: number;
  frontierNanos: number;
  savedNanos: number;
  costUsd: number;
  frontierCostUsd: number;
  savedUsd: number;
  /** Saved / all-frontier cost, 0..1 (0 when nothing was spent on either). */
  savedShare: number;
  tiers: Record<Tier, TierSummary>;
  /** Every day of the range, oldest first, zeros included. */
  daily: DayPoint[];
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p% of values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Nearest-rank percentile over a histogram: the upper bound of the bucket holding that rank. */
export function histogramPercentile(hist: readonly number[], p: number): number {
  const n = hist.reduce((a, b) => a + b, 0);
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let i = 0; i < hist.length; i += 1) {
    seen += hist[i]!;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

function latency(values: number[], hists: number[][]): Percentiles | null {
  if (hists.length === 0) {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), exact: true };
  }
  const merged = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const h of hists) h.forEach((c, i) => (merged[i] = (merged[i] ?? 0) + c));
  for (const v of values) merged[bucketOf(v)]! += 1;
  if (merged.every((c) => c === 0)) return null;
  return { p50: histogramPercentile(merged, 50), p95: histogramPercentile(merged, 95), exact: false };
}

function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to && days.length < 3660; d = addDays(d, 1)) days.push(d);
  return days;
}

/** Summarise records and aggregates whose day lies in [from, to]. */
export function summarize(
  records: readonly LedgerRecord[],
  aggregates: readonly DailyAggregate[],
  range: { from: string; to: string },
): Summary {
  const inRange = (day: string) => day >= range.from && day <= range.to;
  const rs = records.filter((r) => inRange(r.day));
  const as = aggregates.filter((a) => inRange(a.day));
  const byDay = new Map<string, DayPoint & { costNanos: number; frontierNanos: number }>(
    daysBetween(range.from, range.to).map((day) => [
      day,
      {
        day,
        requests: 0,
        costUsd: 0,
        frontierCostUsd: 0,
        savedUsd: 0,
        costNanos: 0,
        frontierNanos: 0,
        perTier: { local: 0, mid: 0, frontier: 0 },
      },
    ]),
  );
  const tierAcc = Object.fromEntries(
    TIERS.map((t) => [
      t,
      {
        requests: 0,
        costNanos: 0,
        frontierNanos: 0,
        ttft: [] as number[],
        total: [] as number[],
        ttftH: [] as number[][],
        totalH: [] as number[][],
      },
    ]),
  ) as Record<
    Tier,
    {
      requests: number;
      costNanos: number;
      frontierNanos: number;
      ttft: number[];
      total: number[];
      ttftH: number[][];
      totalH: number[][];
    }
  >;
  let escalations = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let cachedInputTokens = 0;

  const addTo = (day: string, tier: Tier, requests: number, cost: number, frontier: number) => {
    const point = byDay.get(day);
    if (point) {
      point.requests += requests;
      point.costNanos += cost;
      point.frontierNanos += frontier;
      point.perTier[tier] += requests;
    }
    const t = tierAcc[tier];
    t.requests += requests;
    t.costNanos += cost;
    t.frontierNanos += frontier;
  };
  for (const r of rs) {
    addTo(r.day, r.tier, 1, r.costNanos, r.frontierNanos);
    tierAcc[r.tier].total.push(r.totalMs);
    if (r.ttftMs !== null) tierAcc[r.tier].ttft.push(r.ttftMs);
    escalations += r.escalated ? 1 : 0;
    inputTokens += r.inputTokens;
    outputTokens += r.outputTokens;
    cachedInputTokens += r.cachedInputTokens;
  }
  for (const a of as) {
    addTo(a.day, a.tier, a.requests, a.costNanos, a.frontierNanos);
    tierAcc[a.tier].totalH.push(a.totalHist);
    tierAcc[a.tier].ttftH.push(a.ttftHist);
    escalations += a.escalated;
    inputTokens += a.inputTokens;
    outputTokens += a.outputTokens;
    cachedInputTokens += a.cachedInputTokens;
  }

  const requests = TIERS.reduce((s, t) => s + tierAcc[t].requests, 0);
  const costNanos = TIERS.reduce((s, t) => s + tierAcc[t].costNanos, 0);
  const frontierNanos = TIERS.reduce((s, t) => s + tierAcc[t].frontierNanos, 0);
  const tiers = Object.fromEntries(
    TIERS.map((t) => {
      const acc = tierAcc[t];
      const summary: TierSummary = {
        requests: acc.requests,
        share: requests === 0 ? 0 : acc.requests / requests,
        costNanos: acc.costNanos,
        frontierNanos: acc.frontierNanos,
        costUsd: nanosToUsd(acc.costNanos),
        savedUsd: nanosToUsd(acc.frontierNanos - acc.costNanos),
        ttft: latency(acc.ttft, acc.ttftH),
        total: latency(acc.total, acc.totalH),
      };
      return [t, summary];
    }),
  ) as Record<Tier, TierSummary>;

  return {
    from: range.from,
    to: range.to,
    requests,
    escalations,
    inputTokens,
    outputTokens,
    cachedInputTokens,
    costNanos,
    frontierNanos,
    savedNanos: frontierNanos - costNanos,
    costUsd: nanosToUsd(costNanos),
    frontierCostUsd: nanosToUsd(frontierNanos),
    savedUsd: nanosToUsd(frontierNanos - costNanos),
    savedShare: frontierNanos === 0 ? 0 : (frontierNanos - costNanos) / frontierNanos,
    tiers,
    daily: [...byDay.values()].map(({ costNanos: c, frontierNanos: f, ...point }) => ({
      ...point,
      costUsd: nanosToUsd(c),
      frontierCostUsd: nanosToUsd(f),
      savedUsd: nanosToUsd(f - c),
    })),
  };
}
