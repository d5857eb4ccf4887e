/**
 * The one cascade: privacy -> router decision -> on-device engine or gateway -> cascade verifier ->
 * escalate if rejected -> book. One AbortSignal cancels all of it; every step is reported as a typed
 * event with its timing (cascade-types.ts). An on-device failure (no engine, device lost, out of
 * memory) falls back to mid, and a gateway failure on a request the device can answer falls back to
 * the device, each with a note, unless the policy turns fallbacks off. What leaves the device is
 * redacted under the `redact` policy and never sent under `local-only`.
 *
 * Used by the orchestrator (`<tier-assist>`), the extension's rewrite jobs, and (step by step,
 * cascade-steps.ts) LLM triage.
 */
import type { RemoteTier, Tier } from '../config/schemas.ts';
import type { ChatMessage } from '../engines/types.ts';
import { AbortError, EngineUnavailableError, ForbiddenError, toTierError } from '../errors.ts';
import { privacyAction, type PiiKind, type PrivacyAction } from '../privacy/index.ts';
import type { Decision } from '../router/types.ts';
import type { Attempt, CascadeAnswer, CascadeEvent, CascadePolicy, CascadeRequest } from './cascade-types.ts';
import {
  book,
  isAbort,
  localAttempt,
  outgoing,
  remoteAttempt,
  remoteMessages,
  type StepContext,
} from './cascade-steps.ts';
import type { AssistDeps, LearningTag } from './types.ts';

/** One request on its way through the cascade. */
interface Run extends StepContext {
  request: CascadeRequest;
  deps: AssistDeps;
  policy: CascadePolicy;
  decision: Decision;
  /** What feedback on this answer needs, when a learner decided. */
  learning?: LearningTag;
  privacy: PrivacyAction;
  pii: PiiKind[];
  notes: string[];
  /** Set when the answer kept came from a tier above the router's (or the device after a failure). */
  escalatedFrom?: Tier;
  escalationReason?: string;
}

const outgoingText = (request: CascadeRequest): string =>
  request.input.kind === 'chat'
    ? request.input.messages
        .filter((m) => m.role !== 'system')
        .map((m) => m.content)
        .join('\n')
    : request.input.prefix;

/** Privacy, then the router (with "Ask a bigger model" applied over its choice). */
function decide(ctx: StepContext, request: CascadeRequest, deps: AssistDeps, policy: CascadePolicy) {
  const privacy = privacyAction(outgoingText(request), policy.privacy);
  const pii = [...new Set(privacy.spans.map((s) => s.kind))];
  ctx.emit({ type: 'privacy', action: privacy.action, kinds: pii, atMs: ctx.at() });
  const routeStart = performance.now();
  const context = {
    task: request.task,
    quality: policy.quality,
    ...request.context,
    localAvailable: deps.localAvailable() && policy.tiers.includes('local'),
    allowedTiers: policy.tiers,
    piiFound: privacy.piiFound,
    privacy: policy.privacy,
    userAskedBigger: request.forceTier !== undefined,
  };
  const learned = deps.learner?.route(request.prompt, context);
  let decision = learned ? learned.decision : deps.route(request.prompt, context);
  const force = request.forceTier;
  if (force && decision.tier !== force && privacy.action !== 'local-only') {
    decision = {
      ...decision,
      tier: force,
      flags: [...new Set([...decision.flags, 'user-asked-bigger' as const])],
      reason: `${force === 'mid' ? 'Mid' : 'Frontier'}: you asked for a bigger model.`,
    };
  }
  ctx.emit({ type: 'route', decision, durationMs: performance.now() - routeStart, atMs: ctx.at() });
  return { privacy, pii, decision, ...(learned ? { learning: learned.tag } : {}) };
}

/** The messages the device sees: the system prompt and only the last turns when the policy says so. */
function localInput(run: Run): CascadeRequest['input'] {
  const input = run.request.input;
  const turns = run.policy.localHistoryTurns;
  if (input.kind !== 'chat' || turns === undefined) return input;
  const system: ChatMessage[] = input.messages[0]?.role === 'system' ? [input.messages[0]] : [];
  const rest = input.messages.slice(system.length);
  return { kind: 'chat', messages: [...system, ...rest.slice(-(turns * 2 + 1))] };
}

async function runLocal(run: Run): Promise<Attempt> {
  run.emit({ type: 'attempt', tier: 'local', atMs: run.at() });
  const loadStart = performance.now();
  const engine = await run.deps.localEngine();
  if (!engine) {
    throw new EngineUnavailableError(
      'No on-device model is ready: download it first (the consent button), or this device cannot run one.',
    );
  }
  if (run.signal?.aborted) throw new AbortError();
  run.emit({
    type: 'model-ready',
    tier: 'local',
    model: engine.model?.label ?? engine.model?.id ?? 'on-device',
    durationMs: performance.now() - loadStart,
    atMs: run.at(),
  });
  const { maxTokens, jsonSchema } = run.request;
  const attempt = await localAttempt(run, engine, localInput(run), { maxTokens, jsonSchema });
  bookAttempt(run, attempt);
  return attempt;
}

