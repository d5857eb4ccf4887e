/**
 * A triage job (`job.run` with kind `triage`): the same triage code `<tier-triage>` runs (src/triage
 * runLlmTriage: the on-device model through the engine host, the user's gateway for the fields it is
 * unsure of, the privacy policy applied), so the job carries exactly `<tier-triage>`'s outcome. The
 * background has no classifier (the starter model would weigh on every service-worker start): the
 * categories are the starter model's, and the model's own confidence decides what escalates.
 */
import { runLlmTriage } from '../../src/triage/llm-triage.ts';
import { STARTER_LABELS } from '../../src/triage/starter-labels.ts';
import type { JobResult } from '../shared/messaging.ts';
import { triageJobResult } from '../shared/triage-result.ts';
import { hostEngine, type HostChat } from './host-engine.ts';
import type { JobDeps } from './jobs.ts';

export async function triageJob(deps: JobDeps, job: JobResult, started: number): Promise<JobResult> {
  const settings = await deps.settings();
  await deps.publish({
    ...job,
    reason: 'Triaging: the on-device model first, your gateway for what it is unsure of.',
  });
  let model = '';
  const chat: HostChat = async (id, messages) => {
    const out = await deps.local(id, messages);
    model = out.model;
    return out;
  };
  const outcome = await runLlmTriage({
    text: job.input,
    labels: STARTER_LABELS,
    candidates: [],
    engine: hostEngine(chat, job.id, deps.now),
    gateway: deps.gateway(settings),
    privacy: settings.privacy,
    ledger: { record: (entry) => deps.record({ ...entry, surface: 'extension' }) },
  });
  return triageJobResult(job, outcome, { model, privacy: settings.privacy, ms: deps.now() - started });
}
