/** Test-split metrics for the triage classifier head (accuracy, macro-F1, in-scope / out-of-scope, speed). */
import type { IntentClassifier } from '../../src/triage/classifier.ts';
import type { IntentDataset } from './intents.ts';

export interface EvalResult {
  /** All test examples, the out-of-scope label counting as a class when the data has one. */
  accuracy: number;
  macroF1: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  trainSeconds: number;
  predictMicros: number;
  temperature: number;
  threshold: number;
}

export function macroF1(pairs: { truth: string; predicted: string }[]): number {
  const labels = new Set(pairs.map((p) => p.truth));
  let total = 0;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const p of pairs) {
      if (p.predicted === label && p.truth === label) tp++;
      else if (p.predicted === label) fp++;
      else if (p.truth === label) fn++;
    }
    total += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return labels.size ? total / labels.size : 0;
}

export function evaluate(model: IntentClassifier, data: IntentDataset, trainSeconds: number): EvalResult {
  const oos = data.outOfScopeLabel;
  const pairs: { truth: string; predicted: string }[] = [];
  const t0 = performance.now();
  for (const e of data.test) {
    const p = model.predict(e.text, 3);
    // without an out-of-scope class in the data, accuracy is over the top label
    pairs.push({ truth: e.label, predicted: oos ? p.label : (p.top[0]?.label ?? p.label) });
  }
  const predictMicros = ((performance.now() - t0) * 1000) / Math.max(1, data.test.length);
  const inScope = pairs.filter((p) => p.truth !== oos);
  const outScope = oos ? pairs.filter((p) => p.truth === oos) : [];
  return {
    accuracy: pairs.filter((p) => p.truth === p.predicted).length / pairs.length,
    macroF1: macroF1(pairs),
    inScopeAccuracy: inScope.filter((p) => p.truth === p.predicted).length / Math.max(1, inScope.length),
    oosRecall: oos ? outScope.filter((p) => p.predicted === oos).length / Math.max(1, outScope.length) : null,
    trainSeconds,
    predictMicros,
    temperature: model.temperature,
    threshold: model.threshold,
  };
}