async function runRemote(run: Run, tier: RemoteTier): Promise<Attempt> {
  if (run.privacy.action === 'local-only') {
    throw new ForbiddenError(
      'This request contains personal data and the privacy policy keeps it on this device, so it was not sent.',
    );
  }
  run.emit({ type: 'attempt', tier, atMs: run.at() });
  const wire = outgoing(remoteMessages(run.request.input), run.privacy.action);
  const attempt = await remoteAttempt(run, run.deps.remote, tier, wire, {
    reason: run.decision.reason,
    maxTokens: run.request.maxTokens,
  });
  const kept: Attempt = run.escalatedFrom
    ? { ...attempt, escalated: { from: run.escalatedFrom, reason: run.escalationReason ?? '' } }
    : attempt;
  bookAttempt(run, kept);
  return kept;
}

/** `attempts` booking: every model run, as it ends. */
function bookAttempt(run: Run, attempt: Attempt): void {
  if (run.policy.booking !== 'attempts') return;
  book(run, run.deps.ledger, {
    surface: run.policy.surface,
    task: run.request.task,
    tier: attempt.tier,
    ...(attempt.modelId ? { model: attempt.modelId } : {}),
    inputTokens: attempt.usage.promptTokens,
    outputTokens: attempt.usage.completionTokens,
    ttftMs: attempt.ttftMs,
    totalMs: run.at(),
    escalated: attempt.escalated !== undefined,
    ...(attempt.escalated ? { escalationReason: attempt.escalated.reason.slice(0, 300) } : {}),
    reason: run.decision.reason.slice(0, 500),
    ...(attempt.tier !== 'local' && attempt.costUsd !== undefined ? { costUsd: attempt.costUsd } : {}),
  });
}

const nextRemote = (run: Run): RemoteTier | undefined =>
  run.policy.tiers.includes('mid') ? 'mid' : run.policy.tiers.includes('frontier') ? 'frontier' : undefined;

/** Routed to the device: run there (falling back to the gateway on failure), then verify. */
async function localFirst(run: Run): Promise<Attempt> {
  let attempt: Attempt;
  try {
    attempt = await runLocal(run);
  } catch (error) {
    if (isAbort(error, run.signal)) throw new AbortError();
    const err = toTierError(error);
    const next = nextRemote(run);
    if (run.privacy.action === 'local-only' || !next || run.policy.fallback === false) throw err;
    const note = `On-device model unavailable (${err.message}) — answered by the ${next} tier instead.`;
    run.notes.push(note);
    run.emit({ type: 'fallback', from: 'local', to: next, note, error: err, atMs: run.at() });
    run.emit({ type: 'reset', tier: next, atMs: run.at() });
    run.escalatedFrom = 'local';
    run.escalationReason = `fallback: ${err.code}`;
    return runRemote(run, next);
  }
  const verify = run.policy.verify === 'always' || run.decision.flags.includes('cascade');
  return verify ? verifyAndEscalate(run, attempt) : attempt;
}

/** The cascade proper: keep the device's answer when the verifier accepts it, else ask the next tier. */
async function verifyAndEscalate(run: Run, local: Attempt): Promise<Attempt> {
  const verifyStart = performance.now();
  const verdict = run.deps.verifyAnswer({
    text: local.text,
    finishReason: local.finishReason,
    task: run.request.task,
    prompt: run.request.prompt,
    ...(run.request.jsonSchema ? { jsonSchema: run.request.jsonSchema } : {}),
    ...(local.logprobs ? { logprobs: local.logprobs } : {}),
  });
  run.emit({ type: 'verify', verdict, durationMs: performance.now() - verifyStart, atMs: run.at() });
  if (run.learning && run.deps.learner) {
    // Every on-device verdict is feedback; recording never holds up (or fails) the answer.
    const signal = verdict.accept ? 'verifier-accept' : 'verifier-reject';
    void run.deps.learner.record(signal, 'local', run.learning, run.request.task).catch(() => undefined);
  }
  const next = nextRemote(run);
  if (verdict.accept || !next || run.privacy.action === 'local-only' || !run.deps.remote) return local;
  const info = { from: 'local' as const, to: next, reason: verdict.reason, rejectedText: local.text };
  const allowed = run.request.beforeEscalate ? run.request.beforeEscalate(info) : true;
  run.emit({ type: 'escalate', ...info, vetoed: !allowed, atMs: run.at() });
  if (!allowed) {
    run.notes.push(
      `The verifier suggested a bigger model (${verdict.reason}), but the page kept this answer.`,
    );
    return local;
  }
  run.emit({ type: 'reset', tier: next, atMs: run.at() });
  try {
    run.escalatedFrom = 'local';
    run.escalationReason = `verifier: ${verdict.reason}`;
    return await runRemote(run, next);
  } catch (error) {
    if (isAbort(error, run.signal)) throw new AbortError();
    delete run.escalatedFrom;
    delete run.escalationReason;
    const err = toTierError(error);
    const note = `Tried a bigger model because ${verdict.reason}, but it failed (${err.message}). Showing the on-device answer.`;
    run.notes.push(note);
    run.emit({ type: 'fallback', from: next, to: 'local', note, error: err, atMs: run.at() });
    run.emit({ type: 'reset', tier: 'local', atMs: run.at() });
    run.emit({ type: 'delta', tier: 'local', text: local.text, atMs: run.at() });
    return local;
  }
}

