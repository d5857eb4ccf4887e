/**
 * Rewrite and triage jobs started from the context menu (or their keyboard commands): route the
 * text, run it on the device or escalate through the user's gateway, and publish the result for the
 * side panel (in `chrome.storage.session`, so a panel opened later, or after a worker restart,
 * still finds it).
 */
import type { PrivacyPolicy, RemoteTier, TaskKind } from '../../src/config/index.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { toTierError } from '../../src/errors.ts';
import type { Decision, RouteContext } from '../../src/router/types.ts';
import type { Verdict, VerifyInput } from '../../src/router/index.ts';
import { HANDOFF_REASON } from '../shared/jobs.ts';
import type { JobKind, JobResult } from '../shared/messaging.ts';
import type { Settings } from '../shared/settings.ts';
import type { Escalated } from './gateway.ts';
import type { LedgerEntry } from '../../src/ledger/index.ts';
import { approxTokens } from '../shared/stats.ts';

const INSTRUCTIONS: Record<JobKind, string> = {
  'rewrite-clearer':
    'Rewrite the text the user sends so it is clearer. Keep its meaning, language and facts. Reply with the rewritten text only.',
  'rewrite-shorter':
    'Rewrite the text the user sends so it is shorter. Keep its meaning, language and facts. Reply with the rewritten text only.',
  'rewrite-polite':
    'Rewrite the text the user sends so it is more polite. Keep its meaning, language and facts. Reply with the rewritten text only.',
  triage:
    'You triage customer support tickets. Reply with JSON only: {"category": string, "priority": "low"|"normal"|"high"|"urgent", "summary": string, "reply": string}.',
};

/** The shape a triage answer must have (the cascade verifier checks it). */
export const TRIAGE_SCHEMA = {
  type: 'object',
  required: ['category', 'priority', 'summary'],
  properties: {
    category: { type: 'string' },
    priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
    summary: { type: 'string' },
    reply: { type: 'string' },
  },
} as const;

export function jobMessages(kind: JobKind, text: string): ChatMessage[] {
  return [
    { role: 'system', content: INSTRUCTIONS[kind] },
    { role: 'user', content: text },
  ];
}

export interface JobDeps {
  settings: () => Promise<Settings>;
  /** The router (src/router `route`), or a local-only stand-in where none is built in. */
  decide: (text: string, context: RouteContext) => Decision;
  /** Replaces personal data with placeholders (src/privacy `redactPii`); `restore` puts it back. */
  redact: (text: string) => { text: string; found: boolean; restore: (answer: string) => string };
  local: (
    id: string,
    messages: ChatMessage[],
  ) => Promise<{ text: string; model: string; finishReason: 'stop' | 'length' | 'abort' }>;
  /** The router's cascade verifier (src/router `verifyAnswer`). */
  verify: (input: VerifyInput) => Verdict;
  escalate: (settings: Settings, decision: Decision, messages: ChatMessage[]) => Promise<Escalated>;
  publish: (job: JobResult) => Promise<void>;
  record: (entry: LedgerEntry) => Promise<unknown>;
  now: () => number;
}

function taskOf(kind: JobKind): TaskKind {
  return kind === 'triage' ? 'triage' : 'rewrite';
}

