import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parse } from '../config/parse.ts';
import { LedgerEntrySchema, addDays, dayKey, toRecord, type LedgerEntry } from './record.ts';
import { costNanos, onDeviceCostNanos } from './prices.ts';
import { decimalToNanos, formatUsd, nanosToDecimal } from './money.ts';

const NOON = Date.UTC(2026, 10, 20, 12, 0, 0);
const entry = (e: Partial<LedgerEntry>) =>
  parse(
    LedgerEntrySchema,
    {
      surface: 'assist',
      task: 'chat',
      tier: 'mid',
      inputTokens: 0,
      outputTokens: 0,
      totalMs: 0,
      time: NOON,
      ...e,
    },
    'test entry',
  );

describe('pricing a ledger record (hand-computed from prices.json)', () => {
  it('prices a mid answer with cached input, and its frontier counterfactual on the same tokens', () => {
    // Haiku 4.5: 800 uncached x $1/M + 200 cached x $0.10/M + 300 out x $5/M = 800 + 20 + 1500 = 2,320 micro-$
    // Sonnet 4.5 (default frontier): 800 x 3 + 200 x 0.30 + 300 x 15 = 2400 + 60 + 4500 = 6,960 micro-$
    const r = toRecord(
      entry({
        model: 'claude-haiku-4-5-20251001',
        inputTokens: 1000,
        cachedInputTokens: 200,
        outputTokens: 300,
      }),
    );
    expect(r.costNanos).toBe(2_320_000);
    expect(r.frontierNanos).toBe(6_960_000);
    expect(r.day).toBe(dayKey(NOON));
  });

  it('costs $0 on-device by default, and energy plus amortised hardware when set', () => {
    const local = entry({ tier: 'local', inputTokens: 1000, outputTokens: 300, totalMs: 3600 });
    const free = toRecord(local);
    expect(free.costNanos).toBe(0);
    expect(free.model).toBe('on-device');
    expect(free.frontierNanos).toBe(7_500_000); // 1000 x 3 + 300 x 15 = 7,500 micro-$
    // 30 W x 3.6 s = 0.00003 kWh x $0.20 = $0.000006 = 6,000 nano-$
    expect(
      toRecord(local, { onDevice: { watts: 30, usdPerKwh: 0.2, amortisedUsdPerHour: 0 } }).costNanos,
    ).toBe(6000);
    // $0.36/h for 1 s = $0.0001 = 100,000 nano-$
    expect(onDeviceCostNanos(1000, { watts: 0, usdPerKwh: 0, amortisedUsdPerHour: 0.36 })).toBe(100_000);
  });

  it("uses the gateway's reported cost when given, and the tier default for an unknown model", () => {
    expect(toRecord(entry({ costUsd: 0.0123, inputTokens: 10 })).costNanos).toBe(12_300_000);
    // unknown mid model priced as Haiku: 100 x 1 + 10 x 5 = 150 micro-$
    expect(toRecord(entry({ model: 'some-new-model', inputTokens: 100, outputTokens: 10 })).costNanos).toBe(
      150_000,
    );
    expect(costNanos('some-new-model', { inputTokens: 1, outputTokens: 1 })).toBeUndefined();
    // frontier tier without a model: Sonnet, cost equals counterfactual (nothing saved)
    const f = toRecord(entry({ tier: 'frontier', inputTokens: 500, outputTokens: 100 }));
    expect(f.model).toBe('claude-sonnet-4-5');
    expect(f.costNanos).toBe(f.frontierNanos);
    expect(f.costNanos).toBe(3_000_000); // 500 x 3 + 100 x 15 = 3,000 micro-$
  });

  it('caps cached tokens at the input tokens and rejects malformed entries with ConfigError', () => {
    expect(toRecord(entry({ inputTokens: 10, cachedInputTokens: 50 })).cachedInputTokens).toBe(10);
    expect(() => entry({ inputTokens: -1 })).toThrow(ConfigError);
    expect(() => entry({ tier: 'huge' as 'mid' })).toThrow(ConfigError);
  });
});

describe('money and days', () => {
  it('writes and reads exact decimals', () => {
    expect(nanosToDecimal(5_280_000)).toBe('0.005280000');
    expect(nanosToDecimal(-1_500_000_001)).toBe('-1.500000001');
    expect(decimalToNanos('0.005280000')).toBe(5_280_000);
    expect(decimalToNanos('12')).toBe(12_000_000_000);
    expect(formatUsd(1234.567)).toBe('$1,234.57');
    expect(formatUsd(0.0053)).toBe('$0.0053');
    expect(formatUsd(0)).toBe('$0.00');
  });

  it('does calendar arithmetic across months and years', () => {
    expect(addDays('2026-11-29', -29)).toBe('2026-10-31');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});
