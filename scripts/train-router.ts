/**
 * npm run train:router [-- --data ../shared/data --out src/router/weights.json]
 * Trains the router's two heads and the cascade verifier on TRAIN splits only, deterministically (seeded).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DENSE_NAMES, HASH_DIM } from '../src/router/features.ts';
import type { RouterWeights } from '../src/router/model.ts';
import { tierForScores } from '../src/router/policy.ts';
import { savingAtFloor, type OperatingPoint } from '../src/router/metrics.ts';
import { VERIFIER_SIGNALS, buildTrainData } from './lib/router-data-train.ts';
import {
  SEED,
  calibratedScores,
  fitHeads,
  fitPolicy,
  fitVerifier,
  round,
  standardise,
} from './lib/router-recipe.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    out: { type: 'string', default: 'src/router/weights.json' },
    product: { type: 'string', default: 'data/router/product-requests.jsonl' },
  },
});
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

const standard = standardise(items);
const { mean, std } = standard;
// 1) fit on the non-calibration part of train, 2) Platt on the calibration slice, 3) refit on all of train.
const { heads, calibHeads, report } = fitHeads(items, standard, HP);
for (const h of ['local', 'mid'] as const) {
  const { examples, logLoss, platt } = report[h];
  console.log(
    `head ${h}: ${examples} examples, calibration log-loss ${logLoss.toFixed(4)}, platt a=${platt.a.toFixed(3)} b=${platt.b.toFixed(3)}`,
  );
}

// Default quality knob: the lowest that keeps RouterBench calibration-slice accuracy >= 95% of all-frontier;
// then the on-device margin: the cascade verifier backs up on-device answers, so on-device may need less
// than the knob (the pair that best matches the product set's calibration slice; lib/router-recipe.ts).
const calScores = calibratedScores(calibHeads, standard);
const policy = fitPolicy(items, calScores);
const { rbCal, scoresCal, frontierAcc, defaultQuality, localMargin } = policy;
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

console.log(
  `default quality knob ${defaultQuality}, on-device margin ${localMargin} (product calibration slice ${policy.productExact}/${policy.productRows} exact tier; fitted on train only)`,
);

// Verifier: logistic over answer signals (each source weighted equally); threshold maximises Youden's J on
// the calibration slice.
const balance = (vs: typeof data.verifier): number[] => {
  const srcW: Record<string, number> = {};
  for (const v of vs) srcW[v.source] = (srcW[v.source] ?? 0) + 1;
  return vs.map((v) => vs.length / (Object.keys(srcW).length * (srcW[v.source] as number)));
};
const verifier = fitVerifier(data.verifier, balance);
console.log(
  `verifier: ${data.verifier.length} answers, threshold ${verifier.threshold.toFixed(2)} (Youden J ${verifier.youdenJ.toFixed(3)} on calibration slice)`,
);

const weights: RouterWeights = {
  version: 1,
  hashDim: HASH_DIM,
  denseNames: [...DENSE_NAMES],
  denseMean: mean.map((v) => round(v, 6)),
  denseStd: std.map((v) => round(v, 6)),
  heads,
  verifier: {
    bias: round(verifier.bias),
    weights: Object.fromEntries(VERIFIER_SIGNALS.map((k, i) => [k, round(verifier.weights[i] as number)])),
    threshold: round(verifier.threshold, 2),
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
