/**
 * Ledger exports: CSV (one row per request, then one per rolled-up day group) and JSON (the exact records
 * and aggregates, re-importable). Pure.
 */
import { z } from 'zod';
import { parse } from '../config/parse.ts';
import { ConfigError } from '../errors.ts';
export { parseCsv } from '../csv.ts';
import { nanosToDecimal } from './money.ts';
import { PRICES } from './prices.ts';
import {
  DailyAggregateSchema,
  LEDGER_SCHEMA_VERSION,
  LedgerRecordSchema,
  type DailyAggregate,
  type LedgerRecord,
} from './record.ts';

export const CSV_COLUMNS = [
  'kind',
  'id',
  'time',
  'day',
  'surface',
  'task',
  'tier',
  'model',
  'requests',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'ttft_ms',
  'total_ms',
  'cost_usd',
  'frontier_cost_usd',
  'saved_usd',
  'escalated',
  'escalation_reason',
  'reason',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF; a leading =+-@ is prefixed with ' (CSV injection). */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV of every request record and every rolled-up aggregate (costs as exact decimals). */
export function toCsv(records: readonly LedgerRecord[], aggregates: readonly DailyAggregate[]): string {
  const rows: (string | number | boolean | null)[][] = [[...CSV_COLUMNS]];
  for (const r of records) {
    rows.push([
      'request',
      r.id ?? null,
      new Date(r.time).toISOString(),
      r.day,
      r.surface,
      r.task,
      r.tier,
      r.model,
      1,
      r.inputTokens,
      r.outputTokens,
      r.cachedInputTokens,
      r.ttftMs,
      r.totalMs,
      nanosToDecimal(r.costNanos),
      nanosToDecimal(r.frontierNanos),
      nanosToDecimal(r.frontierNanos - r.costNanos),
      r.escalated,
      r.escalationReason,
      r.reason,
    ]);
  }
  for (const a of aggregates) {
    rows.push([
      'daily',
      null,
      null,
      a.day,
      a.surface,
      a.task,
      a.tier,
      a.model,
      a.requests,
      a.inputTokens,
      a.outputTokens,
      a.cachedInputTokens,
      a.ttftCount === 0 ? null : Math.round(a.ttftMsSum / a.ttftCount),
      a.requests === 0 ? null : Math.round(a.totalMsSum / a.requests),
      nanosToDecimal(a.costNanos),
      nanosToDecimal(a.frontierNanos),
      nanosToDecimal(a.frontierNanos - a.costNanos),
      a.escalated,
      null,
      null,
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export const LedgerExportSchema = z.object({
  format: z.literal('tier-ledger'),
  schemaVersion: z.literal(LEDGER_SCHEMA_VERSION),
  exportedAt: z.string(),
  prices: z.object({ version: z.number(), recordedOn: z.string() }),
  records: z.array(LedgerRecordSchema),
  daily: z.array(DailyAggregateSchema),
});
export type LedgerExport = z.infer<typeof LedgerExportSchema>;

export function toJsonExport(
  records: readonly LedgerRecord[],
  aggregates: readonly DailyAggregate[],
  now: number = Date.now(),
): LedgerExport {
  return {
    format: 'tier-ledger',
    schemaVersion: LEDGER_SCHEMA_VERSION,
    exportedAt: new Date(now).toISOString(),
    prices: { version: PRICES.version, recordedOn: PRICES.recordedOn },
    records: [...records],
    daily: [...aggregates],
  };
}

/** Validate an export read from a file or a person (throws ConfigError naming the first bad field). */
export function parseJsonExport(value: unknown): LedgerExport {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value) as unknown;
    } catch (cause) {
      throw new ConfigError('Invalid ledger export: not JSON. Import a file made by ledger.export("json").', {
        cause,
        data: { field: '' },
      });
    }
  }
  return parse(LedgerExportSchema, data, 'ledger export');
}
