/**
 * npm run eval:triage [-- --data ../shared/data --json]
 * Trains the triage classifier head on the train split of BANKING77, CLINC150 (with its out-of-scope
 * train set) and Bitext (hash split), fits temperature and out-of-scope threshold on validation, and
 * reports test accuracy, macro-F1, CLINC150 in-scope accuracy / out-of-scope recall, training seconds
 * and prediction microseconds per ticket. `--json` prints one JSON line last.
 * The BANKING77 model is also asked CLINC150's queries for the same requests (other writers, another
 * product): `banking77CrossDatasetAccuracy`.
 * `--hidden N` trains with N hidden units (default 128; 0: the linear model alone), for comparisons.
 */
import { parseArgs } from 'node:util';
import { IntentClassifier } from '../src/triage/classifier.ts';
import {
  DATASETS,
  hiddenUnitsOption,
  loadClincAsBanking77,
  loadIntents,
  type DatasetName,
} from './lib/intents.ts';
import { evaluate, type EvalResult } from './lib/intents-eval.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    hidden: { type: 'string' },
  },
});

const hidden = hiddenUnitsOption(values.hidden);

const names = values.only ? (values.only.split(',') as DatasetName[]) : [...DATASETS];
const results: Partial<Record<DatasetName, EvalResult>> = {};
let crossDataset: { accuracy: number; count: number } | null = null;
for (const name of names) {
  const data = loadIntents(name, values.data);
  const model = new IntentClassifier();
  const t0 = performance.now();
  model.train(data.train, {
    validation: data.validation,
    outOfScopeLabel: data.outOfScopeLabel,
    ...hidden,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  results[name] = evaluate(model, data, trainSeconds);
  const r = results[name];
  console.log(
    `${name.padEnd(10)} train=${String(data.train.length).padStart(6)} test=${String(data.test.length).padStart(5)}  ` +
      `acc=${(r.accuracy * 100).toFixed(2)}%  macroF1=${(r.macroF1 * 100).toFixed(2)}%  ` +
      (r.oosRecall !== null
        ? `inScope=${(r.inScopeAccuracy * 100).toFixed(2)}% oosRecall=${(r.oosRecall * 100).toFixed(2)}%  `
        : '') +
      `train=${r.trainSeconds.toFixed(1)}s  predict=${r.predictMicros.toFixed(0)}µs/ticket  T=${r.temperature.toFixed(2)} thr=${r.threshold.toFixed(3)}`,
  );
  if (name === 'banking77') {
    const queries = loadClincAsBanking77(values.data);
    const right = queries.filter((q) => q.accept.includes(model.predict(q.text, 1).top[0]!.label)).length;
    crossDataset = { accuracy: right / queries.length, count: queries.length };
    console.log(
      `banking77 on CLINC150 wording: ${right} / ${queries.length} = ${((100 * right) / queries.length).toFixed(2)}%`,
    );
  }
}

if (values.json) {
  const b = results.banking77;
  const c = results.clinc150;
  const x = results.bitext;
  console.log(
    JSON.stringify({
      banking77Accuracy: b?.accuracy ?? null,
      banking77MacroF1: b?.macroF1 ?? null,
      banking77PredictMicros: b?.predictMicros ?? null,
      clinc150InScopeAccuracy: c?.inScopeAccuracy ?? null,
      clinc150OosRecall: c?.oosRecall ?? null,
      clinc150Accuracy: c?.accuracy ?? null,
      clinc150MacroF1: c?.macroF1 ?? null,
      clinc150PredictMicros: c?.predictMicros ?? null,
      bitextAccuracy: x?.accuracy ?? null,
      bitextMacroF1: x?.macroF1 ?? null,
      bitextPredictMicros: x?.predictMicros ?? null,
      banking77CrossDatasetAccuracy: crossDataset?.accuracy ?? null,
      trainSeconds: b?.trainSeconds ?? null,
      trainSecondsByDataset: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.trainSeconds])),
    }),
  );
}
