/**
 * Retrain the static router with one data set left out, for `npm run eval:online`: the recipe of
 * `npm run train:router` (scripts/lib/router-recipe.ts), with the verifier refitted on the small model's
 * own answers of the kept rows (train:router also uses the GSM8K weak model's answers). Only the rows kept by
 * `keep` take part, so the left-out set touches no weight and no threshold.
 */
import { DENSE_NAMES, HASH_DIM } from '../../src/router/features.ts';
import type { RouterWeights } from '../../src/router/model.ts';
import { answerSignals } from '../../src/router/verifier.ts';
import { VERIFIER_SIGNALS, signalVector, type TrainItem } from './router-data-train.ts';
import {
  SEED,
  calibratedScores,
  fitHeads,
  fitPolicy,
  fitVerifier,
  round,
  standardise,
} from './router-recipe.ts';

const HP = { epochs: 8, lr: 0.08, l2: 30 };

export function trainStaticRouter(all: TrainItem[], keep: (it: TrainItem) => boolean): RouterWeights {
  const items = all.filter(keep);
  const standard = standardise(items);
  const { heads, calibHeads } = fitHeads(items, standard, HP);
  const { defaultQuality, localMargin } = fitPolicy(items, calibratedScores(calibHeads, standard));
  // Verifier on the small model's own answers (RouterBench) of the kept rows, unweighted.
  const verifier = fitVerifier(
    items
      .filter((it) => it.rb?.response.local !== undefined)
      .map((it) => ({
        x: signalVector(
          answerSignals({ text: it.rb?.response.local ?? '', finishReason: 'stop', prompt: it.prompt }),
        ),
        y: it.rb?.correct.local ?? 0,
        calib: it.calib,
      })),
    (vs) => vs.map(() => 1),
  );
  return {
    version: 1,
    hashDim: HASH_DIM,
    denseNames: [...DENSE_NAMES],
    denseMean: standard.mean.map((v) => round(v, 6)),
    denseStd: standard.std.map((v) => round(v, 6)),
    heads,
    verifier: {
      bias: round(verifier.bias),
      weights: Object.fromEntries(VERIFIER_SIGNALS.map((k, i) => [k, round(verifier.weights[i] as number)])),
      threshold: round(verifier.threshold, 2),
      minMeanLogprob: -1.2,
      minTokenLogprob: -8,
    },
    policy: { defaultQuality, localMargin },
    meta: { seed: SEED, epochs: HP.epochs, l2: HP.l2, n: items.length },
  };
}