/** Routed to the gateway: ask there; when it fails and the device can answer, answer there instead. */
async function remoteFirst(run: Run, tier: RemoteTier): Promise<Attempt> {
  try {
    return await runRemote(run, tier);
  } catch (error) {
    if (isAbort(error, run.signal)) throw new AbortError();
    const err = toTierError(error);
    const canLocal =
      run.policy.fallback !== false &&
      run.policy.tiers.includes('local') &&
      run.deps.localAvailable() &&
      !run.request.forceTier;
    if (!canLocal || run.privacy.action === 'local-only') throw err;
    const note = `The ${tier} tier failed (${err.message}) — answered on this device instead.`;
    run.notes.push(note);
    run.emit({ type: 'fallback', from: tier, to: 'local', note, error: err, atMs: run.at() });
    run.emit({ type: 'reset', tier: 'local', atMs: run.at() });
    run.escalationReason = `fallback: ${err.code}`;
    return runLocal(run);
  }
}

function answerOf(run: Run, attempt: Attempt): CascadeAnswer {
  const redacted = attempt.redacted && attempt.tier !== 'local';
  if (redacted) {
    run.notes.push(
      `Personal data (${run.pii.join(', ')}) was replaced by placeholders before leaving this device.`,
    );
  }
  return {
    text: attempt.text,
    tier: attempt.tier,
    model: attempt.model,
    decision: run.decision,
    ttftMs: attempt.ttftMs,
    latencyMs: run.at(),
    costUsd: attempt.costUsd ?? 0,
    frontierCostUsd: attempt.frontierCostUsd,
    usage: attempt.usage,
    finishReason: attempt.finishReason,
    ...(run.escalatedFrom ? { escalatedFrom: run.escalatedFrom } : {}),
    ...(run.escalationReason ? { escalationReason: run.escalationReason } : {}),
    notes: run.notes,
    pii: run.pii,
    redacted,
    ...(run.learning ? { learning: run.learning } : {}),
  };
}

/** `answer` booking: one entry for the answer shown. */
function bookAnswer(run: Run, answer: CascadeAnswer): void {
  if ((run.policy.booking ?? 'answer') !== 'answer') return;
  book(run, run.deps.ledger, {
    surface: run.policy.surface,
    task: run.request.task,
    tier: answer.tier,
    ...(answer.tier !== 'local' ? { model: answer.model, costUsd: answer.costUsd } : {}),
    inputTokens: answer.usage.promptTokens,
    outputTokens: answer.usage.completionTokens,
    ttftMs: answer.ttftMs,
    totalMs: answer.latencyMs,
    escalated: answer.escalatedFrom !== undefined,
    escalationReason: answer.escalationReason ?? null,
    reason: answer.decision.reason.slice(0, 500),
  });
}

/** Answer one request. Resolves with the answer kept; rejects with a TierError (AbortError on cancel). */
export async function runCascade(
  request: CascadeRequest,
  deps: AssistDeps,
  policy: CascadePolicy,
): Promise<CascadeAnswer> {
  const started = performance.now();
  const at = () => performance.now() - started;
  const emit = (event: CascadeEvent) => request.onEvent?.(event);
  const ctx: StepContext = { signal: request.signal, at, emit };
  try {
    if (request.signal?.aborted) throw new AbortError();
    const run: Run = { ...ctx, request, deps, policy, notes: [], ...decide(ctx, request, deps, policy) };
    const tier = run.decision.tier;
    const attempt = tier === 'local' ? await localFirst(run) : await remoteFirst(run, tier);
    const answer = answerOf(run, attempt);
    emit({ type: 'done', answer, atMs: at() });
    bookAnswer(run, answer);
    return answer;
  } catch (error) {
    const err = isAbort(error, request.signal)
      ? new AbortError(undefined, { cause: error })
      : toTierError(error);
    emit({ type: 'error', error: err, atMs: at() });
    throw err;
  }
}
