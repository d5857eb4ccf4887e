/**
 * The triage classifier head: a linear model over hashed word and character n-gram features
 * (features.ts), by default one-vs-rest squared hinge (a linear SVM per label; multinomial softmax is
 * the alternative), trained with AdaGrad + L2 + feature dropout for a few epochs with weight averaging
 * over the last epochs, averaged with a one-hidden-layer network over the same features (hidden.ts),
 * its scores turned into probabilities by a softmax whose temperature is fitted on validation data,
 * and with an out-of-scope threshold fitted on validation data. Pure TypeScript: runs in Node, a Web
 * Worker or the page.
 *
 * Storage is sparse: only hash buckets seen in training get a weight row, so a 4M-bucket hash space
 * costs memory only for the n-grams that occur.
 */
import { InvalidInputError } from '../errors.ts';
import { mulberry32, shuffleInPlace } from '../prng.ts';
import { DEFAULT_FEATURES, featurize, type FeatureOptions } from './features.ts';
import { HiddenLayer, type EncodedExample, type HiddenState } from './hidden.ts';

export interface LabelledText {
  text: string;
  label: string;
}

export type TrainLoss = 'squared-hinge' | 'softmax';

export interface TrainOptions {
  epochs?: number;
  /** AdaGrad base learning rate. */
  learningRate?: number;
  /** L2 penalty per step on the weights an example touches. */
  l2?: number;
  /** Feature dropout during training (probability a feature is left out of a step; regularises). */
  dropout?: number;
  /**
   * Training loss. `squared-hinge` (default): one-vs-rest squared hinge, a linear SVM per label (on
   * validation 1 point better than softmax on BANKING77 and 1.5 on CLINC150, and ~3x faster to train);
   * `softmax`: multinomial logistic regression. Either way the scores are turned into probabilities by
   * a temperature-scaled softmax fitted on validation data, so prediction and the model file are the same.
   */
  loss?: TrainLoss;
  /** Average the weights of the last `averageEpochs` epochs (0: use the last weights). */
  averageEpochs?: number;
  /**
   * Hidden units of the network averaged with the linear model (default 128; 0: linear model only,
   * smaller and faster to train). On validation the average is right 0.8 points more often than the
   * linear model alone on BANKING77 and 0.3 on CLINC150 (docs/bench/triage.md).
   */
  hidden?: number;
  /** Epochs of the hidden layer (default 15). */
  hiddenEpochs?: number;
  seed?: number;
  features?: Partial<FeatureOptions>;
  /** Held-out examples: temperature and out-of-scope threshold are fitted on them. */
  validation?: LabelledText[];
  /** The label that means "none of these" in the data (e.g. CLINC150's `oos`), if any. */
  outOfScopeLabel?: string;
  /** Called after each epoch (linear, then hidden: `epochs` counts both); return false to stop early. */
  onEpoch?: (epoch: number, epochs: number) => boolean | undefined;
}

export interface LabelScore {
  label: string;
  /** Calibrated probability. */
  p: number;
}

export interface Prediction {
  /** The predicted label, or the out-of-scope label when `outOfScope` is true and one exists. */
  label: string;
  /** Calibrated probability of the top in-scope label. */
  confidence: number;
  outOfScope: boolean;
  /** Best labels first (in-scope labels only). */
  top: LabelScore[];
}

/** The hidden layer of a model and how its probabilities are averaged with the linear model's. */
export interface HiddenPart extends HiddenState {
  /** Share of the hidden layer in the average (the linear model gets the rest). */
  weight: number;
  /** Linear scores are multiplied by this before their softmax (hinge scores live on a small scale). */
  linearScale: number;
}

/** Plain-data model (what export/import and the worker move around); see schema.ts for the JSON form. */
export interface ClassifierState {
  version: number;
  labels: string[];
  features: FeatureOptions;
  buckets: Uint32Array;
  weights: Float32Array;
  bias: Float32Array;
  temperature: number;
  threshold: number;
  outOfScopeLabel: string | null;
  trainedExamples: number;
  updatedAt: string;
  hidden: HiddenPart | null;
}

export const MODEL_FORMAT_VERSION = 1 as const;

