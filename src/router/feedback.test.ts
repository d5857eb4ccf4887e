import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import type { RouterWeights } from './model.ts';
import weights from './weights.json' with { type: 'json' };
import {
  MAX_FEEDBACK_BATCH,
  feedbackRecord,
  parseFeedbackBatch,
  parseFeedbackRecord,
  type FeedbackRecord,
} from './feedback.ts';
import { onlineFeatures } from './online-features.ts';

const features = onlineFeatures(weights as unknown as RouterWeights, 'Write a haiku about the sea.');
const record = (): FeedbackRecord =>
  feedbackRecord(
    'thumbs-down',
    { features, tier: 'local', propensity: 0.9, version: 3 },
    { surface: 'tier-assist', task: 'chat', at: 1_700_000_000_000 },
  );

describe('feedback records', () => {
  it('fills the outcome from the signal and round-trips through JSON without any text', () => {
    const r = record();
    expect(r.feedback.correct).toBe(false);
    expect(r.feedback.verifierAccept).toBeUndefined();
    const json = JSON.stringify(r);
    expect(json).not.toMatch(/haiku|sea/);
    expect(parseFeedbackRecord(JSON.parse(json))).toEqual(r);
  });

  it('rejects a record whose outcome contradicts its signal, extra fields and bad features', () => {
    const r = record();
    expect(() => parseFeedbackRecord({ ...r, feedback: { ...r.feedback, correct: true } })).toThrow(
      InvalidInputError,
    );
    expect(() => parseFeedbackRecord({ ...r, prompt: 'Write a haiku' })).toThrow(/Invalid feedback record/);
    expect(() =>
      parseFeedbackRecord({
        ...r,
        feedback: { ...r.feedback, features: { ...features, idx: [1, 2], val: [1] } },
      }),
    ).toThrow(InvalidInputError);
    expect(() => parseFeedbackRecord({ ...r, feedback: { ...r.feedback, propensity: 0 } })).toThrow(
      /propensity/,
    );
  });

  it('accepts batches of 1..MAX_FEEDBACK_BATCH records and refuses empty or oversized ones', () => {
    expect(parseFeedbackBatch({ records: [record()] })).toHaveLength(1);
    expect(() => parseFeedbackBatch({ records: [] })).toThrow(InvalidInputError);
    expect(() =>
      parseFeedbackBatch({ records: Array.from({ length: MAX_FEEDBACK_BATCH + 1 }, record) }),
    ).toThrow(/records/);
    expect(() => parseFeedbackBatch('nope')).toThrow(InvalidInputError);
  });
});
