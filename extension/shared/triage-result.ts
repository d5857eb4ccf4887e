/**
 * A triage job's result from a TriageOutcome (src/triage/llm-triage.ts): the same shape whether the
 * side panel's `<tier-triage>` triaged the ticket (a handed-off menu triage) or the background's job did
 * (`job.run`), since both run src/triage's runLlmTriage. The side panel shows it with `triageLine`.
 */
import type { PrivacyPolicy } from '../../src/config/index.ts';
import { detectPii } from '../../src/privacy/index.ts';
import type { TriageOutcome } from '../../src/triage/llm-triage.ts';
import type { JobResult } from './messaging.ts';

/** Why the job's tier answered, in one sentence (the outcome's notes follow it). */
function triageReason(outcome: TriageOutcome, onDevice: boolean): string {
  const escalated = outcome.escalated;
  if (escalated.length > 0)
    return `The on-device answer was rejected or unsure for ${escalated.join(', ')}, so the mid tier answered ${escalated.length === 1 ? 'it' : 'them'}.`;
  return onDevice
    ? 'Triaged on this device: the category by the classifier, the other fields by the on-device model.'
    : 'Triaged on this device by the classifier (allow the model download in the options for the other fields).';
}

export function triageJobResult(
  job: JobResult,
  outcome: TriageOutcome,
  options: { model: string; privacy: PrivacyPolicy | undefined; ms: number },
): JobResult {
  const { fields } = outcome;
  const escalated = outcome.escalated.length > 0;
  const onDevice = Object.values(fields).some((v) => v?.source === 'device');
  return {
    ...job,
    state: 'done',
    tier: escalated ? 'mid' : 'local',
    reason: [triageReason(outcome, onDevice), ...outcome.notes].join(' '),
    text: fields.reply?.value ?? fields.summary?.value ?? fields.category?.value ?? '',
    model: !escalated && onDevice ? options.model : '',
    ms: options.ms,
    triage: { fields, escalated: outcome.escalated, notes: outcome.notes },
    // Under the "redact" policy personal data is replaced before the gateway and restored here.
    ...(escalated && options.privacy === 'redact' && detectPii(job.input).length > 0
      ? { redacted: true }
      : {}),
  };
}

/** The fields in one line, `category: track_order · priority: normal · ...`. */
export function triageLine(outcome: TriageOutcome): string {
  return Object.entries(outcome.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v.value}`)
    .join(' · ');
}
