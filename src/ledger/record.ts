/**
 * The ledger's record shapes (schema version 2) and how an entry becomes a priced record. Pure.
 *
 * Money is stored in integer nano-dollars (`costNanos`, `frontierNanos`) so sums and roll-ups are exact.
 */
import { z } from 'zod';
import { TaskKindSchema, TierSchema } from '../config/schemas.ts';
import type { Tier } from '../config/schemas.ts';
import {
  FREE_ON_DEVICE,
  PRICES,
  costNanos,
  frontierCostNanos,
  onDeviceCostNanos,
  type OnDeviceCost,
  type PriceTable,
} from './prices.ts';
import { usdToNanos } from './money.ts';

/** The schema version of records, aggregates and exports. */
export const LEDGER_SCHEMA_VERSION = 2;

/** The model name recorded for on-device answers when the caller does not name one. */
export const ON_DEVICE_MODEL = 'on-device';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative().finite();
const text = (max: number) => z.string().trim().min(1).max(max);

/** What a caller (assist, triage, extension) passes to `ledger.record()`. */
export const LedgerEntrySchema = z.object({
  /** When the request started, ms since the epoch (default: now). */
  time: z.number().int().nonnegative().optional(),
  /** Which surface asked: 'assist', 'triage', 'autocomplete', 'extension-rewrite'... */
  surface: text(40),
  task: TaskKindSchema,
  tier: TierSchema,
  /** Model that answered (for mid/frontier the upstream model id, priced from the table). */
  model: text(120).optional(),
  inputTokens: count,
  outputTokens: count,
  /** Input tokens the provider served from its prompt cache (a subset of inputTokens). */
  cachedInputTokens: count.optional(),
  /** Time to first token, ms (null or absent when nothing streamed). */
  ttftMs: ms.nullable().optional(),
  /** Total time until the answer was complete, ms. */
  totalMs: ms,
  /** The request was escalated from a cheaper tier (cascade reject, user asked for a bigger model...). */
  escalated: z.boolean().default(false),
  /** Why it was escalated (the verifier's reason, 'user-asked-bigger', ...). */
  escalationReason: z.string().max(300).nullable().optional(),
  /** The router's decision reason. */
  reason: z.string().max(500).default(''),
  /** The real cost when the gateway reported one (USD); otherwise computed from the price table. */
  costUsd: z.number().nonnegative().finite().optional(),
});
export type LedgerEntry = z.input<typeof LedgerEntrySchema>;

/** One request as stored (schema v2). */
export const LedgerRecordSchema = z.object({
  id: z.number().int().positive().optional(),
  time: z.number().int().nonnegative(),
  /** Local calendar day of `time`, YYYY-MM-DD (what the daily views group by). */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  surface: z.string(),
  task: TaskKindSchema,
  tier: TierSchema,
  model: z.string(),
  inputTokens: count,
  outputTokens: count,
  cachedInputTokens: count,
  ttftMs: ms.nullable(),
  totalMs: ms,
  costNanos: z.number().int().nonnegative(),
  frontierNanos: z.number().int().nonnegative(),
  escalated: z.boolean(),
  escalationReason: z.string().nullable(),
  reason: z.string(),
});
export type LedgerRecord = z.infer<typeof LedgerRecordSchema>;

/** Latency histogram bucket upper bounds, ms: 10 ms x 1.25^k up to ~3 minutes (45 buckets, last is open). */
export const LATENCY_BUCKETS_MS: readonly number[] = Array.from({ length: 44 }, (_, k) =>
  Math.round(10 * 1.25 ** k),
);

/** Index of the histogram bucket a latency falls in. */
export function bucketOf(valueMs: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((bound) => valueMs <= bound);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

/** Rolled-up requests of one day, tier, surface, task and model. Totals are exact integers. */
export const DailyAggregateSchema = z.object({
  key: z.string(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  tier: TierSchema,
  surface: z.string(),
  task: TaskKindSchema,
  model: z.string(),
  requests: count,
  escalated: count,
  inputTokens: count,
  outputTokens: count,
  cachedInputTokens: count,
  costNanos: z.number().int().nonnegative(),
  frontierNanos: z.number().int().nonnegative(),
  totalMsSum: ms,
  ttftMsSum: ms,
  ttftCount: count,
  /** Counts per {@link LATENCY_BUCKETS_MS} bucket (length buckets + 1). */
  totalHist: z.array(count),
  ttftHist: z.array(count),
});
export type DailyAggregate = z.infer<typeof DailyAggregateSchema>;

/** Local calendar day (YYYY-MM-DD) of a time in ms. */
export function dayKey(time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The day `n` days after `day` (negative n goes back). Calendar arithmetic, immune to DST. */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return date.toISOString().slice(0, 10);
}

export interface PricingOptions {
  prices?: PriceTable;
  onDevice?: OnDeviceCost;
}

/**
 * Price an already-validated entry: on-device answers cost the on-device setting ($0 by default);
 * mid/frontier answers cost the gateway-reported amount, else the model's price, else (unknown model) the
 * tier's default model price. The counterfactual is the default frontier model on the same token counts.
 */
export function toRecord(
  entry: z.output<typeof LedgerEntrySchema>,
  options: PricingOptions = {},
  now: number = Date.now(),
): LedgerRecord {
  const prices = options.prices ?? PRICES;
  const tokens = {
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    cachedInputTokens: Math.min(entry.cachedInputTokens ?? 0, entry.inputTokens),
  };
  const tier: Tier = entry.tier;
  const model =
    entry.model ?? (tier === 'local' ? ON_DEVICE_MODEL : (prices.defaults[tier] ?? ON_DEVICE_MODEL));
  let cost: number;
  if (tier === 'local') cost = onDeviceCostNanos(entry.totalMs, options.onDevice ?? FREE_ON_DEVICE);
  else if (entry.costUsd !== undefined) cost = usdToNanos(entry.costUsd);
  else cost = costNanos(model, tokens, prices) ?? costNanos(prices.defaults[tier], tokens, prices) ?? 0;
  const time = entry.time ?? now;
  return {
    time,
    day: dayKey(time),
    surface: entry.surface,
    task: entry.task,
    tier,
    model,
    ...tokens,
    ttftMs: entry.ttftMs ?? null,
    totalMs: entry.totalMs,
    costNanos: cost,
    frontierNanos: frontierCostNanos(tokens, prices),
    escalated: entry.escalated,
    escalationReason: entry.escalationReason ?? null,
    reason: entry.reason,
  };
}
