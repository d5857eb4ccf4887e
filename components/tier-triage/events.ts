/** The events <tier-triage> fires (all bubble and are composed): names and detail shapes are public API. */
import type { Tier } from '../../src/config/schemas.ts';
import type { TierError } from '../../src/errors.ts';
import type { LabelScore } from '../../src/triage/classifier.ts';
import type { FieldValue, TriageField } from '../../src/triage/schema.ts';

/** One triaged ticket. */
export interface TriageRecord {
  id: number;
  text: string;
  fields: Partial<Record<TriageField, FieldValue>>;
  /** The classifier's best labels. */
  top: LabelScore[];
  outOfScope: boolean;
  /** Fields the mid tier filled. */
  escalated: TriageField[];
  notes: string[];
  tags: string[];
}

export interface TriageProgressDetail {
  done: number;
  total: number;
  /** `queue`: tickets of a batch; `training`: epochs of a `trainFrom()` run in the worker. */
  phase: 'queue' | 'training';
}
export interface TriageCorrectDetail {
  record: TriageRecord;
  field: TriageField;
  value: string;
  previous: string | undefined;
}
/** A feedback record was stored (the `feedback-store` attribute): about one tier's answer, no text. */
export interface TriageFeedbackDetail {
  /** `correction`: the agent changed a field that tier filled; `accepted`: the agent took its fields as they were. */
  signal: 'correction' | 'accepted';
  /** The tier whose fields they were: `local` (on-device model) or the tier that answered through the gateway. */
  tier: Tier;
  /** The triaged ticket's id (TriageRecord.id). */
  id: number;
}
export interface TriageRetrainDetail {
  examples: number;
  seconds: number;
}
export interface TriageErrorDetail {
  error: TierError;
}

/** Event name -> detail, for the element's typed `#emit`. */
export interface TierTriageEventMap {
  'tier-triage-result': TriageRecord;
  'tier-triage-progress': TriageProgressDetail;
  'tier-triage-correct': TriageCorrectDetail;
  'tier-triage-retrain': TriageRetrainDetail;
  'tier-triage-error': TriageErrorDetail;
  'tier-triage-feedback': TriageFeedbackDetail;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'tier-triage-result': CustomEvent<TriageRecord>;
    'tier-triage-progress': CustomEvent<TriageProgressDetail>;
    'tier-triage-correct': CustomEvent<TriageCorrectDetail>;
    'tier-triage-retrain': CustomEvent<TriageRetrainDetail>;
    'tier-triage-error': CustomEvent<TriageErrorDetail>;
    'tier-triage-feedback': CustomEvent<TriageFeedbackDetail>;
  }
}
