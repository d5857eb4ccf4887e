/**
 * Retrain the static router with one data set left out, for `npm run eval:online`. The same recipe as
 * `npm run train:router` (scripts/train-router.ts): heads fitted on the non-calibration part of train,
 * Platt-scaled on the calibration slice, refitted on all of train; the knob and on-device margin fitted
 * on the calibration slice; the verifier refitted on the small model's answers. Only the rows kept by
 * `keep` take part, so the left-out set touches no weight and no threshold.
 */
import { DENSE_NAMES, HASH_DIM } from '../../src/router/features.ts';
import { fitDenseLogistic, fitLogistic, fitPlatt, type Example } from '../../src/router/fit.ts';
import { headLogit, sigmoid, type HeadWeights, type RouterWeights } from '../../src/router/model.ts';
import { tierForScores } from '../../src/router/policy.ts';
import { answerSignals } from '../../src/router/verifier.ts';
import { VERIFIER_SIGNALS, signalVector, type TrainItem } from './router-data-train.ts';

const SEED = 20261129;
const HP = { epochs: 8, lr: 0.08, l2: 30 };
const MAX_COMPLEX_LOCAL = 0.025;

type Head = 'local' | 'mid';
type Scores = { local: number; mid: number };

export function trainStaticRouter(all: TrainItem[], keep: (it: TrainItem) => boolean): RouterWeights {
  const items = all.filter(keep);
  const Dn = DENSE_NAMES.length;
  const mean = new Array<number>(Dn).fill(0);
  const std = new Array<number>(Dn).fill(0);
  for (const it of items)
    for (let k = 0; k < Dn; k++) mean[k] = (mean[k] as number) + (it.f.dense[k] as number) / items.length;
  for (const it of items)
    for (let k = 0; k < Dn; k++)
      std[k] = (std[k] as number) + ((it.f.dense[k] as number) - (mean[k] as number)) ** 2 / items.length;
  for (let k = 0; k < Dn; k++) std[k] = Math.sqrt(std[k] as number) || 1;

  const label = (it: TrainItem, h: Head): number | undefined => (h === 'local' ? it.yLocal : it.yMid);
  const examples = (h: Head, pick: (it: TrainItem) => boolean): Example[] =>
    items
      .filter((it) => pick(it) && label(it, h) !== undefined)
      .map((it) => ({ f: it.f, y: label(it, h) as number, w: it.weight }));
  const fit = (ex: Example[], seed: number) =>
    fitLogistic(ex, { hashDim: HASH_DIM, mean, std, epochs: HP.epochs, lr: HP.lr, l2: HP.l2, seed });
  const round = (x: number, d = 4): number => Number(x.toFixed(d));

  const heads = {} as Record<Head, HeadWeights>;
  const calibHeads = {} as Record<Head, HeadWeights>;
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
    calibHeads[h] = { ...part, platt };
    const full = fit(
      examples(h, () => true),
      SEED + 10 + i,
    );
    heads[h] = {
      bias: round(full.bias),
      hashed: full.hashed.map((v) => round(v)),
      dense: full.dense.map((v) => round(v)),
      platt: { a: round(platt.a), b: round(platt.b) },
    };
  }

  const calScores = (it: TrainItem): Scores => {
    const zl = headLogit(calibHeads.local, it.f, mean, std);
    const zm = headLogit(calibHeads.mid, it.f, mean, std);
    const local = sigmoid(calibHeads.local.platt.a * zl + calibHeads.local.platt.b);
    return { local, mid: Math.max(local, sigmoid(calibHeads.mid.platt.a * zm + calibHeads.mid.platt.b)) };
  };
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

  // Verifier on the small model's own answers (RouterBench) of the kept rows, threshold by Youden's J.
  const vItems = items
    .filter((it) => it.rb?.response.local !== undefined)
    .map((it) => ({
      x: signalVector(
        answerSignals({ text: it.rb?.response.local ?? '', finishReason: 'stop', prompt: it.prompt }),
      ),
      y: it.rb?.correct.local ?? 0,
      calib: it.calib,
    }));
  const vFit = vItems.filter((v) => !v.calib);
  const vCal = vItems.filter((v) => v.calib);
  const vPart = fitDenseLogistic(
    vFit.map((v) => v.x),
    vFit.map((v) => v.y),
    vFit.map(() => 1),
  );
  let best = { j: -1, t: 0.5 };
  const pCal = vCal.map((v) =>
    sigmoid(v.x.reduce((s, x, k) => s + x * (vPart.weights[k] as number), vPart.bias)),
  );
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
    vItems.map((v) => v.x),
    vItems.map((v) => v.y),
    vItems.map(() => 1),
  );
  return {
    version: 1,
    hashDim: HASH_DIM,
    denseNames: [...DENSE_NAMES],
    denseMean: mean.map((v) => round(v, 6)),
    denseStd: std.map((v) => round(v, 6)),
    heads,
    verifier: {
      bias: round(vFull.bias),
      weights: Object.fromEntries(VERIFIER_SIGNALS.map((k, i) => [k, round(vFull.weights[i] as number)])),
      threshold: round(best.t, 2),
      minMeanLogprob: -1.2,
      minTokenLogprob: -8,
    },
    policy: { defaultQuality, localMargin },
    meta: { seed: SEED, epochs: HP.epochs, l2: HP.l2, n: items.length },
  };
}
