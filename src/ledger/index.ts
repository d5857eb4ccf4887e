/**
 * The ledger: what every answer cost, what the frontier would have cost, and how long it took.
 *
 * ```ts
 * import { Ledger } from '../ledger/index.ts';
 * const ledger = await Ledger.open();            // IndexedDB "tier-ledger" (or Ledger.open('my-site'))
 * await ledger.record({
 *   surface: 'assist', task: 'chat', tier: 'mid', model: 'claude-haiku-4-5',
 *   inputTokens: 420, outputTokens: 180, cachedInputTokens: 0,
 *   ttftMs: 480, totalMs: 3900,
 *   escalated: true, escalationReason: 'verifier: answer cut off', reason: decision.reason,
 *   // costUsd: meta.costUsd   // optional: the gateway's own figure; else priced from prices.json
 * });
 * const month = await ledger.summary('30d');     // 'today' | '7d' | '30d' | {from, to} (YYYY-MM-DD)
 * month.savedUsd; month.tiers.local.share; month.tiers.mid.total?.p95; month.daily;
 * const [today, week] = await ledger.summaries(['today', '7d']); // several ranges, one read
 * const csv = await ledger.export('csv');        // or 'json', re-importable with ledger.import(json)
 * ledger.addEventListener('change', ...);        // and BroadcastChannel(ledgerChannelName(name))
 * ```
 *
 * Costs are integer nano-dollars inside (exact sums and roll-ups); on-device answers cost $0 unless
 * `ledger.setOnDeviceCost({watts, usdPerKwh, amortisedUsdPerHour})` prices energy and hardware.
 * `record()` throws ConfigError (code config_invalid) for an entry that does not match LedgerEntrySchema.
 * The price table, the arithmetic, summaries, roll-up, CSV and the what-if calculator are pure and run in
 * Node too; only `Ledger` and `store.ts` need IndexedDB.
 */
export { Ledger, DEFAULT_LEDGER_NAME, ledgerChannelName } from './ledger.ts';
export type { LedgerChange, LedgerChangeKind, LedgerOptions } from './ledger.ts';
export {
  LEDGER_SCHEMA_VERSION,
  LedgerEntrySchema,
  LedgerRecordSchema,
  DailyAggregateSchema,
  ON_DEVICE_MODEL,
  dayKey,
  addDays,
  toRecord,
} from './record.ts';
export type { LedgerEntry, LedgerRecord, DailyAggregate } from './record.ts';
export { summarize, resolveRange, percentile, TIERS } from './summary.ts';
export type { Summary, SummaryRange, TierSummary, DayPoint, Percentiles } from './summary.ts';
export { toCsv, parseCsv, toJsonExport, parseJsonExport, CSV_COLUMNS } from './export.ts';
export type { LedgerExport } from './export.ts';
export { DEFAULT_ROLL_UP, foldRecords, selectForRollUp } from './rollup.ts';
export type { RollUpPolicy } from './rollup.ts';
export { formatUsd, nanosToUsd, nanosToDecimal } from './money.ts';
export {
  PRICES,
  costUsd,
  costNanos,
  frontierCostUsd,
  frontierCostNanos,
  onDeviceCostNanos,
  OnDeviceCostSchema,
  FREE_ON_DEVICE,
} from './prices.ts';
export type { OnDeviceCost, PriceTable, TokenCounts } from './prices.ts';
