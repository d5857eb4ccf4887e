/**
 * npm run train:router [-- --data ../shared/data --out src/router/weights.json]
 * Trains the router's two heads and the cascade verifier on TRAIN splits only, deterministically (seeded).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DENSE_NAMES, HASH_DIM } from '../src/router/features.ts';
import {
  fitDenseLogistic,
  fitLogistic,
  fitPlatt,
  type Example,
  type LinearModel,
} from '../src/router/fit.ts';
import { headLogit, sigmoid, type HeadWeights, type RouterWeights } from '../src/router/model.ts';
import { tierForScores } from '../src/router/policy.ts';
import { savingAtFloor, type OperatingPoint } from '../src/router/metrics.ts';
import { VERIFIER_SIGNALS, buildTrainData, type TrainItem } from './lib/router-data-train.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    out: { type: 'string', default: 'src/router/weights.json' },
    product: { type: 'string', default: 'data/router/product-requests.jsonl' },
  },
});
const SEED = 20261129;
const HP = {
  epochs: Number(process.env.ROUTER_EPOCHS ?? 8),
  lr: 0.08,
  l2: Number(process.env.ROUTER_L2 ?? 30),
};
const t0 = Date.now();
const data = buildTrainData(values.data, values.product);
const { items } = data;
console.log(
  `examples: ${JSON.stringify(data.counts)} (${((Date.now() - t0) / 1000).toFixed(1)}s to load + featurise)`,
);

const D = DENSE_NAMES.length;
const mean = new Array<number>(D).fill(0);
const std = new Array<number>(D).fill(0);
for (const it of items)
  for (let k = 0; k < D; k++) mean[k] = (mean[k] as number) + (it.f.dense[k] as number) / items.length;
for (const it of items)
  for (let k = 0; k < D; k++)
    std[k] = (std[k] as number) + ((it.f.dense[k] as number) - (mean[k] as number)) ** 2 / items.length;
for (let k = 0; k < D; k++) std[k] = Math.sqrt(std[k] as number) || 1;

type Head = 'local' | 'mid';
const label = (it: TrainItem, h: Head): number | undefined => (h === 'local' ? it.yLocal : it.yMid);
const examplesFor = (h: Head, pick: (it: TrainItem) => boolean): Example[] =>
  items
    .filter((it) => pick(it) && label(it, h) !== undefined)
    .map((it) => ({ f: it.f, y: label(it, h) as number, w: it.weight }));
const fit = (ex: Example[], seed: number): LinearModel =>
  fitLogistic(ex, { hashDim: HASH_DIM, mean, std, epochs: HP.epochs, lr: HP.lr, l2: HP.l2, seed });

const round = (x: number, d = 4): number => Number(x.toFixed(d));
const heads = {} as Record<Head, HeadWeights>;
const calibHeads = {} as Record<Head, HeadWeights>;
for (const [i, h] of (['local', 'mid'] as const).entries()) {
  // 1) fit on the non-calibration part of train, 2) Platt on the calibration slice, 3) refit on all of train.
  const part = fit(
    examplesFor(h, (it) => !it.calib),
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
    examplesFor(h, () => true),
    SEED + 10 + i,
  );
  heads[h] = {
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
  console.log(
    `head ${h}: ${examplesFor(h, () => true).length} examples, calibration log-loss ${(ll / cal.length).toFixed(4)}, platt a=${platt.a.toFixed(3)} b=${platt.b.toFixed(3)}`,
  );
}

// Default quality knob: the lowest that keeps RouterBench calibration-slice accuracy >= 95% of all-frontier.
const calScores = (it: TrainItem): { local: number; mid: number } => {
  const zl = headLogit(calibHeads.local, it.f, mean, std);
  const zm = headLogit(calibHeads.mid, it.f, mean, std);
  const local = sigmoid(calibHeads.local.platt.a * zl + calibHeads.local.platt.b);
  return { local, mid: Math.max(local, sigmoid(calibHeads.mid.platt.a * zm + calibHeads.mid.platt.b)) };
};
const rbCal = items.filter((it) => it.calib && it.rb);
const scoresCal = rbCal.map(calScores);
const frontierAcc = rbCal.reduce((s, it) => s + (it.rb?.correct.frontier ?? 0), 0) / rbCal.length;
const rbAcc = (q: number, margin: number): number =>
  rbCal.reduce(
    (s, it, j) =>
      s + (it.rb?.correct[tierForScores(scoresCal[j] as { local: number; mid: number }, q, margin)] ?? 0),
    0,
  ) / rbCal.length;
// The slice is small (~440 prompts): require the floor plus one standard error of the slice's accuracy,
// so that the knob still holds the floor on unseen prompts more often than not.
const FLOOR = 0.95 * frontierAcc + Math.sqrt((frontierAcc * (1 - frontierAcc)) / rbCal.length);
let defaultQuality = 0.95;
for (let q = 0.3; q <= 0.951; q += 0.01) {
  if (rbAcc(q, 0) >= FLOOR) {
    defaultQuality = round(q, 2);
    break;
  }
}
// Train-only diagnostics (calibration slice, out-of-sample for the partial model): used to pick hyperparameters.
{
  const pts: OperatingPoint[] = [];
  for (let q = 0; q <= 1.0001; q += 0.02) {
    let cost = 0;
    let acc = 0;
    rbCal.forEach((it, j) => {
      const t = tierForScores(scoresCal[j] as { local: number; mid: number }, q);
      cost += it.rb?.cost[t] ?? 0;
      acc += it.rb?.correct[t] ?? 0;
    });
    pts.push({ cost: cost / rbCal.length, acc: acc / rbCal.length });
  }
  const fr = {
    acc: frontierAcc,
    cost: rbCal.reduce((s, it) => s + (it.rb?.cost.frontier ?? 0), 0) / rbCal.length,
  };
  const tiers = (['local', 'mid', 'frontier'] as const).map((t) => ({
    acc: rbCal.reduce((s, it) => s + (it.rb?.correct[t] ?? 0), 0) / rbCal.length,
    cost: rbCal.reduce((s, it) => s + (it.rb?.cost[t] ?? 0), 0) / rbCal.length,
  }));
  const gsm = items.filter((it) => it.calib && it.source === 'gsm8k' && it.yMid !== undefined);
  const gw = gsm.map((it) => (it.yMid === 1 && it.yLocal !== 0 ? 1 : 0));
  console.log(
    `calibration slice: RouterBench saving95 ${savingAtFloor([...pts, ...tiers], fr, 0.95).toFixed(3)} (random ${savingAtFloor(tiers, fr, 0.95).toFixed(3)}), ` +
      `GSM8K mid-acceptability AUC ${auc(
        gsm.map((it) => calScores(it).mid),
        gw,
      ).toFixed(3)}`,
  );
}

// On-device margin: the cascade verifier backs up on-device answers, so on-device may need less than the
// knob. Pick the margin that best matches the product set's calibration slice (out-of-sample scores) while
// the RouterBench calibration slice stays at the 95% floor.
const prodCal = items.filter((it) => it.calib && it.source === 'product');
const prodScores = prodCal.map(calScores);
const prodTier = (it: TrainItem): string => (it.yLocal ? 'local' : it.yMid ? 'mid' : 'frontier');
const rbCost = (q: number, margin: number): number =>
  rbCal.reduce(
    (s, it, j) =>
      s + (it.rb?.cost[tierForScores(scoresCal[j] as { local: number; mid: number }, q, margin)] ?? 0),
    0,
  );
// Prompts only the frontier solves must rarely start on-device (target <= 5% on test; keep 2.5% on train).
const MAX_COMPLEX_LOCAL = 0.025;
const rbComplex = rbCal
  .map((it, j) => ({ it, j }))
  .filter(({ it }) => it.rb && !it.rb.correct.local && !it.rb.correct.mid && it.rb.correct.frontier);
const rbComplexLocal = (q: number, margin: number): number =>
  rbComplex.filter(
    ({ j }) => tierForScores(scoresCal[j] as { local: number; mid: number }, q, margin) === 'local',
  ).length / Math.max(1, rbComplex.length);
// Joint fit of (knob, margin): among pairs that keep the RouterBench slice at the 95% floor (and few
// frontier-only prompts on-device), the one that
// best matches the product slice's tiers; ties go to the cheaper RouterBench cost.
let localMargin = 0;
let bestProd = -1;
let bestCost = Infinity;
const q0 = defaultQuality;
for (let qi = Math.round(q0 * 100); qi <= 97; qi++) {
  const q = qi / 100;
  for (let mi = 0; mi <= 30; mi++) {
    const m = mi / 100;
    if (rbAcc(q, m) < FLOOR || rbComplexLocal(q, m) > MAX_COMPLEX_LOCAL) continue;
    const ok = prodCal.filter(
      (it, j) => tierForScores(prodScores[j] as { local: number; mid: number }, q, m) === prodTier(it),
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
console.log(
  `default quality knob ${defaultQuality}, on-device margin ${localMargin} (product calibration slice ${bestProd}/${prodCal.length} exact tier; fitted on train only)`,
);

// Verifier: logistic over answer signals; threshold maximises Youden's J on the calibration slice.
const vFit = data.verifier.filter((v) => !v.calib);
const vCal = data.verifier.filter((v) => v.calib);
const balance = (vs: typeof vFit): number[] => {
  const srcW: Record<string, number> = {};
  for (const v of vs) srcW[v.source] = (srcW[v.source] ?? 0) + 1;
  return vs.map((v) => vs.length / (Object.keys(srcW).length * (srcW[v.source] as number)));
};
const vPart = fitDenseLogistic(
  vFit.map((v) => v.x),
  vFit.map((v) => v.y),
  balance(vFit),
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
  data.verifier.map((v) => v.x),
  data.verifier.map((v) => v.y),
  balance(data.verifier),
);
console.log(
  `verifier: ${data.verifier.length} answers, threshold ${best.t.toFixed(2)} (Youden J ${best.j.toFixed(3)} on calibration slice)`,
);

const weights: RouterWeights = {
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
  meta: {
    seed: SEED,
    epochs: HP.epochs,
    l2: HP.l2,
    ...Object.fromEntries(Object.entries(data.counts).map(([k, v]) => [`n_${k}`, v])),
  },
};
writeFileSync(values.out, JSON.stringify(weights) + '\n');
console.log(`wrote ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

/** Area under the ROC curve (ties count half). */
function auc(scores: number[], labels: number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] !== 1);
  let s = 0;
  for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0;
  return s / Math.max(1, pos.length * neg.length);
}
