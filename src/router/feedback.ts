/**
 * Feedback records: what happened after an answer, for the online router (online.ts) to learn from.
 * The one shape the browser's ledger stores, the export writes, `POST /v1/feedback` accepts and the
 * gateway keeps in its shared store (issue 15). A record holds the router's compact features and
 * scores, the tier used, the decision's propensity and version, and the outcome: never the prompt or
 * the answer text (the features are folded hash buckets and standardised counts, not words).
 *
 * Signals and what they reveal:
 * - `verifier-accept` / `verifier-reject`: the cascade verifier's verdict on an on-device answer;
 * - `thumbs-up` / `thumbs-down`: the person's verdict in `<tier-assist>`;
 * - `ask-bigger`: "Ask a bigger model" after an answer (the answer was not good enough);
 * - `correction`: an agent corrected `<tier-triage>`'s field(s) (the tier's answer was wrong);
 * - `accepted`: an agent kept `<tier-triage>`'s fields as they were;
 * - `re-ask`: the same question asked again within {@link REASK_WINDOW_MS} (the answer did not help).
 *
 * Schemas are built on first use (zod stays out of bundles that only route).
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import { DENSE_NAMES } from './features.ts';
import type { OnlineFeedback } from './online.ts';

export const FEEDBACK_SIGNALS = [
  'verifier-accept',
  'verifier-reject',
  'thumbs-up',
  'thumbs-down',
  'ask-bigger',
  'correction',
  'accepted',
  're-ask',
] as const;
export type FeedbackSignal = (typeof FEEDBACK_SIGNALS)[number];

/** The same question again within this long counts as a re-ask. */
export const REASK_WINDOW_MS = 2 * 60 * 1000;
/** Most records one `POST /v1/feedback` batch may carry. */
export const MAX_FEEDBACK_BATCH = 200;
/** Most records a browser keeps (oldest dropped first). */
export const MAX_STORED_FEEDBACK = 5000;
/** Hashed feature buckets a record may carry (the online router folds into at most 1024). */
const MAX_FEATURE_BUCKETS = 1024;

export interface FeedbackRecord {
  /** Epoch ms when the signal was given. */
  at: number;
  signal: FeedbackSignal;
  /** The surface that produced the answer ('tier-assist', 'tier-triage', 'extension', 'gateway'...). */
  surface: string;
  /** The task the router was asked about (chat, autocomplete, rewrite, triage...). */
  task?: string;
  /** The learner's view of the outcome: features, tier used, propensity, version, correct/verifier. */
  feedback: OnlineFeedback;
}

/** What a signal reveals about the tier's answer (`correct`), or the verifier's verdict. */
export function outcomeOf(signal: FeedbackSignal): Pick<OnlineFeedback, 'correct' | 'verifierAccept'> {
  switch (signal) {
    case 'verifier-accept':
      return { verifierAccept: true };
    case 'verifier-reject':
      return { verifierAccept: false };
    case 'thumbs-up':
    case 'accepted':
      return { correct: true };
    case 'thumbs-down':
    case 'ask-bigger':
    case 'correction':
    case 're-ask':
      return { correct: false };
  }
}

function buildSchemas() {
  const tier = z.enum(['local', 'mid', 'frontier']);
  const unit = z.number().min(0).max(1);
  const features = z
    .object({
      scores: z.object({ local: unit, mid: unit }).strict(),
      dense: z.array(z.number().min(-5).max(5)).max(DENSE_NAMES.length),
      idx: z
        .array(
          z
            .number()
            .int()
            .min(0)
            .max(MAX_FEATURE_BUCKETS - 1),
        )
        .max(MAX_FEATURE_BUCKETS),
      val: z.array(z.number().finite()).max(MAX_FEATURE_BUCKETS),
    })
    .strict()
    .refine((f) => f.idx.length === f.val.length, 'idx and val must have the same length');
  const feedback = z
    .object({
      features,
      tier,
      propensity: z.number().gt(0).max(1),
      version: z.number().int().min(0).optional(),
      correct: z.boolean().optional(),
      verifierAccept: z.boolean().optional(),
    })
    .strict();
  const record = z
    .object({
      at: z.number().int().min(0),
      signal: z.enum(FEEDBACK_SIGNALS),
      surface: z.string().min(1).max(40),
      task: z.string().min(1).max(40).optional(),
      feedback,
    })
    .strict()
    .refine((r) => {
      const o = outcomeOf(r.signal);
      return r.feedback.correct === o.correct && r.feedback.verifierAccept === o.verifierAccept;
    }, 'the outcome must match the signal (see outcomeOf)');
  const batch = z.object({ records: z.array(record).min(1).max(MAX_FEEDBACK_BATCH) }).strict();
  return { record, batch };
}
let schemas: ReturnType<typeof buildSchemas> | undefined;
const get = (): ReturnType<typeof buildSchemas> => (schemas ??= buildSchemas());

function fail(what: string, error: z.ZodError): never {
  const issue = error.issues[0];
  const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new InvalidInputError(`Invalid ${what}${at}: ${issue?.message ?? 'malformed'}`, {
    data: { issues: error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}

/** Parses one record (e.g. read back from storage); InvalidInputError naming the bad field. */
export function parseFeedbackRecord(value: unknown): FeedbackRecord {
  const r = get().record.safeParse(value);
  if (!r.success) fail('feedback record', r.error);
  return r.data as FeedbackRecord;
}

/** Parses a `POST /v1/feedback` body `{records: [...]}` (1..MAX_FEEDBACK_BATCH records). */
export function parseFeedbackBatch(value: unknown): FeedbackRecord[] {
  const r = get().batch.safeParse(value);
  if (!r.success) fail('feedback batch', r.error);
  return r.data.records as FeedbackRecord[];
}

/** A record for a signal about a decided request: the outcome filled in from the signal. */
export function feedbackRecord(
  signal: FeedbackSignal,
  decided: Omit<OnlineFeedback, 'correct' | 'verifierAccept'>,
  context: { surface: string; task?: string; at?: number },
): FeedbackRecord {
  return {
    at: context.at ?? Date.now(),
    signal,
    surface: context.surface,
    ...(context.task ? { task: context.task } : {}),
    feedback: { ...decided, ...outcomeOf(signal) },
  };
}