function softmaxInPlace(scores: Float64Array, n: number, temperature = 1): void {
  let max = -Infinity;
  for (let c = 0; c < n; c++) if (scores[c]! > max) max = scores[c]!;
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const e = Math.exp((scores[c]! - max) / temperature);
    scores[c] = e;
    sum += e;
  }
  for (let c = 0; c < n; c++) scores[c]! /= sum;
}

type Encoded = EncodedExample;

/** Defaults of the hidden layer (chosen on validation: docs/bench/triage.md). */
const HIDDEN_SIZE = 128;
const HIDDEN_DEFAULTS = { epochs: 15, learningRate: 0.002, dropout: 0.3, inputDropout: 0.2 };
/** The hidden layer's share in the average, and the scale that puts hinge scores on a logit scale. */
const HIDDEN_WEIGHT = 0.5;
const HINGE_SCALE = 4;

export class IntentClassifier {
  labels: string[] = [];
  features: FeatureOptions = { ...DEFAULT_FEATURES };
  temperature = 1;
  threshold = 0;
  outOfScopeLabel: string | null = null;
  trainedExamples = 0;
  updatedAt = new Date(0).toISOString();

  /** bucket -> row */
  #rowOf = new Map<number, number>();
  #buckets: number[] = [];
  #weights = new Float32Array(0);
  #grad = new Float32Array(0);
  #bias = new Float32Array(0);
  #biasGrad = new Float32Array(0);
  #scratch = new Float64Array(0);
  #hidden: HiddenLayer | null = null;
  #mix = { weight: HIDDEN_WEIGHT, linearScale: HINGE_SCALE };

  get classes(): number {
    return this.labels.length;
  }

  get rows(): number {
    return this.#buckets.length;
  }

