/**
 * The classifier head's non-linear half: a one-hidden-layer network over the same hashed n-gram
 * features as the linear model (an embedding row per hash bucket, summed with the feature values,
 * ReLU, dropout, softmax over the labels), trained with lazy Adam: only the rows an example touches are
 * updated, and only the output columns whose gradient is not negligible. A linear model scores each
 * n-gram on its own; the hidden layer can learn combinations ("why" + "verify" is not "verify" alone),
 * and averaged with the linear model it is right more often than either (docs/bench/triage.md).
 * Pure TypeScript: runs in Node, a Web Worker or the page.
 */
import { mulberry32, shuffleInPlace } from '../prng.ts';

/** Plain data of the hidden layer (what export/import and the worker move around). */
export interface HiddenState {
  /** Hidden units. */
  size: number;
  /** rows × size: one embedding row per weight row of the linear model (same bucket order). */
  embed: Float32Array;
  hiddenBias: Float32Array;
  /** size × labels. */
  out: Float32Array;
  outBias: Float32Array;
}

/** One encoded example: weight-row indices, feature values, label index. */
export interface EncodedExample {
  rows: Int32Array;
  value: Float32Array;
  y: number;
}

export interface HiddenFitOptions {
  epochs: number;
  /** Adam step size at the first epoch; it falls linearly to a tenth of that by the last. */
  learningRate: number;
  /** Probability a hidden unit is dropped in a training step. */
  dropout: number;
  /** Probability an input feature is dropped in a training step. */
  inputDropout: number;
  seed: number;
  onEpoch?: (epoch: number) => boolean | undefined;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
/** Output columns whose gradient is below this are not stepped (most labels after the first epoch). */
const MIN_GRAD = 1e-4;

export class HiddenLayer {
  readonly size: number;
  classes: number;
  embed: Float32Array;
  hiddenBias: Float32Array;
  out: Float32Array;
  outBias: Float32Array;
  #h: Float64Array;

  constructor(state: HiddenState) {
    this.size = state.size;
    this.classes = state.outBias.length;
    this.embed = state.embed;
    this.hiddenBias = state.hiddenBias;
    this.out = state.out;
    this.outBias = state.outBias;
    this.#h = new Float64Array(this.size);
  }

  /** A fresh layer: small random embeddings, Xavier-uniform output weights. */
  static create(size: number, rows: number, classes: number, seed: number): HiddenLayer {
    const random = mulberry32(seed);
    const embed = new Float32Array(rows * size);
    for (let i = 0; i < embed.length; i++) embed[i] = (random() - 0.5) * 0.2;
    const out = new Float32Array(size * classes);
    const limit = Math.sqrt(6 / (size + classes));
    for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
    return new HiddenLayer({
      size,
      embed,
      hiddenBias: new Float32Array(size),
      out,
      outBias: new Float32Array(classes),
    });
  }

  get rows(): number {
    return this.embed.length / this.size;
  }

  toState(): HiddenState {
    return {
      size: this.size,
      embed: this.embed.slice(),
      hiddenBias: this.hiddenBias.slice(),
      out: this.out.slice(),
      outBias: this.outBias.slice(),
    };
  }

  /** Make room for new weight rows (zero embeddings: they learn from their first example). */
  growRows(rows: number): void {
    if (rows <= this.rows) return;
    const embed = new Float32Array(rows * this.size);
    embed.set(this.embed);
    this.embed = embed;
  }

  /** Keep only the given rows, in that order (pruning). */
  keepRows(keep: readonly number[]): void {
    const H = this.size;
    const embed = new Float32Array(keep.length * H);
    keep.forEach((r, i) => embed.set(this.embed.subarray(r * H, r * H + H), i * H));
    this.embed = embed;
  }

  /** Add a label: a zero output column whose bias starts at the lowest existing bias. */
  addClass(): void {
    const H = this.size;
    const oldC = this.classes;
    const C = oldC + 1;
    const out = new Float32Array(H * C);
    for (let j = 0; j < H; j++) out.set(this.out.subarray(j * oldC, j * oldC + oldC), j * C);
    const outBias = new Float32Array(C);
    outBias.set(this.outBias);
    let minBias = 0;
    for (const b of this.outBias) minBias = Math.min(minBias, b);
    outBias[oldC] = minBias;
    this.out = out;
    this.outBias = outBias;
    this.classes = C;
  }

  /** Logits for one example into `target` (length = labels). */
  scores(rows: ArrayLike<number>, value: ArrayLike<number>, target: Float64Array): void {
    const H = this.size;
    const C = this.classes;
    const h = this.#h;
    const E = this.embed;
    h.set(this.hiddenBias);
    for (let f = 0; f < rows.length; f++) {
      const base = rows[f]! * H;
      const x = value[f]!;
      for (let j = 0; j < H; j++) h[j]! += x * E[base + j]!;
    }
    target.set(this.outBias);
    const O = this.out;
    for (let j = 0; j < H; j++) {
      const hj = h[j]!;
      if (hj <= 0) continue;
      const base = j * C;
      for (let c = 0; c < C; c++) target[c]! += hj * O[base + c]!;
    }
  }

