/**
 * Roll-up: old request records fold into daily aggregates so the ledger stays bounded without losing a
 * single request, token or nano-dollar from its totals. Pure.
 */
import { LATENCY_BUCKETS_MS, addDays, bucketOf, type DailyAggregate, type LedgerRecord } from './record.ts';

export interface RollUpPolicy {
  /** Keep at most this many request records; past it the oldest fold into daily aggregates. */
  maxRecords: number;
  /** When over the bound, fold down to this share of maxRecords (hysteresis, so not every write rolls up). */
  lowWater: number;
  /** Records older than this many days fold regardless of the count. */
  maxAgeDays: number;
}

export const DEFAULT_ROLL_UP: RollUpPolicy = { maxRecords: 5000, lowWater: 0.8, maxAgeDays: 90 };

/** The aggregate key: one aggregate per day, tier, surface, task and model. */
export function aggregateKey(r: Pick<LedgerRecord, 'day' | 'tier' | 'surface' | 'task' | 'model'>): string {
  return [r.day, r.tier, r.surface, r.task, r.model].join('|');
}

const HIST_LENGTH = LATENCY_BUCKETS_MS.length + 1;

export function emptyAggregate(
  r: Pick<LedgerRecord, 'day' | 'tier' | 'surface' | 'task' | 'model'>,
): DailyAggregate {
  return {
    key: aggregateKey(r),
    day: r.day,
    tier: r.tier,
    surface: r.surface,
    task: r.task,
    model: r.model,
    requests: 0,
    escalated: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    costNanos: 0,
    frontierNanos: 0,
    totalMsSum: 0,
    ttftMsSum: 0,
    ttftCount: 0,
    totalHist: new Array<number>(HIST_LENGTH).fill(0),
    ttftHist: new Array<number>(HIST_LENGTH).fill(0),
  };
}

/** Add one record into an aggregate (returns a new aggregate). */
export function addRecord(agg: DailyAggregate, r: LedgerRecord): DailyAggregate {
  const totalHist = [...agg.totalHist];
  totalHist[bucketOf(r.totalMs)]! += 1;
  const ttftHist = [...agg.ttftHist];
  if (r.ttftMs !== null) ttftHist[bucketOf(r.ttftMs)]! += 1;
  return {
    ...agg,
    requests: agg.requests + 1,
    escalated: agg.escalated + (r.escalated ? 1 : 0),
    inputTokens: agg.inputTokens + r.inputTokens,
    outputTokens: agg.outputTokens + r.outputTokens,
    cachedInputTokens: agg.cachedInputTokens + r.cachedInputTokens,
    costNanos: agg.costNanos + r.costNanos,
    frontierNanos: agg.frontierNanos + r.frontierNanos,
    totalMsSum: agg.totalMsSum + r.totalMs,
    ttftMsSum: agg.ttftMsSum + (r.ttftMs ?? 0),
    ttftCount: agg.ttftCount + (r.ttftMs === null ? 0 : 1),
    totalHist,
    ttftHist,
  };
}

/** Merge two aggregates of the same key (import, or folding into an existing day). */
export function mergeAggregates(a: DailyAggregate, b: DailyAggregate): DailyAggregate {
  if (a.key !== b.key) throw new RangeError(`cannot merge aggregates ${a.key} and ${b.key}`);
  const add = (x: number[], y: number[]) =>
    Array.from({ length: HIST_LENGTH }, (_, i) => (x[i] ?? 0) + (y[i] ?? 0));
  return {
    ...a,
    requests: a.requests + b.requests,
    escalated: a.escalated + b.escalated,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    costNanos: a.costNanos + b.costNanos,
    frontierNanos: a.frontierNanos + b.frontierNanos,
    totalMsSum: a.totalMsSum + b.totalMsSum,
    ttftMsSum: a.ttftMsSum + b.ttftMsSum,
    ttftCount: a.ttftCount + b.ttftCount,
    totalHist: add(a.totalHist, b.totalHist),
    ttftHist: add(a.ttftHist, b.ttftHist),
  };
}

/** Fold records into a set of aggregates keyed by {@link aggregateKey}; returns only the touched aggregates. */
export function foldRecords(
  records: readonly LedgerRecord[],
  existing: ReadonlyMap<string, DailyAggregate>,
): Map<string, DailyAggregate> {
  const touched = new Map<string, DailyAggregate>();
  for (const r of records) {
    const key = aggregateKey(r);
    const current = touched.get(key) ?? existing.get(key) ?? emptyAggregate(r);
    touched.set(key, addRecord(current, r));
  }
  return touched;
}

/**
 * Which records to fold now: every record older than `maxAgeDays` before `today`, and when more than
 * `maxRecords` remain, the oldest ones down to `lowWater x maxRecords`. `records` must be sorted oldest first.
 */
export function selectForRollUp(
  records: readonly LedgerRecord[],
  today: string,
  policy: RollUpPolicy = DEFAULT_ROLL_UP,
): LedgerRecord[] {
  const cutoff = addDays(today, -policy.maxAgeDays);
  let n = 0;
  while (n < records.length && records[n]!.day < cutoff) n += 1;
  const remaining = records.length - n;
  if (remaining > policy.maxRecords) {
    const keep = Math.floor(policy.maxRecords * policy.lowWater);
    n = records.length - keep;
  }
  return records.slice(0, n);
}
