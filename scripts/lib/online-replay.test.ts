import { describe, expect, it } from 'vitest';
import { DENSE_NAMES } from '../../src/router/features.ts';
import { mulberry32 } from '../../src/prng.ts';
import { evaluateStream, type Stream, type StreamItem } from './online-replay.ts';

/**
 * A 2-tier stream the static router cannot split: every request has the same static scores, but on one
 * kind (bucket 5) mid is as right as the frontier and on the other (bucket 9) mid is mostly wrong. Only
 * revealed feedback can tell them apart.
 */
function syntheticStream(n: number, seed: number): Stream {
  const rand = mulberry32(seed);
  const items: StreamItem[] = [];
  for (let i = 0; i < n; i++) {
    const easy = rand() < 0.5;
    const frontier = rand() < 0.9 ? 1 : 0;
    const mid = easy ? frontier : rand() < 0.3 ? 1 : 0;
    items.push({
      f: {
        scores: { local: 0.05, mid: 0.8 },
        dense: new Array<number>(DENSE_NAMES.length).fill(0),
        idx: [easy ? 5 : 9],
        val: [1],
      },
      correct: { local: 0, mid, frontier },
      cost: { local: 0, mid: 1, frontier: 3 },
      localAccept: false,
      frontierOnly: false,
    });
  }
  return { name: 'synthetic', items, tiers: 2, policy: { defaultQuality: 0.9, localMargin: 0 } };
}

describe('eval:online replay', () => {
  it('lets the online router find the kind mid handles, from revealed feedback alone', () => {
    const knobs = Array.from({ length: 21 }, (_, i) => i / 20);
    const r = evaluateStream(
      syntheticStream(2000, 4),
      knobs,
      { reveal: 0.5, flip: 0.05, seed: 1, refitEvery: 25 },
      {},
      50,
    );
    // Static can only mix all-mid and all-frontier, like the random mix.
    expect(r.staticSaving95).toBeCloseTo(r.randomSaving95, 2);
    expect(r.onlineSaving95).toBeGreaterThan(1.2 * r.staticSaving95);
    expect(r.onlineCiLow).toBeGreaterThan(r.staticSaving95);
    expect(r.size).toBe(2000);
  });

  it('gains nothing when feedback is never revealed', () => {
    const knobs = Array.from({ length: 21 }, (_, i) => i / 20);
    const r = evaluateStream(
      syntheticStream(2000, 4),
      knobs,
      { reveal: 0, flip: 0, seed: 1, refitEvery: 25 },
      {},
      0,
    );
    expect(r.onlineSaving95).toBeLessThanOrEqual(r.staticSaving95 + 0.01);
  });
});