  /** Train from scratch on labelled texts (replaces any previous model). */
  train(examples: readonly LabelledText[], options: TrainOptions = {}): void {
    if (examples.length === 0)
      throw new InvalidInputError('No training examples: label at least one ticket first.');
    const hiddenSize = options.hidden ?? HIDDEN_SIZE;
    if (!Number.isInteger(hiddenSize) || hiddenSize < 0 || hiddenSize > 4096)
      throw new InvalidInputError(`hidden must be a whole number from 0 to 4096, not ${hiddenSize}.`);
    this.features = { ...DEFAULT_FEATURES, ...options.features };
    this.labels = [...new Set(examples.map((e) => e.label))].sort();
    this.outOfScopeLabel =
      options.outOfScopeLabel && this.labels.includes(options.outOfScopeLabel)
        ? options.outOfScopeLabel
        : null;
    this.#rowOf.clear();
    this.#buckets = [];
    this.#weights = new Float32Array(0);
    this.#grad = new Float32Array(0);
    this.#bias = new Float32Array(this.classes);
    this.#biasGrad = new Float32Array(this.classes);
    this.#scratch = new Float64Array(this.classes);
    this.#hidden = null;
    const encoded = examples.map((e) => this.#encode(e.text, e.label, true));
    this.#ensureCapacity();
    const linearEpochs = options.epochs ?? 8;
    const hiddenEpochs = hiddenSize > 0 ? (options.hiddenEpochs ?? HIDDEN_DEFAULTS.epochs) : 0;
    const total = linearEpochs + hiddenEpochs;
    let cancelled = false;
    this.#fit(encoded, {
      ...options,
      onEpoch: (epoch) => {
        cancelled = options.onEpoch?.(epoch, total) === false;
        return !cancelled;
      },
    });
    if (hiddenSize > 0 && !cancelled) {
      const seed = (options.seed ?? 1) + 1;
      const hidden = HiddenLayer.create(hiddenSize, this.rows, this.classes, seed);
      hidden.fit(encoded, {
        ...HIDDEN_DEFAULTS,
        epochs: hiddenEpochs,
        seed,
        onEpoch: (epoch) => {
          cancelled = options.onEpoch?.(linearEpochs + epoch, total) === false;
          return !cancelled;
        },
      });
      // a cancelled run keeps the (complete) linear model only
      if (!cancelled) {
        this.#hidden = hidden;
        const linearScale = (options.loss ?? 'squared-hinge') === 'softmax' ? 1 : HINGE_SCALE;
        this.#mix = { weight: HIDDEN_WEIGHT, linearScale };
      }
    }
    this.trainedExamples = examples.length;
    this.temperature = 1;
    this.threshold = 0;
    if (options.validation && options.validation.length > 0) this.calibrate(options.validation);
    this.updatedAt = new Date().toISOString();
  }

  /**
   * Continue training on new examples (an agent's corrections) without the original data: new labels
   * and n-grams get fresh weights, then a few epochs run on just these examples (AdaGrad squared hinge
   * on the linear model, Adam on the hidden layer).
   */
  update(
    examples: readonly LabelledText[],
    options: Pick<TrainOptions, 'epochs' | 'learningRate' | 'l2' | 'seed'> = {},
  ): void {
    if (examples.length === 0) return;
    for (const e of examples) this.#addLabel(e.label);
    const encoded = examples.map((e) => this.#encode(e.text, e.label, true));
    this.#ensureCapacity();
    // squared hinge whatever the model was trained with: it moves only the labels on the wrong side of
    // the margin (the corrected one up to +1, any other above -1 down), so the rest of the model and a
    // new label's bias stay put; a softmax step would raise the new label for every ticket
    this.#fit(encoded, {
      loss: 'squared-hinge',
      dropout: 0,
      epochs: options.epochs ?? 8,
      learningRate: options.learningRate ?? 0.1,
      l2: options.l2 ?? 0,
      seed: options.seed ?? 7,
      averageEpochs: 0,
    });
    // the hidden layer learns the correction too (plain steps, no dropout), so the average follows it
    if (this.#hidden) {
      this.#hidden.growRows(this.rows);
      this.#hidden.fit(encoded, {
        epochs: options.epochs ?? 8,
        learningRate: 0.01,
        dropout: 0,
        inputDropout: 0,
        seed: options.seed ?? 7,
      });
    }
    this.trainedExamples += examples.length;
    this.updatedAt = new Date().toISOString();
  }

  /** Raw (uncalibrated) logits for a text. */
  logits(text: string): Float64Array {
    return this.#logits(this.#encode(text, null, false));
  }

  predict(text: string, k = 3): Prediction {
    if (this.classes === 0)
      throw new InvalidInputError('The classifier has no labels yet: train it or load a model first.');
    const probs = this.probabilities(text);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
    const top: LabelScore[] = [];
    for (const c of order) {
      if (this.labels[c] === this.outOfScopeLabel) continue;
      top.push({ label: this.labels[c]!, p: probs[c]! });
      if (top.length >= k) break;
    }
    const best = top[0] ?? { label: this.labels[0]!, p: 0 };
    const argmaxIsOos = this.outOfScopeLabel !== null && this.labels[order[0]!] === this.outOfScopeLabel;
    const outOfScope = argmaxIsOos || best.p < this.threshold;
    return {
      label: outOfScope && this.outOfScopeLabel ? this.outOfScopeLabel : best.label,
      confidence: best.p,
      outOfScope,
      top,
    };
  }

  /** Calibrated probabilities in `labels` order. */
  probabilities(text: string): Float64Array {
    const scores = this.logits(text);
    softmaxInPlace(scores, this.classes, this.temperature);
    return scores;
  }

  /**
   * Fit the softmax temperature (minimum NLL) and the out-of-scope threshold on held-out data.
   * With out-of-scope examples the threshold maximises in-scope accuracy while held-out out-of-scope recall
   * stays at or above `minRecall` (default 0.75: with ~100 held-out out-of-scope examples a threshold
   * fitted at 0.75 still gives >= 60% recall on unseen data 9 times in 10, docs/bench/triage.md); without
   * them it rejects the least confident 2% of held-out tickets, capped at 0.5 (so "none of these" still
   * means something, but a near-perfect held-out set does not make every ticket out of scope).
   */
  calibrate(validation: readonly LabelledText[], minRecall = 0.75): void {
    const known = validation.filter((e) => this.labels.includes(e.label));
    if (known.length === 0) return;
    const logits = known.map((e) => this.logits(e.text));
    const ys = known.map((e) => this.labels.indexOf(e.label));
    const p = new Float64Array(this.classes);
    const nll = (t: number): number => {
      let total = 0;
      for (let i = 0; i < logits.length; i++) {
        p.set(logits[i]!);
        softmaxInPlace(p, this.classes, t);
        total -= Math.log(Math.max(p[ys[i]!]!, 1e-12));
      }
      return total;
    };
    // golden-section search on log T
    // T is kept in [0.25, 5]: on a held-out set the model gets (nearly) all right, NLL keeps falling as
    // T -> 0 and the model would become certain of everything
    let lo = Math.log(0.25);
    let hi = Math.log(5);
    const g = (Math.sqrt(5) - 1) / 2;
    for (let it = 0; it < 40; it++) {
      const a = hi - g * (hi - lo);
      const b = lo + g * (hi - lo);
      if (nll(Math.exp(a)) < nll(Math.exp(b))) hi = b;
      else lo = a;
    }
    this.temperature = Math.exp((lo + hi) / 2);

    const oos = this.outOfScopeLabel;
    const rows = known.map((e) => {
      const pred = this.predict(e.text, 1);
      const argmaxOos = pred.outOfScope && pred.confidence >= this.threshold;
      return { conf: pred.confidence, label: pred.top[0]?.label, argmaxOos, truth: e.label };
    });
    if (oos && rows.some((r) => r.truth === oos)) {
      const candidates = [...new Set(rows.map((r) => r.conf))].sort((a, b) => a - b);
      let best = { t: 0, score: -1 };
      for (const t of [0, ...candidates.map((c) => c + 1e-9)]) {
        let inTotal = 0;
        let inOk = 0;
        let oosTotal = 0;
        let oosOk = 0;
        for (const r of rows) {
          const rejected = r.argmaxOos || r.conf < t;
          if (r.truth === oos) {
            oosTotal++;
            if (rejected) oosOk++;
          } else {
            inTotal++;
            if (!rejected && r.label === r.truth) inOk++;
          }
        }
        // in-scope accuracy first, as long as out-of-scope recall reaches the floor; below it, recall
        // counts fully (so a model that cannot reach the floor still gets the best trade-off)
        const recall = oosOk / oosTotal;
        const score = inOk / inTotal + (recall >= minRecall ? 1 : recall);
        if (score > best.score) best = { t, score };
      }
      this.threshold = best.t;
    } else {
      const confs = rows.map((r) => r.conf).sort((a, b) => a - b);
      this.threshold = Math.min(0.5, confs[Math.floor(confs.length * 0.02)] ?? 0);
    }
  }

  /** Keep only the `maxRows` weight rows with the largest norms (shrinks an exported model). */
  prune(maxRows: number): void {
    if (this.rows <= maxRows) return;
    const C = this.classes;
    const norms = this.#buckets.map((_, r) => {
      let s = 0;
      for (let c = 0; c < C; c++) s += this.#weights[r * C + c]! ** 2;
      return s;
    });
    if (this.#hidden) {
      // rank by both models: each row's share of the linear and of the embedding weight mass
      const H = this.#hidden.size;
      const E = this.#hidden.embed;
      const embed = norms.map((_, r) => {
        let s = 0;
        for (let j = 0; j < H; j++) s += E[r * H + j]! ** 2;
        return s;
      });
      const linearTotal = norms.reduce((a, b) => a + b, 0) || 1;
      const embedTotal = embed.reduce((a, b) => a + b, 0) || 1;
      norms.forEach((n, r) => (norms[r] = n / linearTotal + embed[r]! / embedTotal));
    }
    const keep = Array.from(norms.keys())
      .sort((a, b) => norms[b]! - norms[a]!)
      .slice(0, maxRows)
      .sort((a, b) => a - b);
    const weights = new Float32Array(keep.length * C);
    const buckets: number[] = [];
    keep.forEach((r, i) => {
      weights.set(this.#weights.subarray(r * C, r * C + C), i * C);
      buckets.push(this.#buckets[r]!);
    });
    this.#setRows(buckets, weights);
    this.#hidden?.keepRows(keep);
  }

  toState(): ClassifierState {
    return {
      version: MODEL_FORMAT_VERSION,
      labels: [...this.labels],
      features: { ...this.features },
      buckets: Uint32Array.from(this.#buckets),
      weights: this.#weights.slice(0, this.rows * this.classes),
      bias: this.#bias.slice(),
      temperature: this.temperature,
      threshold: this.threshold,
      outOfScopeLabel: this.outOfScopeLabel,
      trainedExamples: this.trainedExamples,
      updatedAt: this.updatedAt,
      hidden: this.#hidden ? { ...this.#hidden.toState(), ...this.#mix } : null,
    };
  }

  static fromState(state: ClassifierState): IntentClassifier {
    const C = state.labels.length;
    const hidden = state.hidden;
    const H = hidden?.size ?? 0;
    if (
      state.weights.length !== state.buckets.length * C ||
      state.bias.length !== C ||
      (hidden &&
        (hidden.embed.length !== state.buckets.length * H ||
          hidden.hiddenBias.length !== H ||
          hidden.out.length !== H * C ||
          hidden.outBias.length !== C))
    ) {
      throw new InvalidInputError(
        'The model file is inconsistent (weights do not match its labels): export it again.',
      );
    }
    const model = new IntentClassifier();
    model.labels = [...state.labels];
    model.features = { ...state.features };
    model.temperature = state.temperature;
    model.threshold = state.threshold;
    model.outOfScopeLabel = state.outOfScopeLabel;
    model.trainedExamples = state.trainedExamples;
    model.updatedAt = state.updatedAt;
    model.#bias = Float32Array.from(state.bias);
    model.#biasGrad = new Float32Array(C);
    model.#scratch = new Float64Array(C);
    model.#setRows(Array.from(state.buckets), state.weights);
    if (hidden) {
      model.#hidden = new HiddenLayer({
        size: H,
        embed: Float32Array.from(hidden.embed),
        hiddenBias: Float32Array.from(hidden.hiddenBias),
        out: Float32Array.from(hidden.out),
        outBias: Float32Array.from(hidden.outBias),
      });
      model.#mix = { weight: hidden.weight, linearScale: hidden.linearScale };
    }
    return model;
  }

  // ---- internals ---------------------------------------------------------------------------

  #setRows(buckets: number[], weights: Float32Array): void {
    this.#buckets = buckets;
    this.#rowOf = new Map(buckets.map((b, i) => [b, i]));
    this.#weights = Float32Array.from(weights);
    this.#grad = new Float32Array(weights.length);
  }

  #addLabel(label: string): void {
    if (this.labels.includes(label)) return;
    const oldC = this.classes;
    const C = oldC + 1;
    const weights = new Float32Array(this.rows * C);
    const grad = new Float32Array(weights.length);
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < oldC; c++) {
        weights[r * C + c] = this.#weights[r * oldC + c]!;
        grad[r * C + c] = this.#grad[r * oldC + c]!;
      }
    }
    this.labels = [...this.labels, label];
    this.#weights = weights;
    this.#grad = grad;
    const bias = new Float32Array(C);
    bias.set(this.#bias);
    // a new class starts a little below the others so one example does not take over everything
    let minBias = 0;
    for (const b of this.#bias) minBias = Math.min(minBias, b);
    bias[oldC] = minBias;
    this.#bias = bias;
    const biasGrad = new Float32Array(C);
    biasGrad.set(this.#biasGrad);
    this.#biasGrad = biasGrad;
    this.#scratch = new Float64Array(C);
    this.#hidden?.addClass();
  }

  #encode(text: string, label: string | null, grow: boolean): Encoded {
    const v = featurize(text, this.features);
    const rows: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < v.index.length; i++) {
      const bucket = v.index[i]!;
      let row = this.#rowOf.get(bucket);
      if (row === undefined) {
        if (!grow) continue;
        row = this.#buckets.length;
        this.#buckets.push(bucket);
        this.#rowOf.set(bucket, row);
      }
      rows.push(row);
      values.push(v.value[i]!);
    }
    return {
      rows: Int32Array.from(rows),
      value: Float32Array.from(values),
      y: label === null ? -1 : this.labels.indexOf(label),
    };
  }

  #ensureCapacity(): void {
    const need = this.rows * this.classes;
    if (this.#weights.length >= need) return;
    const size = Math.max(need, Math.floor(this.#weights.length * 1.5));
    const w = new Float32Array(size);
    w.set(this.#weights);
    const g = new Float32Array(size);
    g.set(this.#grad);
    this.#weights = w;
    this.#grad = g;
  }

  /**
   * Scores: the linear model's alone, or with a hidden layer the log of the average of both models'
   * probabilities (so the temperature fitted on top still works on a logit scale).
   */
  #logits({ rows, value }: Encoded): Float64Array {
    const C = this.classes;
    const out = new Float64Array(C);
    out.set(this.#bias);
    const W = this.#weights;
    for (let i = 0; i < rows.length; i++) {
      const x = value[i]!;
      const base = rows[i]! * C;
      for (let c = 0; c < C; c++) out[c]! += x * W[base + c]!;
    }
    if (!this.#hidden) return out;
    const hidden = new Float64Array(C);
    this.#hidden.scores(rows, value, hidden);
    softmaxInPlace(out, C, 1 / this.#mix.linearScale);
    softmaxInPlace(hidden, C);
    const w = this.#mix.weight;
    for (let c = 0; c < C; c++) out[c] = Math.log((1 - w) * out[c]! + w * hidden[c]! + 1e-30);
    return out;
  }

  #fit(data: Encoded[], options: TrainOptions): void {
    const C = this.classes;
    const epochs = options.epochs ?? 8;
    const loss = options.loss ?? 'squared-hinge';
    const lr = options.learningRate ?? (loss === 'softmax' ? 0.4 : 0.1);
    const l2 = options.l2 ?? 1e-4;
    const averageEpochs = Math.min(options.averageEpochs ?? 4, epochs);
    const random = mulberry32(options.seed ?? 1);
    const W = this.#weights;
    const G = this.#grad;
    const B = this.#bias;
    const BG = this.#biasGrad;
    const p = this.#scratch.length === C ? this.#scratch : (this.#scratch = new Float64Array(C));
    const order = Array.from(data.keys());
    const avg = averageEpochs > 0 ? new Float32Array(this.rows * C) : null;
    const avgBias = averageEpochs > 0 ? new Float64Array(C) : null;
    let averaged = 0;
    const eps = 1e-8;
    const dropout = options.dropout ?? (loss === 'softmax' ? 0.2 : 0.4);
    const keepScale = 1 / (1 - dropout);
    let longest = 0;
    for (const ex of data) longest = Math.max(longest, ex.rows.length);
    const dropRows = new Int32Array(longest);
    const dropVals = new Float32Array(longest);
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, random);
      for (const idx of order) {
        const ex = data[idx]!;
        if (ex.y < 0) continue;
        p.set(B);
        let rows = ex.rows;
        let vals = ex.value;
        if (dropout > 0) {
          let n = 0;
          for (let f = 0; f < rows.length; f++) {
            if (random() >= dropout) {
              dropRows[n] = rows[f]!;
              dropVals[n] = vals[f]! * keepScale;
              n++;
            }
          }
          rows = dropRows.subarray(0, n);
          vals = dropVals.subarray(0, n);
        }
        for (let f = 0; f < rows.length; f++) {
          const base = rows[f]! * C;
          const x = vals[f]!;
          for (let c = 0; c < C; c++) p[c]! += x * W[base + c]!;
        }
        if (loss === 'softmax') {
          softmaxInPlace(p, C);
          p[ex.y]! -= 1;
        } else {
          // one-vs-rest squared hinge: each label's score is pushed to >= +1 for its examples and
          // <= -1 for all others; labels already beyond the margin get no gradient (skipped below)
          for (let c = 0; c < C; c++) {
            const y = c === ex.y ? 1 : -1;
            const m = y * p[c]!;
            p[c] = m < 1 ? -2 * y * (1 - m) : 0;
          }
        }
        for (let c = 0; c < C; c++) {
          const g = p[c]!;
          if (g > -1e-5 && g < 1e-5) continue;
          BG[c]! += g * g;
          B[c]! -= (lr * g) / Math.sqrt(BG[c]! + eps);
          for (let f = 0; f < rows.length; f++) {
            const k = rows[f]! * C + c;
            const grad = g * vals[f]! + l2 * W[k]!;
            G[k]! += grad * grad;
            W[k]! -= (lr * grad) / Math.sqrt(G[k]! + eps);
          }
        }
      }
      if (avg && avgBias && epoch >= epochs - averageEpochs) {
        for (let k = 0; k < avg.length; k++) avg[k]! += W[k]!;
        for (let c = 0; c < C; c++) avgBias[c]! += B[c]!;
        averaged++;
      }
      if (options.onEpoch?.(epoch + 1, epochs) === false) break;
    }
    if (avg && avgBias && averaged > 0) {
      for (let k = 0; k < avg.length; k++) W[k] = avg[k]! / averaged;
      for (let c = 0; c < C; c++) B[c] = avgBias[c]! / averaged;
    }
  }
}
