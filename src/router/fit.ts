/**
 * Training primitives for the router (used by `npm run train:router`; not imported by the runtime).
 * Deterministic: a seeded PRNG shuffles, so the same data gives byte-identical weights.
 */
import type { Features } from './features.ts';
import { mulberry32, shuffleInPlace } from '../prng.ts';
import { sigmoid } from './model.ts';

export interface Example {
  f: Features;
  y: number;
  w: number;
}

export interface LinearModel {
  bias: number;
  hashed: number[];
  dense: number[];
}

export interface FitOptions {
  hashDim: number;
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
  epochs: number;
  lr: number;
  l2: number;
  seed: number;
}

/** Weighted L2-regularised logistic regression by AdaGrad SGD over sparse + dense features. */
export function fitLogistic(examples: Example[], o: FitOptions): LinearModel {
  const denseDim = o.mean.length;
  const hw = new Float64Array(o.hashDim);
  const hg = new Float64Array(o.hashDim).fill(1e-8);
  const dw = new Float64Array(denseDim);
  const dg = new Float64Array(denseDim).fill(1e-8);
  let b = 0;
  let bg = 1e-8;
  const rand = mulberry32(o.seed);
  const order = examples.map((_, i) => i);
  const std = Array.from({ length: denseDim }, (_, k) =>
    (o.std[k] as number) > 0 ? (o.std[k] as number) : 1,
  );
  const totalW = examples.reduce((s, e) => s + e.w, 0) || 1;
  const lam = o.l2 / totalW;
  const x = new Float64Array(denseDim);
  for (let ep = 0; ep < o.epochs; ep++) {
    shuffleInPlace(order, rand);
    for (const ei of order) {
      const e = examples[ei] as Example;
      let z = b;
      for (let i = 0; i < e.f.idx.length; i++)
        z += (hw[e.f.idx[i] as number] as number) * (e.f.val[i] as number);
      for (let k = 0; k < denseDim; k++) {
        x[k] = ((e.f.dense[k] as number) - (o.mean[k] as number)) / (std[k] as number);
        z += (dw[k] as number) * (x[k] as number);
      }
      const g = (sigmoid(z) - e.y) * e.w;
      bg += g * g;
      b -= (o.lr * g) / Math.sqrt(bg);
      for (let i = 0; i < e.f.idx.length; i++) {
        const k = e.f.idx[i] as number;
        const gk = g * (e.f.val[i] as number) + lam * e.w * (hw[k] as number);
        hg[k] = (hg[k] as number) + gk * gk;
        hw[k] = (hw[k] as number) - (o.lr * gk) / Math.sqrt(hg[k] as number);
      }
      for (let k = 0; k < denseDim; k++) {
        const gk = g * (x[k] as number) + lam * e.w * (dw[k] as number);
        dg[k] = (dg[k] as number) + gk * gk;
        dw[k] = (dw[k] as number) - (o.lr * gk) / Math.sqrt(dg[k] as number);
      }
    }
  }
  return { bias: b, hashed: Array.from(hw), dense: Array.from(dw) };
}

/** Platt scaling: fit p = sigmoid(a*z + b) to labels by Newton's method (weighted). */
export function fitPlatt(z: number[], y: number[], w?: number[]): { a: number; b: number } {
  let a = 1;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-6;
    let hab = 0;
    let hbb = 1e-6;
    for (let i = 0; i < z.length; i++) {
      const wi = w?.[i] ?? 1;
      const zi = z[i] as number;
      const p = sigmoid(a * zi + b);
      const r = (p - (y[i] as number)) * wi;
      ga += r * zi;
      gb += r;
      const s = p * (1 - p) * wi;
      haa += s * zi * zi;
      hab += s * zi;
      hbb += s;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

/** Small dense logistic regression (for the verifier), full-batch gradient descent, L2. */
export function fitDenseLogistic(
  X: number[][],
  y: number[],
  w: number[],
  l2 = 1e-3,
  iters = 3000,
  lr = 0.5,
): { bias: number; weights: number[] } {
  const d = X[0]?.length ?? 0;
  const beta = new Float64Array(d);
  let bias = 0;
  const W = w.reduce((s, v) => s + v, 0) || 1;
  for (let it = 0; it < iters; it++) {
    const g = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < X.length; i++) {
      const xi = X[i] as number[];
      let z = bias;
      for (let k = 0; k < d; k++) z += (beta[k] as number) * (xi[k] as number);
      const r = ((sigmoid(z) - (y[i] as number)) * (w[i] as number)) / W;
      gb += r;
      for (let k = 0; k < d; k++) g[k] = (g[k] as number) + r * (xi[k] as number);
    }
    bias -= lr * gb;
    for (let k = 0; k < d; k++)
      beta[k] = (beta[k] as number) - lr * ((g[k] as number) + l2 * (beta[k] as number));
  }
  return { bias, weights: Array.from(beta) };
}
