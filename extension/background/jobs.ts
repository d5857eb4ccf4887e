/**
 * Rewrite and triage jobs (`job.run`, and rewrites from the context menu or their keyboard commands).
 * A rewrite goes through the one cascade (src/assist/cascade.ts): privacy, the router, the device
 * through the engine host, the verifier when the router flags the request, the user's gateway, and
 * the ledger. A triage job runs the same triage code as `<tier-triage>` (src/triage runLlmTriage) and
 * returns exactly its outcome. The result is published for the side panel in `chrome.storage.session`,
 * so a panel opened later, or after a worker restart, still finds it.
 */
import { runCascade } from '../../src/assist/cascade.ts';
import type { CascadeEvent } from '../../src/assist/cascade-types.ts';
import type { AssistDeps, RemoteChat } from '../../src/assist/types.ts';
import type { Tier } from '../../src/config/index.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { toTierError } from '../../src/errors.ts';
import type { LedgerEntry } from '../../src/ledger/index.ts';
import type { Verdict, VerifyInput } from '../../src/router/index.ts';
import type { Decision, RouteContext } from '../../src/router/types.ts';
import { HANDOFF_REASON } from '../shared/jobs.ts';
import type { JobKind, JobResult } from '../shared/messaging.ts';
import type { Settings } from '../shared/settings.ts';
import { hostEngine, type HostChat } from './host-engine.ts';
import { triageJob } from './triage-job.ts';

type RewriteKind = Exclude<JobKind, 'triage'>;
const KEEP = 'Keep its meaning, language and facts. Reply with the rewritten text only.';
const GOALS: Record<RewriteKind, string> = {
  'rewrite-clearer': 'clearer',
  'rewrite-shorter': 'shorter',
  'rewrite-polite': 'more polite',
};
const rewriteMessages = (kind: RewriteKind, text: string): ChatMessage[] => [
  { role: 'system', content: `Rewrite the text the user sends so it is ${GOALS[kind]}. ${KEEP}` },
  { role: 'user', content: text },
];

/** Rewrites verify only what the router flags, book every model run, and never fall back silently. */
const REWRITE_POLICY = {
  surface: 'extension',
  verify: 'flagged',
  fallback: false,
  booking: 'attempts',
} as const;

function newJob(id: string, kind: JobKind, input: string, state: JobResult['state'], reason = ''): JobResult {
  return { id, kind, input, state, reason, text: '', tier: 'local', model: '', ms: 0 };
}

export interface JobDeps {
  settings: () => Promise<Settings>;
  /** The router (src/router `route`), or a local-only stand-in where none is built in. */
  decide: (text: string, context: RouteContext) => Decision;
  /** The router's cascade verifier (src/router `verifyAnswer`). */
  verify: (input: VerifyInput) => Verdict;
  /** One chat on the device through the engine host (offscreen document). */
  local: HostChat;
  /** The user's gateway (src/remote `gatewayClient`), undefined when none is configured. */
  gateway: (settings: Settings) => RemoteChat | undefined;
  publish: (job: JobResult) => Promise<void>;
  record: (entry: LedgerEntry) => Promise<unknown>;
  now: () => number;
}

async function rewrite(deps: JobDeps, job: JobResult, kind: RewriteKind): Promise<JobResult> {
  const settings = await deps.settings();
  const remote = deps.gateway(settings);
  const cascadeDeps: AssistDeps = {
    route: deps.decide,
    verifyAnswer: deps.verify,
    localEngine: async () => hostEngine(deps.local, job.id, deps.now),
    localAvailable: () => true,
    remote,
    ledger: { record: deps.record },
  };
  const { quality, privacy } = settings;
  const tiers: Tier[] = remote ? ['local', 'mid', 'frontier'] : ['local'];
  let shown = job;
  const publish = (next: JobResult) => void deps.publish((shown = next)).catch(() => undefined);
  const onEvent = (e: CascadeEvent) => {
    if (e.type === 'route') publish({ ...shown, tier: e.decision.tier, reason: e.decision.reason });
    if (e.type === 'escalate' && !e.vetoed) {
      const why = `The on-device answer was rejected (${e.reason}), so the ${e.to} tier answered.`;
      publish({ ...shown, reason: `${shown.reason} ${why}` });
    }
  };
  const messages = rewriteMessages(kind, job.input);
  const request = { input: { kind: 'chat', messages }, prompt: job.input, task: 'rewrite', onEvent } as const;
  const answer = await runCascade(request, cascadeDeps, { ...REWRITE_POLICY, quality, privacy, tiers });
  const { tier, text, model, redacted } = answer;
  return { ...shown, state: 'done', tier, text: text.trim(), model, ...(redacted ? { redacted } : {}) };
}

/**
 * "Triage this ticket" from the menu: the background runs no model. The side panel's `<tier-triage>`
 * triages the ticket once and publishes its outcome as this job's result; until then the job is
 * `handoff`, in `chrome.storage.session` for a panel opened later.
 */
export async function handoffTriage(deps: Pick<JobDeps, 'publish'>, id: string, text: string) {
  const job = newJob(id, 'triage', text, 'handoff', HANDOFF_REASON);
  await deps.publish(job);
  return job;
}

export async function runJob(deps: JobDeps, id: string, kind: JobKind, input: string): Promise<JobResult> {
  const started = deps.now();
  let job = newJob(id, kind, input, 'running');
  try {
    job = kind === 'triage' ? await triageJob(deps, job, started) : await rewrite(deps, job, kind);
  } catch (error) {
    const typed = toTierError(error);
    job = { ...job, state: 'error', error: { code: typed.code, message: typed.message } };
  }
  job.ms = deps.now() - started;
  await deps.publish(job);
  return job;
}
