import { describe, expect, it } from 'vitest';
import { PRICES, costUsd, frontierCostUsd, priceOf } from './prices.ts';

describe('price table', () => {
  it('carries its source and date', () => {
    expect(PRICES.source.length).toBeGreaterThan(10);
    expect(PRICES.recordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('prices a call from token counts (hand-computed)', () => {
    // Sonnet 4.5: 1,000 in x $3/M + 500 out x $15/M = 0.003 + 0.0075
    expect(costUsd('claude-sonnet-4-5', { inputTokens: 1000, outputTokens: 500 })).toBeCloseTo(0.0105, 10);
    // GPT-5 mini with 800 of 1,000 input tokens cached: 200 x 0.25 + 800 x 0.025 + 100 x 2 = 270 micro-dollars
    expect(
      costUsd('gpt-5-mini', { inputTokens: 1000, cachedInputTokens: 800, outputTokens: 100 }),
    ).toBeCloseTo(0.00027, 10);
    expect(frontierCostUsd({ inputTokens: 1_000_000, outputTokens: 0 })).toBe(3);
  });

  it('matches dated snapshots by prefix and refuses unknown models', () => {
    expect(priceOf('claude-haiku-4-5-20251001')?.input).toBe(1);
    expect(costUsd('mystery-model', { inputTokens: 1, outputTokens: 1 })).toBeNaN();
  });
});
