/**
 * The static router's training recipe, shared by `npm run train:router` (scripts/train-router.ts) and the
 * leave-one-out routers of `npm run eval:online` (scripts/lib/online-train.ts):
 *   1. dense features standardised over the training rows;
 *   2. each head fitted on the non-calibration part of train, Platt-scaled on the calibration slice, then
 *      refitted on all of train;
 *   3. the knob and on-device margin fitted on the calibration slice;
 *   4. the verifier: logistic over answer signals, threshold by Youden's J on the calibration slice.
 */
import { DENSE_NAMES, HASH_DIM } from '../../src/router/features.ts';
import { fitDenseLogistic, fitLogistic, fitPlatt, type Example } from '../../src/router/fit.ts';
import { headLogit, sigmoid, type HeadWeights } from '../../src/router/model.ts';
import { tierForScores } from '../../src/router/policy.ts';
import type { TrainItem } from './router-data-train.ts';

export const SEED = 20261129;
/** Prompts only the frontier solves must rarely start on-device (target <= 5% on test; keep 2.5% on train). */
const MAX_COMPLEX_LOCAL = 0.025;

export type Head = 'local' | 'mid';
export type Scores = { local: number; mid: number };
export interface Hyper {
  epochs: number;
  lr: number;
  l2: number;
}

export const round = (x: number, d = 4): number => Number(x.toFixed(d));
const label = (it: TrainItem, h: Head): number | undefined => (h === 'local' ? it.yLocal : it.yMid);

/** Mean and standard deviation of each dense feature over `items` (a constant feature gets std 1). */
export function standardise(items: TrainItem[]): { mean: number[]; std: number[] } {
  const D = DENSE_NAMES.length;
  const mean = new Array<number>(D).fill(0);
  const std = new Array<number>(D).fill(0);
  for (const it of items)
    for (let k = 0; k < D; k++) mean[k] = (mean[k] as number) + (it.f.dense[k] as number) / items.length;
  for (const it of items)
    for (let k = 0; k < D; k++)
      std[k] = (std[k] as number) + ((it.f.dense[k] as number) - (mean[k] as number)) ** 2 / items.length;
  for (let k = 0; k < D; k++) std[k] = Math.sqrt(std[k] as number) || 1;
  return { mean, std };
}

export interface FittedHeads {
  /** The shipped heads (refitted on all of train, rounded). */
  heads: Record<Head, HeadWeights>;
  /** The partial heads with their Platt scaling: out-of-sample scores on the calibration slice. */
  calibHeads: Record<Head, HeadWeights>;
  /** Per head: examples on all of train, and the calibration slice's log-loss. */
  report: Record<Head, { examples: number; logLoss: number; platt: { a: number; b: number } }>;
}

/** Step 2 of the recipe for both heads. */
export function fitHeads(
  items: TrainItem[],
  standard: { mean: number[]; std: number[] },
  hp: Hyper,
): FittedHeads {
  const { mean, std } = standard;
  const examples = (h: Head, pick: (it: TrainItem) => boolean): Example[] =>
    items
      .filter((it) => pick(it) && label(it, h) !== undefined)
      .map((it) => ({ f: it.f, y: label(it, h) as number, w: it.weight }));
  const fit = (ex: Example[], seed: number) =>
    fitLogistic(ex, { hashDim: HASH_DIM, mean, std, epochs: hp.epochs, lr: hp.lr, l2: hp.l2, seed });
  const out = { heads: {}, calibHeads: {}, report: {} } as FittedHeads;
  for (const [i, h] of (['local', 'mid'] as const).entries()) {
    const part = fit(
      examples(h, (it) => !it.calib),
      SEED + i,
    );
    const cal = items.filter((it) => it.calib && label(it, h) !== undefined);
    const z = cal.map((it) => headLogit({ ...part, platt: { a: 1, b: 0 } }, it.f, mean, std));
    const platt = fitPlatt(
      z,
      cal.map((it) => label(it, h) as number),
      cal.map((it) => it.weight),
    );
    out.calibHeads[h] = { ...part, platt };
    const all = examples(h, () => true);
    const full = fit(all, SEED + 10 + i);
    out.heads[h] = {
      bias: round(full.bias),
      hashed: full.hashed.map((v) => round(v)),
      dense: full.dense.map((v) => round(v)),
      platt: { a: round(platt.a), b: round(platt.b) },
    };
    const ll = cal.reduce((s, it, j) => {
      const p = sigmoid(platt.a * (z[j] as number) + platt.b);
      const y = label(it, h) as number;
      return s - Math.log(y ? Math.max(p, 1e-9) : Math.max(1 - p, 1e-9));
    }, 0);
    out.report[h] = { examples: all.length, logLoss: ll / cal.length, platt };
  }
  return out;
}

/** The calibrated scores of the partial heads (the mid score never below the on-device one). */
export function calibratedScores(
  calibHeads: Record<Head, HeadWeights>,
  standard: { mean: number[]; std: number[] },
): (it: TrainItem) => Scores {
  const { mean, std } = standard;
  return (it) => {
    const zl = headLogit(calibHeads.local, it.f, mean, std);
    const zm = headLogit(calibHeads.mid, it.f, mean, std);
    const local = sigmoid(calibHeads.local.platt.a * zl + calibHeads.local.platt.b);
    return { local, mid: Math.max(local, sigmoid(calibHeads.mid.platt.a * zm + calibHeads.mid.platt.b)) };
  };
}

