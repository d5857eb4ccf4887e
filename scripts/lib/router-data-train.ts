/**
 * Builds the router's training examples from the shared data (train splits only) and the hand-labelled
 * product set, and the verifier's examples from the cheaper models' own answers.
 */
import { extractFeatures, type Features } from '../../src/router/features.ts';
import { answerSignals } from '../../src/router/verifier.ts';
import {
  loadArena,
  loadGsm8k,
  loadMmlu,
  loadProductRequests,
  loadRouterBench,
  unitHash,
  type RouterBenchRow,
  type TwoTierRow,
} from './router-data.ts';

export interface TrainItem {
  source: string;
  prompt: string;
  turn: number;
  /** Label per head; undefined when the data says nothing about that tier. */
  yLocal?: number;
  yMid?: number;
  weight: number;
  /** In the calibration slice of train (Platt scaling, thresholds). */
  calib: boolean;
  f: Features;
  /** RouterBench rows keep their outcomes for fitting the quality knob. */
  rb?: RouterBenchRow;
}

/** Weights per source: the product set must matter next to ~14k benchmark prompts. */
export const SOURCE_WEIGHT: Record<string, number> = {
  routerbench: 1,
  gsm8k: 1,
  mmlu: 0.25,
  arena: 0.5,
  product: 50,
};

export const VERIFIER_SIGNALS = [
  'hedges',
  'selfCorrections',
  'repetition',
  'logChars',
  'lengthRatio',
  'mcAnswer',
  'codeAnswer',
  'mathAnswer',
  'codeLines',
  'finalNotInteger',
  'finalNegative',
  'explicitFinal',
  'steps',
] as const;

export interface VerifierItem {
  x: number[];
  y: number;
  calib: boolean;
  source: string;
}

const calibOf = (p: string): boolean => unitHash(p, 'calib') < 0.2;

export interface TrainData {
  items: TrainItem[];
  verifier: VerifierItem[];
  counts: Record<string, number>;
}

export function signalVector(signals: Record<string, number | boolean>): number[] {
  return VERIFIER_SIGNALS.map((k) => {
    const v = signals[k];
    return typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0);
  });
}

export function buildTrainData(dataDir: string, productPath: string): TrainData {
  const items: TrainItem[] = [];
  const verifier: VerifierItem[] = [];
  const counts: Record<string, number> = {};
  const add = (it: Omit<TrainItem, 'f' | 'calib' | 'weight'>): void => {
    counts[it.source] = (counts[it.source] ?? 0) + 1;
    items.push({
      ...it,
      weight: SOURCE_WEIGHT[it.source] ?? 1,
      calib: calibOf(it.prompt),
      f: extractFeatures(it.prompt, it.turn),
    });
  };
  for (const r of loadRouterBench(dataDir)) {
    if (r.split !== 'train' || [r.correct.local, r.correct.mid, r.correct.frontier].some(Number.isNaN))
      continue;
    const { local, mid, frontier } = r.correct;
    add({
      source: 'routerbench',
      prompt: r.prompt,
      turn: 1,
      yLocal: local || (!mid && !frontier) ? 1 : 0,
      yMid: mid || !frontier ? 1 : 0,
      rb: r,
    });
    if (r.response.local !== undefined) {
      const s = answerSignals({ text: r.response.local, finishReason: 'stop', prompt: r.prompt });
      verifier.push({ x: signalVector(s), y: local, calib: calibOf(r.prompt), source: 'routerbench' });
    }
  }
  const twoTier = (r: TwoTierRow): void => {
    add({
      source: r.dataset,
      prompt: r.prompt,
      turn: 1,
      yMid: r.weak || !r.strong ? 1 : 0,
      // If the mid model (Mixtral) fails where the frontier succeeds, the on-device model fails too.
      ...(r.weak === 0 && r.strong === 1 ? { yLocal: 0 } : {}),
    });
  };
  for (const r of loadGsm8k(dataDir)) {
    if (r.split !== 'train') continue;
    twoTier(r);
    if (r.weakResponse) {
      const s = answerSignals({ text: r.weakResponse, finishReason: 'stop', prompt: r.prompt });
      verifier.push({ x: signalVector(s), y: r.weak, calib: calibOf(r.prompt), source: 'gsm8k' });
    }
  }
  for (const r of loadMmlu(dataDir)) if (r.split === 'train') twoTier(r);
  // Arena-Hard v2.0 (real hard user prompts): the on-device model is not acceptable; hard coding and maths
  // prompts need the frontier. v0.1 is kept out of training to measure "hard prompts sent on-device".
  for (const r of loadArena(dataDir, 'v2.0')) {
    add({
      source: 'arena',
      prompt: r.prompt,
      turn: 1,
      yLocal: 0,
      ...(r.category === 'creative_writing' ? {} : { yMid: 0 }),
    });
  }
  for (const r of loadProductRequests(productPath)) {
    add({
      source: 'product',
      prompt: r.prompt,
      turn: r.turn ?? 1,
      yLocal: r.tier === 'local' ? 1 : 0,
      yMid: r.tier === 'frontier' ? 0 : 1,
    });
  }
  return { items, verifier, counts };
}
