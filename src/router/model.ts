/** The difficulty model: two logistic heads over hashed + dense features, Platt-calibrated. */
import { DENSE_NAMES, HASH_DIM, extractFeatures, type Features } from './features.ts';
import type { RouterScores } from './types.ts';
import { ConfigError } from '../errors.ts';

/** One logistic head: z = bias + sum(hashed[idx] * val) + sum(dense[k] * standardised_k); p = sigmoid(a*z + b). */
export interface HeadWeights {
  bias: number;
  hashed: number[];
  dense: number[];
  platt: { a: number; b: number };
}

/** Weights of the cascade verifier's logistic model over answer signals (see verifier.ts). */
export interface VerifierWeights {
  bias: number;
  /** Signal name -> weight; signals missing from a verdict count as 0. */
  weights: Record<string, number>;
  /** Accept when P(acceptable) >= threshold (fitted on train). */
  threshold: number;
  /** Hand-set logprob limits (no logprobs exist in the benchmark data). */
  minMeanLogprob: number;
  minTokenLogprob: number;
}

/** The committed `weights.json` produced by `npm run train:router`. */
export interface RouterWeights {
  version: 1;
  hashDim: number;
  denseNames: string[];
  denseMean: number[];
  denseStd: number[];
  heads: { local: HeadWeights; mid: HeadWeights };
  verifier: VerifierWeights;
  policy: { defaultQuality: number; localMargin: number };
  meta: Record<string, string | number>;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Raw (uncalibrated) logit of a head. */
export function headLogit(
  head: HeadWeights,
  f: Features,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
): number {
  let z = head.bias;
  const h = head.hashed;
  for (let i = 0; i < f.idx.length; i++) z += (h[f.idx[i] as number] ?? 0) * (f.val[i] as number);
  const d = head.dense;
  for (let k = 0; k < f.dense.length; k++) {
    z += (d[k] ?? 0) * (((f.dense[k] as number) - (mean[k] as number)) / (std[k] as number));
  }
  return z;
}

/** Check the weights match this build's featuriser (fails loudly instead of routing on garbage). */
export function checkWeights(w: RouterWeights): void {
  if (w.version !== 1 || w.hashDim !== HASH_DIM || w.denseNames.join(',') !== DENSE_NAMES.join(',')) {
    throw new ConfigError(
      'Router weights do not match the featuriser: run `npm run train:router` to regenerate them.',
    );
  }
}

/** Scores for a request: calibrated P(local acceptable) and P(mid acceptable), with mid >= local. */
export function scoreWith(w: RouterWeights, text: string, turn = 1): RouterScores {
  const f = extractFeatures(text, turn);
  const L = w.heads.local;
  const M = w.heads.mid;
  const hl = L.hashed;
  const hm = M.hashed;
  let zl = L.bias;
  let zm = M.bias;
  const { idx, val, dense } = f;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i] as number;
    const v = val[i] as number;
    zl += (hl[k] as number) * v;
    zm += (hm[k] as number) * v;
  }
  for (let k = 0; k < dense.length; k++) {
    const x = ((dense[k] as number) - (w.denseMean[k] as number)) / (w.denseStd[k] as number);
    zl += (L.dense[k] as number) * x;
    zm += (M.dense[k] as number) * x;
  }
  const local = sigmoid(L.platt.a * zl + L.platt.b);
  const mid = Math.max(local, sigmoid(M.platt.a * zm + M.platt.b));
  return { local, mid };
}
