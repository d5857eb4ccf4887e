/**
 * What the online router sees of a request: the static router's scores and a compact, text-free
 * feature vector (standardised dense features and the hashed n-grams folded into a few buckets). This is
 * also what a feedback record stores, so feedback never holds the prompt. Pure; see
 * docs/adr/0004-online-router.md.
 */
import { extractFeatures, type Features } from './features.ts';
import { headLogit, sigmoid, type RouterWeights } from './model.ts';
import type { RouterScores } from './types.ts';

/** Default number of buckets the 8,192 hashed features are folded into (a power of two). */
export const DEFAULT_BUCKETS = 256;
/** Standardised dense features are clipped to this magnitude (one outlier prompt must not swing a step). */
const DENSE_CLIP = 5;

export interface OnlineFeatures {
  /** The static router's calibrated scores for this request. */
  scores: RouterScores;
  /** Dense features standardised with the static weights' mean and spread, clipped to [-5, 5]. */
  dense: number[];
  /** Folded hashed features: bucket indices (ascending, distinct) and their summed values. */
  idx: number[];
  val: number[];
}

/** Scores and compact features from already extracted features (lets callers featurise once). */
export function onlineFeaturesFrom(
  weights: RouterWeights,
  f: Features,
  buckets = DEFAULT_BUCKETS,
): OnlineFeatures {
  const { local: L, mid: M } = weights.heads;
  const local = sigmoid(L.platt.a * headLogit(L, f, weights.denseMean, weights.denseStd) + L.platt.b);
  const midRaw = sigmoid(M.platt.a * headLogit(M, f, weights.denseMean, weights.denseStd) + M.platt.b);
  const dense = Array.from(f.dense, (x, k) => {
    const z = (x - (weights.denseMean[k] as number)) / ((weights.denseStd[k] as number) || 1);
    return Math.max(-DENSE_CLIP, Math.min(DENSE_CLIP, z));
  });
  const folded = new Map<number, number>();
  const mask = buckets - 1;
  for (let i = 0; i < f.idx.length; i++) {
    const b = (f.idx[i] as number) & mask;
    folded.set(b, (folded.get(b) ?? 0) + (f.val[i] as number));
  }
  const idx = [...folded.keys()].sort((a, b) => a - b);
  return {
    scores: { local, mid: Math.max(local, midRaw) },
    dense,
    idx,
    val: idx.map((b) => folded.get(b) as number),
  };
}

/** Featurise a request for the online router (the static scores come from `weights`). */
export function onlineFeatures(
  weights: RouterWeights,
  text: string,
  turn = 1,
  buckets = DEFAULT_BUCKETS,
): OnlineFeatures {
  return onlineFeaturesFrom(weights, extractFeatures(text, turn), buckets);
}
