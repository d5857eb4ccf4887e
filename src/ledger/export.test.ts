import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { CSV_COLUMNS, csvField, parseCsv, parseJsonExport, toCsv, toJsonExport } from './export.ts';
import { decimalToNanos } from './money.ts';
import { LedgerEntrySchema, toRecord } from './record.ts';
import { foldRecords } from './rollup.ts';

const NOW = Date.UTC(2026, 10, 29, 12);
const records = [
  {
    ...toRecord(
      LedgerEntrySchema.parse({
        time: NOW,
        surface: 'assist',
        task: 'chat',
        tier: 'mid',
        model: 'claude-haiku-4-5',
        inputTokens: 1000,
        cachedInputTokens: 200,
        outputTokens: 300,
        ttftMs: 450,
        totalMs: 2100,
        reason: 'mid 91% clears it, "quoted", with commas\nand a newline',
      }),
    ),
    id: 1,
  },
  {
    ...toRecord(
      LedgerEntrySchema.parse({
        time: NOW + 1000,
        surface: '=cmd',
        task: 'autocomplete',
        tier: 'local',
        inputTokens: 40,
        outputTokens: 8,
        totalMs: 90,
      }),
    ),
    id: 2,
  },
];

describe('CSV export', () => {
  it('writes one row per record with exact decimal costs that parse back', () => {
    const rows = parseCsv(toCsv(records, []));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    const col = (row: string[], name: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(name)];
    expect(col(rows[1]!, 'cost_usd')).toBe('0.002320000');
    expect(col(rows[1]!, 'frontier_cost_usd')).toBe('0.006960000');
    expect(col(rows[1]!, 'saved_usd')).toBe('0.004640000');
    expect(col(rows[1]!, 'reason')).toBe(records[0]!.reason);
    expect(col(rows[2]!, 'surface')).toBe("'=cmd"); // no formula injection into spreadsheets
    expect(col(rows[2]!, 'ttft_ms')).toBe('');
    const total = rows.slice(1).reduce((s, r) => s + decimalToNanos(col(r, 'cost_usd')!), 0);
    expect(total).toBe(records[0]!.costNanos + records[1]!.costNanos);
  });

  it('adds rolled-up days as daily rows with their request counts', () => {
    const aggs = [...foldRecords(records, new Map()).values()];
    const rows = parseCsv(toCsv([], aggs));
    expect(rows.slice(1).map((r) => [r[0], r[8]])).toEqual([
      ['daily', '1'],
      ['daily', '1'],
    ]);
    expect(csvField('a"b')).toBe('"a""b"');
  });
});

describe('JSON export', () => {
  it('round-trips records and aggregates exactly', () => {
    const aggs = [...foldRecords(records, new Map()).values()];
    const text = JSON.stringify(toJsonExport(records, aggs, NOW));
    const back = parseJsonExport(text);
    expect(back.records).toEqual(records);
    expect(back.daily).toEqual(aggs);
    expect(back.exportedAt).toBe('2026-11-29T12:00:00.000Z');
  });

  it('rejects files that are not ledger exports with ConfigError', () => {
    expect(() => parseJsonExport('not json')).toThrow(ConfigError);
    expect(() => parseJsonExport({ format: 'tier-ledger', schemaVersion: 1 })).toThrow(ConfigError);
    const bad = { ...toJsonExport(records, [], NOW), records: [{ ...records[0], costNanos: 1.5 }] };
    expect(() => parseJsonExport(bad)).toThrow(ConfigError);
  });
});