  /** Train on encoded examples with softmax cross-entropy (examples with y < 0 are skipped). */
  fit(data: readonly EncodedExample[], options: HiddenFitOptions): void {
    const H = this.size;
    const C = this.classes;
    const E = this.embed;
    const O = this.out;
    const HB = this.hiddenBias;
    const OB = this.outBias;
    // Adam moments live only while training: a saved model does not carry them
    const mE = new Float32Array(E.length);
    const vE = new Float32Array(E.length);
    const mO = new Float32Array(O.length);
    const vO = new Float32Array(O.length);
    const mHB = new Float32Array(H);
    const vHB = new Float32Array(H);
    const mOB = new Float32Array(C);
    const vOB = new Float32Array(C);
    const random = mulberry32(options.seed);
    const keepHidden = 1 / (1 - options.dropout);
    const keepInput = 1 / (1 - options.inputDropout);
    const h = new Float64Array(H);
    const gh = new Float64Array(H);
    const p = new Float64Array(C);
    const live = new Int32Array(C);
    let longest = 0;
    for (const ex of data) longest = Math.max(longest, ex.rows.length);
    const rows = new Int32Array(longest);
    const vals = new Float32Array(longest);
    const order = Array.from(data.keys());
    let step = 0;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffleInPlace(order, random);
      const lr = options.learningRate * (1 - (0.9 * epoch) / options.epochs);
      for (const idx of order) {
        const ex = data[idx]!;
        if (ex.y < 0) continue;
        let n = 0;
        for (let f = 0; f < ex.rows.length; f++) {
          if (options.inputDropout > 0 && random() < options.inputDropout) continue;
          rows[n] = ex.rows[f]!;
          vals[n] = ex.value[f]! * keepInput;
          n++;
        }
        // forward: hidden = dropout(relu(bias + sum x * embed)), logits = outBias + hidden · out
        h.set(HB);
        for (let f = 0; f < n; f++) {
          const base = rows[f]! * H;
          const x = vals[f]!;
          for (let j = 0; j < H; j++) h[j]! += x * E[base + j]!;
        }
        for (let j = 0; j < H; j++) {
          h[j] = h[j]! > 0 && (options.dropout === 0 || random() >= options.dropout) ? h[j]! * keepHidden : 0;
        }
        p.set(OB);
        for (let j = 0; j < H; j++) {
          const hj = h[j]!;
          if (hj === 0) continue;
          const base = j * C;
          for (let c = 0; c < C; c++) p[c]! += hj * O[base + c]!;
        }
        let max = -Infinity;
        for (let c = 0; c < C; c++) if (p[c]! > max) max = p[c]!;
        let sum = 0;
        for (let c = 0; c < C; c++) sum += p[c] = Math.exp(p[c]! - max);
        let nLive = 0;
        for (let c = 0; c < C; c++) {
          const g = p[c]! / sum - (c === ex.y ? 1 : 0);
          p[c] = g;
          if (g > MIN_GRAD || g < -MIN_GRAD) live[nLive++] = c;
        }
        // backward: gradient at the hidden units before the output weights move
        for (let j = 0; j < H; j++) {
          if (h[j] === 0) {
            gh[j] = 0;
            continue;
          }
          const base = j * C;
          let g = 0;
          for (let k = 0; k < nLive; k++) g += p[live[k]!]! * O[base + live[k]!]!;
          gh[j] = g * keepHidden;
        }
        step++;
        const a = (lr * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
        for (let j = 0; j < H; j++) {
          const hj = h[j]!;
          if (hj === 0) continue;
          const base = j * C;
          for (let k = 0; k < nLive; k++) {
            const i = base + live[k]!;
            const g = p[live[k]!]! * hj;
            mO[i] = BETA1 * mO[i]! + (1 - BETA1) * g;
            vO[i] = BETA2 * vO[i]! + (1 - BETA2) * g * g;
            O[i]! -= (a * mO[i]!) / (Math.sqrt(vO[i]!) + EPS);
          }
        }
        for (let k = 0; k < nLive; k++) {
          const c = live[k]!;
          const g = p[c]!;
          mOB[c] = BETA1 * mOB[c]! + (1 - BETA1) * g;
          vOB[c] = BETA2 * vOB[c]! + (1 - BETA2) * g * g;
          OB[c]! -= (a * mOB[c]!) / (Math.sqrt(vOB[c]!) + EPS);
        }
        for (let j = 0; j < H; j++) {
          const g = gh[j]!;
          if (g === 0) continue;
          mHB[j] = BETA1 * mHB[j]! + (1 - BETA1) * g;
          vHB[j] = BETA2 * vHB[j]! + (1 - BETA2) * g * g;
          HB[j]! -= (a * mHB[j]!) / (Math.sqrt(vHB[j]!) + EPS);
        }
        for (let f = 0; f < n; f++) {
          const base = rows[f]! * H;
          const x = vals[f]!;
          for (let j = 0; j < H; j++) {
            const gj = gh[j]!;
            if (gj === 0) continue;
            const i = base + j;
            const g = gj * x;
            mE[i] = BETA1 * mE[i]! + (1 - BETA1) * g;
            vE[i] = BETA2 * vE[i]! + (1 - BETA2) * g * g;
            E[i]! -= (a * mE[i]!) / (Math.sqrt(vE[i]!) + EPS);
          }
        }
      }
      if (options.onEpoch?.(epoch + 1) === false) break;
    }
  }
}
