/**
 * Loaders for the intent data sets in ../shared/data/intents (read in place, never copied).
 * - BANKING77: train.csv / test.csv; validation = 10% of train chosen by a hash of the text.
 * - CLINC150 (data_full.json): train/val/test plus oos_train/oos_val/oos_test labelled `oos`.
 * - Bitext customer support: one CSV without splits; text = `instruction`, label = `intent`;
 *   split by a hash of the text: 70% train, 10% validation, 20% test.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LabelledText } from '../../src/triage/classifier.ts';
import { parseCsv } from './router-data.ts';

export const DATASETS = ['banking77', 'clinc150', 'bitext'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface IntentDataset {
  name: DatasetName;
  train: LabelledText[];
  validation: LabelledText[];
  test: LabelledText[];
  /** Label meaning "out of scope", when the data has one. */
  outOfScopeLabel?: string;
}

/** A stable number in [0, 1) from the text (sha1), used to split data without a split column. */
export function hashUnit(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

function fromCsv(path: string, textKey: string, labelKey: string): LabelledText[] {
  return parseCsv(readFileSync(path, 'utf8'))
    .map((row) => ({ text: row[textKey] ?? '', label: row[labelKey] ?? '' }))
    .filter((e) => e.text.trim() && e.label);
}

const ClincSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

export function loadIntents(name: DatasetName, dataDir = '../shared/data'): IntentDataset {
  const dir = join(dataDir, 'intents', name);
  if (name === 'banking77') {
    const all = fromCsv(join(dir, 'train.csv'), 'text', 'category');
    return {
      name,
      train: all.filter((e) => hashUnit(e.text) >= 0.1),
      validation: all.filter((e) => hashUnit(e.text) < 0.1),
      test: fromCsv(join(dir, 'test.csv'), 'text', 'category'),
    };
  }
  if (name === 'clinc150') {
    const data = ClincSchema.parse(JSON.parse(readFileSync(join(dir, 'data_full.json'), 'utf8')));
    const take = (...keys: string[]): LabelledText[] =>
      keys.flatMap((k) => (data[k] ?? []).map(([text, label]) => ({ text, label })));
    return {
      name,
      train: take('train', 'oos_train'),
      validation: take('val', 'oos_val'),
      test: take('test', 'oos_test'),
      outOfScopeLabel: 'oos',
    };
  }
  const all = fromCsv(
    join(dir, 'Bitext_Sample_Customer_Support_Training_Dataset.csv'),
    'instruction',
    'intent',
  );
  // the same instruction can appear more than once: split by text so no test text is seen in training
  return {
    name,
    train: all.filter((e) => hashUnit(e.text) < 0.7),
    validation: all.filter((e) => {
      const h = hashUnit(e.text);
      return h >= 0.7 && h < 0.8;
    }),
    test: all.filter((e) => hashUnit(e.text) >= 0.8),
  };
}

/**
 * CLINC150 intents that ask for the same thing as a BANKING77 intent, with the BANKING77 labels that
 * count as right. Written from the label names and definitions before any model was run on them.
 * CLINC150's queries were written by other crowd workers, for a voice assistant rather than a bank's
 * support desk: they check whether a model trained on BANKING77 understands the same request worded
 * the way other people word it.
 */
export const CLINC150_AS_BANKING77: Record<string, readonly string[]> = {
  exchange_rate: ['exchange_rate'],
  card_declined: ['declined_card_payment'],
  report_lost_card: ['lost_or_stolen_card'],
  pin_change: ['change_pin'],
  expiration_date: ['card_about_to_expire'],
  replacement_card_duration: ['card_delivery_estimate', 'card_arrival'],
  report_fraud: ['compromised_card', 'card_payment_not_recognised'],
};

/** Every CLINC150 query (all splits) of the mapped intents, with the BANKING77 labels that count as right. */
export function loadClincAsBanking77(
  dataDir = '../shared/data',
): { text: string; accept: readonly string[] }[] {
  const data = ClincSchema.parse(
    JSON.parse(readFileSync(join(dataDir, 'intents', 'clinc150', 'data_full.json'), 'utf8')),
  );
  return ['train', 'val', 'test'].flatMap((split) =>
    (data[split] ?? []).flatMap(([text, label]) => {
      const accept = CLINC150_AS_BANKING77[label];
      return accept ? [{ text, accept }] : [];
    }),
  );
}

/**
 * The triage CLIs' `--hidden N` as `train()` options ({} when absent). Not a whole number: prints what
 * it takes and exits with 2.
 */
export function hiddenUnitsOption(raw: string | undefined): { hidden?: number } {
  if (raw === undefined) return {};
  if (!/^\d+$/.test(raw)) {
    console.error(`--hidden takes a whole number of hidden units (0 for a linear model), not "${raw}".`);
    process.exit(2);
  }
  return { hidden: Number(raw) };
}