export interface FittedPolicy {
  defaultQuality: number;
  localMargin: number;
  /** Product calibration rows whose tier the chosen pair matches, out of `productRows`. */
  productExact: number;
  productRows: number;
  /** The RouterBench calibration slice, its out-of-sample scores and all-frontier accuracy (diagnostics). */
  rbCal: TrainItem[];
  scoresCal: Scores[];
  frontierAcc: number;
}

/**
 * Step 3: the lowest knob that keeps the RouterBench calibration slice at 95% of all-frontier accuracy
 * (plus one standard error: the slice is small), then the joint (knob, margin) that best matches the
 * product slice's tiers while that floor holds and few frontier-only prompts go on-device; ties go to
 * the cheaper RouterBench cost.
 */
export function fitPolicy(items: TrainItem[], calScores: (it: TrainItem) => Scores): FittedPolicy {
  const rbCal = items.filter((it) => it.calib && it.rb);
  const scoresCal = rbCal.map(calScores);
  const frontierAcc = rbCal.reduce((s, it) => s + (it.rb?.correct.frontier ?? 0), 0) / rbCal.length;
  const tierAt = (j: number, q: number, m: number) => tierForScores(scoresCal[j] as Scores, q, m);
  const rbAcc = (q: number, m: number): number =>
    rbCal.reduce((s, it, j) => s + (it.rb?.correct[tierAt(j, q, m)] ?? 0), 0) / rbCal.length;
  const rbCost = (q: number, m: number): number =>
    rbCal.reduce((s, it, j) => s + (it.rb?.cost[tierAt(j, q, m)] ?? 0), 0);
  const FLOOR = 0.95 * frontierAcc + Math.sqrt((frontierAcc * (1 - frontierAcc)) / rbCal.length);
  let defaultQuality = 0.95;
  for (let q = 0.3; q <= 0.951; q += 0.01) {
    if (rbAcc(q, 0) >= FLOOR) {
      defaultQuality = round(q, 2);
      break;
    }
  }
  const prodCal = items.filter((it) => it.calib && it.source === 'product');
  const prodScores = prodCal.map(calScores);
  const prodTier = (it: TrainItem): string => (it.yLocal ? 'local' : it.yMid ? 'mid' : 'frontier');
  const complex = rbCal
    .map((it, j) => ({ it, j }))
    .filter(({ it }) => it.rb && !it.rb.correct.local && !it.rb.correct.mid && it.rb.correct.frontier);
  const complexLocal = (q: number, m: number): number =>
    complex.filter(({ j }) => tierAt(j, q, m) === 'local').length / Math.max(1, complex.length);
  let localMargin = 0;
  let bestProd = -1;
  let bestCost = Infinity;
  const q0 = defaultQuality;
  for (let qi = Math.round(q0 * 100); qi <= 97; qi++) {
    const q = qi / 100;
    for (let mi = 0; mi <= 30; mi++) {
      const m = mi / 100;
      if (rbAcc(q, m) < FLOOR || complexLocal(q, m) > MAX_COMPLEX_LOCAL) continue;
      const ok = prodCal.filter(
        (it, j) => tierForScores(prodScores[j] as Scores, q, m) === prodTier(it),
      ).length;
      const cost = rbCost(q, m);
      if (ok > bestProd || (ok === bestProd && cost < bestCost - 1e-12)) {
        bestProd = ok;
        bestCost = cost;
        defaultQuality = q;
        localMargin = m;
      }
    }
  }
  return {
    defaultQuality,
    localMargin,
    productExact: bestProd,
    productRows: prodCal.length,
    rbCal,
    scoresCal,
    frontierAcc,
  };
}

export interface VerifierExample {
  x: number[];
  y: number;
  calib: boolean;
}

/**
 * Step 4: fitted on the non-calibration answers, thresholded by Youden's J on the calibration slice,
 * refitted on all answers. `weigh` gives each example's weight within the set it is fitted on.
 */
export function fitVerifier<V extends VerifierExample>(
  all: V[],
  weigh: (vs: V[]) => number[],
): { bias: number; weights: number[]; threshold: number; youdenJ: number } {
  const vFit = all.filter((v) => !v.calib);
  const vCal = all.filter((v) => v.calib);
  const vPart = fitDenseLogistic(
    vFit.map((v) => v.x),
    vFit.map((v) => v.y),
    weigh(vFit),
  );
  const pCal = vCal.map((v) =>
    sigmoid(v.x.reduce((s, x, k) => s + x * (vPart.weights[k] as number), vPart.bias)),
  );
  let best = { j: -1, t: 0.5 };
  for (let t = 0.2; t <= 0.9; t += 0.01) {
    let tp = 0;
    let fn = 0;
    let tn = 0;
    let fp = 0;
    vCal.forEach((v, i) => {
      const acc = (pCal[i] as number) >= t;
      if (v.y && acc) tp++;
      else if (v.y) fn++;
      else if (acc) fp++;
      else tn++;
    });
    const j = tp / Math.max(1, tp + fn) + tn / Math.max(1, tn + fp) - 1;
    if (j > best.j + 1e-9) best = { j, t };
  }
  const vFull = fitDenseLogistic(
    all.map((v) => v.x),
    all.map((v) => v.y),
    weigh(all),
  );
  return { bias: vFull.bias, weights: vFull.weights, threshold: best.t, youdenJ: best.j };
}
