import { describe, expect, it } from 'vitest';
import { apgr, costAtAccuracy, cpt, percentile, savingAtFloor, strongCallCurve } from './metrics.ts';

describe('costAtAccuracy / savingAtFloor', () => {
  const pts = [
    { cost: 0.1, acc: 0.6 },
    { cost: 0.4, acc: 0.75 },
    { cost: 5, acc: 0.88 },
  ];
  it('interpolates between operating points (random mix)', () => {
    const target = 0.95 * 0.88;
    const t = (target - 0.75) / (0.88 - 0.75);
    expect(costAtAccuracy(pts, target)).toBeCloseTo(0.4 + t * 4.6, 10);
    expect(savingAtFloor(pts, pts[2] as { cost: number; acc: number }, 0.95)).toBeCloseTo(
      1 - (0.4 + t * 4.6) / 5,
      10,
    );
  });
  it('returns Infinity when nothing reaches the target', () => {
    expect(costAtAccuracy(pts, 0.99)).toBe(Infinity);
  });
  it('a point above the target at low cost wins', () => {
    expect(costAtAccuracy([...pts, { cost: 1, acc: 0.9 }], 0.85)).toBeLessThan(1);
  });
});

describe('APGR and CPT (RouteLLM definitions)', () => {
  const weak = [1, 0, 0, 1, 0, 1, 1, 0];
  const strong = [1, 1, 1, 1, 0, 1, 1, 1];
  const wp = weak.reduce((a, b) => a + b) / 8;
  const sp = strong.reduce((a, b) => a + b) / 8;
  it('an oracle router (needs strong exactly where weak fails) has APGR near 1', () => {
    const need = weak.map((w, i) => (strong[i] && !w ? 1 : 0));
    const curve = strongCallCurve(need, weak, strong);
    expect(apgr(curve, wp, sp)).toBeGreaterThan(0.8);
    expect(cpt(curve, wp, sp, 0.5)).toBeCloseTo(2 / 8);
  });
  it('an inverted router is worse than random', () => {
    const need = weak.map((w, i) => (strong[i] && !w ? 0 : 1));
    expect(apgr(strongCallCurve(need, weak, strong), wp, sp)).toBeLessThan(0.5);
  });
  it('percentile interpolates', () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([0, 10], 99)).toBeCloseTo(9.9);
  });
});