/** Parses the model's triage JSON when it produced some (small models often do not). */
function triageOf(text: string): Record<string, unknown> | undefined {
  const match = /\{[\s\S]*\}/.exec(text);
  if (!match) return undefined;
  try {
    const value: unknown = JSON.parse(match[0]);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * "Triage this ticket" (context menu or keyboard command): the background runs no model. The side
 * panel's `<tier-triage>` triages the ticket (classifier, on-device model, gateway when unsure, the
 * privacy policy applied) and publishes the outcome as this job's result, so one menu triage is one
 * model run. Until then the job is `handoff`, in `chrome.storage.session` for a panel opened later.
 */
export async function handoffTriage(
  deps: Pick<JobDeps, 'publish'>,
  id: string,
  input: string,
): Promise<JobResult> {
  const job: JobResult = {
    id,
    kind: 'triage',
    input,
    state: 'handoff',
    text: '',
    tier: 'local',
    reason: HANDOFF_REASON,
    model: '',
    ms: 0,
  };
  await deps.publish(job);
  return job;
}

export async function runJob(deps: JobDeps, id: string, kind: JobKind, input: string): Promise<JobResult> {
  const started = deps.now();
  const settings = await deps.settings();
  const privacy: PrivacyPolicy = settings.privacy;
  const redaction = deps.redact(input);
  const piiFound = redaction.found;
  const decision = deps.decide(input, {
    task: taskOf(kind),
    quality: settings.quality,
    localAvailable: true,
    privacy,
    piiFound,
    allowedTiers: settings.gateway.url ? ['local', 'mid', 'frontier'] : ['local'],
  });
  const base: JobResult = {
    id,
    kind,
    input,
    state: 'running',
    text: '',
    tier: decision.tier,
    reason: decision.reason,
    model: '',
    ms: 0,
  };
  await deps.publish(base);
  const messages = jobMessages(kind, input);
  const canLeave = Boolean(settings.gateway.url) && !(piiFound && privacy === 'local-only');

  // Leaving the device: with the "redact" policy, personal data is replaced before sending and put
  // back into the answer here ("local-only" with personal data never leaves: the router keeps it on
  // the device and the cascade does not escalate it).
  const remote = async (tier: RemoteTier, reason: string, escalated: boolean): Promise<JobResult> => {
    const redacted = privacy === 'redact' && piiFound;
    const outgoing = redacted ? jobMessages(kind, redaction.text) : messages;
    const out = await deps.escalate(settings, { ...decision, tier, reason }, outgoing);
    const text = redacted ? redaction.restore(out.text) : out.text;
    await deps.record({
      surface: 'extension',
      task: taskOf(kind),
      tier,
      model: out.model,
      inputTokens: out.inputTokens,
      outputTokens: out.outputTokens,
      totalMs: deps.now() - started,
      escalated,
      ...(escalated ? { escalationReason: reason.slice(0, 300) } : {}),
      reason: decision.reason,
      ...(out.costUsd === undefined ? {} : { costUsd: out.costUsd }),
    });
    return { ...base, state: 'done', tier, reason, text: text.trim(), model: out.model, redacted };
  };

  let done: JobResult;
  try {
    if (decision.tier === 'local') {
      const out = await deps.local(id, messages);
      done = { ...base, state: 'done', text: out.text.trim(), model: out.model };
      await deps.record({
        surface: 'extension',
        task: taskOf(kind),
        tier: 'local',
        model: out.model || undefined,
        inputTokens: approxTokens(messages.map((m) => m.content).join('\n')),
        outputTokens: approxTokens(out.text),
        totalMs: deps.now() - started,
        reason: decision.reason,
      });
      // Cascade (the router's "cascade" flag, e.g. triage): keep the device's answer only when the
      // verifier accepts it; otherwise ask the mid tier through the gateway when that is allowed.
      if (decision.flags.includes('cascade')) {
        const verdict = deps.verify({
          text: out.text,
          finishReason: out.finishReason,
          task: taskOf(kind),
          prompt: input,
          ...(kind === 'triage' ? { jsonSchema: TRIAGE_SCHEMA } : {}),
        });
        if (!verdict.accept && canLeave) {
          const reason = `${decision.reason} The on-device answer was rejected (${verdict.reason}), so the mid tier answered.`;
          await deps.publish({ ...done, state: 'running', reason });
          done = await remote('mid', reason, true);
        }
      }
    } else {
      done = await remote(decision.tier, decision.reason, false);
    }
    if (kind === 'triage') {
      const triage = triageOf(done.text);
      if (triage) done.triage = triage;
    }
  } catch (error) {
    const typed = toTierError(error);
    done = { ...base, state: 'error', error: { code: typed.code, message: typed.message } };
  }
  done.ms = deps.now() - started;
  await deps.publish(done);
  return done;
}
