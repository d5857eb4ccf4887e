import { describe, expect, it } from 'vitest';
import type { Tier } from '../config/schemas.ts';
import { feedbackRecord, type FeedbackRecord, type FeedbackSignal } from '../router/feedback.ts';
import { learningCurve, midCostRatio } from './learning-curve.ts';
import { PRICES } from './prices.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 2, 9); // Monday 2 November 2026, 09:00 UTC
const features = { scores: { local: 0.5, mid: 0.8 }, dense: [], idx: [], val: [] };

function rec(dayOffset: number, signal: FeedbackSignal, tier: Tier): FeedbackRecord {
  return feedbackRecord(
    signal,
    { features, tier, propensity: 0.9 },
    { surface: 'tier-assist', at: START + dayOffset * DAY },
  );
}

/** `n` answers on day `d`: `good` of them thumbs-up, the rest thumbs-down, all on `tier`. */
const answers = (d: number, tier: Tier, n: number, good: number): FeedbackRecord[] =>
  Array.from({ length: n }, (_, i) => rec(d, i < good ? 'thumbs-up' : 'thumbs-down', tier));

describe('learningCurve', () => {
  it('has no weeks without records', () => {
    expect(learningCurve([])).toEqual([]);
  });

  it('reads planted weeks: quality from positive verdicts, saving from the tier mix', () => {
    const records = [
      // week 1: 10 answers on mid, 6 good; 4 verifier checks (3 accepted) on on-device answers
      ...answers(0, 'mid', 10, 6),
      rec(1, 'verifier-accept', 'local'),
      rec(1, 'verifier-accept', 'local'),
      rec(2, 'verifier-accept', 'local'),
      rec(2, 'verifier-reject', 'local'),
      // week 2: nothing (an empty week stays in the curve)
      // week 3: 8 on-device (7 good, one "ask a bigger model"), 2 frontier (both good)
      ...answers(15, 'local', 7, 7),
      rec(16, 'ask-bigger', 'local'),
      ...answers(20, 'frontier', 2, 2),
    ];
    const curve = learningCurve(records, { relativeCost: { local: 0, mid: 0.25, frontier: 1 } });
    expect(curve.map((w) => [w.week, w.start, w.answers])).toEqual([
      [1, '2026-11-02', 10],
      [2, '2026-11-09', 0],
      [3, '2026-11-16', 10],
    ]);
    expect(curve[0]!.quality).toBeCloseTo(0.6, 12);
    expect(curve[0]!.saving).toBeCloseTo(0.75, 12); // all on mid at a quarter of the frontier's price
    expect(curve[0]!.verifierChecks).toBe(4);
    expect(curve[0]!.verifierAccept).toBeCloseTo(0.75, 12);
    expect(curve[1]).toMatchObject({ quality: null, saving: null, verifierAccept: null });
    expect(curve[2]!.quality).toBeCloseTo(0.9, 12);
    expect(curve[2]!.saving).toBeCloseTo(0.8, 12); // 8 free, 2 at full price
    expect(curve[2]!.tiers).toEqual({ local: 8, mid: 0, frontier: 2 });
  });

  it('orders weeks by time whatever the order of the records, and keeps the last maxWeeks', () => {
    const records = [
      ...answers(29, 'local', 2, 1),
      ...answers(0, 'frontier', 1, 1),
      ...answers(8, 'mid', 1, 0),
    ];
    const all = learningCurve(records);
    expect(all.map((w) => w.answers)).toEqual([1, 1, 0, 0, 2]);
    const last2 = learningCurve(records, { maxWeeks: 2 });
    expect(last2.map((w) => [w.week, w.answers])).toEqual([
      [4, 0],
      [5, 2],
    ]);
  });

  it('skips records with an impossible time instead of failing', () => {
    const bad = { ...rec(0, 'thumbs-up', 'local'), at: Number.NaN };
    expect(learningCurve([bad])).toEqual([]);
    expect(learningCurve([bad, ...answers(0, 'local', 1, 1)]).map((w) => w.answers)).toEqual([1]);
  });

  it('prices mid from the price table by default', () => {
    // Haiku 4.5 vs Sonnet 4.5: both rates are a third, so any token mix gives 1/3.
    expect(midCostRatio(PRICES)).toBeCloseTo(1 / 3, 12);
    const curve = learningCurve(answers(0, 'mid', 3, 3));
    expect(curve[0]!.saving).toBeCloseTo(2 / 3, 12);
  });
});
