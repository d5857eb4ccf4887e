/**
 * The orchestrator: request -> privacy -> router decision -> on-device engine or gateway -> cascade
 * verifier -> escalate if rejected. One AbortSignal cancels all of it; every step emits an event with
 * its timing. An on-device failure (no engine, device lost, out of memory) falls back to mid, and a
 * gateway failure on a request the device can answer falls back to the device, each with a note.
 */
import type { RemoteTier, Tier } from '../config/schemas.ts';
import type { ChatMessage, GenerateResult } from '../engines/types.ts';
import { AbortError, EngineUnavailableError, ForbiddenError, TierError, toTierError } from '../errors.ts';
import { privacyAction, redactAll, type PiiKind } from '../privacy/index.ts';
import type { RemoteResult } from '../remote/index.ts';
import type { Decision } from '../router/types.ts';
import type { AssistAnswer, AssistDeps, AssistEvent, AssistRequest, AssistSettings } from './types.ts';

export const DEFAULT_SETTINGS: AssistSettings = {
  quality: 0.5,
  privacy: 'redact',
  tiers: ['local', 'mid', 'frontier'],
  systemPrompt: 'You are a helpful assistant. Answer briefly and clearly in Markdown.',
  maxTokens: 512,
};

/** On-device context is small: keep the last few turns only. */
const LOCAL_HISTORY_TURNS = 6;

type AttemptResult = {
  text: string;
  tier: Tier;
  model: string;
  ttftMs: number;
  finishReason: 'stop' | 'length' | 'abort';
  usage: { promptTokens: number; completionTokens: number };
  costUsd: number;
  frontierCostUsd: number | undefined;
  logprobs?: GenerateResult['logprobs'];
};

const isAbort = (error: unknown, signal?: AbortSignal) =>
  signal?.aborted === true || (error instanceof TierError && error.code === 'aborted');

export class Orchestrator {
  readonly deps: AssistDeps;
  settings: AssistSettings;

  constructor(deps: AssistDeps, settings: Partial<AssistSettings> = {}) {
    this.deps = deps;
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
  }

  /** Answer one request. Resolves with the answer shown; rejects with a TierError (AbortError on cancel). */
  async ask(request: AssistRequest): Promise<AssistAnswer> {
    const started = performance.now();
    const at = () => performance.now() - started;
    const emit = (event: AssistEvent) => request.onEvent?.(event);
    const { signal } = request;
    const settings = this.settings;
    const notes: string[] = [];
    try {
      if (signal?.aborted) throw new AbortError();
      const text = request.text.trim();

      // 1. Privacy: what may leave the device.
      const outgoing = [...request.history.map((m) => m.content), text].join('\n');
      const privacy = privacyAction(outgoing, settings.privacy);
      const pii = [...new Set(privacy.spans.map((s) => s.kind))] as PiiKind[];
      emit({ type: 'privacy', action: privacy.action, kinds: pii, atMs: at() });

      // 2. Route.
      const routeStart = performance.now();
      const turn = request.history.filter((m) => m.role === 'user').length + 1;
      let decision: Decision = this.deps.route(text, {
        task: 'chat',
        quality: settings.quality,
        turn,
        ...(request.conversationTier ? { conversationTier: request.conversationTier } : {}),
        localAvailable: this.deps.localAvailable() && settings.tiers.includes('local'),
        allowedTiers: settings.tiers,
        piiFound: privacy.piiFound,
        privacy: settings.privacy,
        userAskedBigger: request.forceTier !== undefined,
        ...(request.previousTier ? { previousTier: request.previousTier } : {}),
      });
      if (request.forceTier && decision.tier !== request.forceTier && privacy.action !== 'local-only') {
        decision = {
          ...decision,
          tier: request.forceTier,
          flags: [...new Set([...decision.flags, 'user-asked-bigger' as const])],
          reason: `${request.forceTier === 'mid' ? 'Mid' : 'Frontier'}: you asked for a bigger model.`,
        };
      }
      emit({ type: 'route', decision, durationMs: performance.now() - routeStart, atMs: at() });
      const localOnly = privacy.action === 'local-only';

      const messages: ChatMessage[] = [
        ...(settings.systemPrompt ? [{ role: 'system' as const, content: settings.systemPrompt }] : []),
        ...request.history,
        { role: 'user', content: text },
      ];

      const runLocal = async (): Promise<AttemptResult> => {
        emit({ type: 'attempt', tier: 'local', atMs: at() });
        const loadStart = performance.now();
        const engine = await this.deps.localEngine();
        if (!engine) {
          throw new EngineUnavailableError(
            'No on-device model is ready: download it first (the consent button), or this device cannot run one.',
          );
        }
        if (signal?.aborted) throw new AbortError();
        emit({
          type: 'model-ready',
          tier: 'local',
          model: engine.model?.label ?? engine.model?.id ?? 'on-device',
          durationMs: performance.now() - loadStart,
          atMs: at(),
        });
        const system = messages[0]?.role === 'system' ? [messages[0]] : [];
        const rest = messages.slice(system.length);
        const trimmed = [...system, ...rest.slice(-(LOCAL_HISTORY_TURNS * 2 + 1))];
        const stream = engine.chat(trimmed, {
          maxTokens: settings.maxTokens,
          temperature: 0,
          logprobs: engine.capabilities.logprobs,
          ...(signal ? { signal } : {}),
        });
        let shown = '';
        let ttftMs = -1;
        for await (const delta of stream) {
          if (ttftMs < 0) {
            ttftMs = at();
            emit({ type: 'first-token', tier: 'local', atMs: ttftMs });
          }
          shown += delta;
          emit({ type: 'delta', tier: 'local', text: shown, atMs: at() });
        }
        const result = await stream.result;
        if (signal?.aborted || result.finishReason === 'abort') throw new AbortError();
        return {
          text: result.text || shown,
          tier: 'local',
          model: engine.model?.label ?? result.model,
          ttftMs: ttftMs < 0 ? at() : ttftMs,
          finishReason: result.finishReason,
          usage: result.usage,
          costUsd: 0,
          frontierCostUsd: undefined,
          ...(result.logprobs ? { logprobs: result.logprobs } : {}),
        };
      };

      let redacted = false;
      const runRemote = async (tier: RemoteTier): Promise<AttemptResult> => {
        if (localOnly) {
          throw new ForbiddenError(
            'This request contains personal data and the privacy policy keeps it on this device, so it was not sent.',
          );
        }
        emit({ type: 'attempt', tier, atMs: at() });
        const remote = this.deps.remote;
        if (!remote) {
          throw new EngineUnavailableError(
            'No gateway is configured for bigger models: set the gateway attribute on <tier-assist>.',
            { data: { setting: 'gateway' } },
          );
        }
        let wire = messages;
        let restore = (s: string) => s;
        if (privacy.action === 'redact') {
          const r = redactAll(messages.map((m) => m.content));
          wire = messages.map((m, i) => ({ role: m.role, content: r.texts[i] ?? '' }));
          restore = r.restore;
          redacted = true;
        }
        const stream = remote.chat(
          { tier, messages: wire, maxTokens: settings.maxTokens, reason: decision.reason },
          signal ? { signal } : {},
        );
        let raw = '';
        let ttftMs = -1;
        for await (const delta of stream) {
          if (ttftMs < 0) {
            ttftMs = at();
            emit({ type: 'first-token', tier, atMs: ttftMs });
          }
          raw += delta;
          emit({ type: 'delta', tier, text: restore(raw), atMs: at() });
        }
        const result: RemoteResult = await stream.result;
        return {
          text: restore(result.text || raw),
          tier: result.meta?.tier ?? tier,
          model: result.model,
          ttftMs: ttftMs < 0 ? at() : ttftMs,
          finishReason: result.finishReason,
          usage: result.usage,
          costUsd: result.meta?.costUsd ?? 0,
          frontierCostUsd: result.meta?.frontierCostUsd,
        };
      };

      const localAllowed = settings.tiers.includes('local');
      const midOrNext = (): RemoteTier | undefined =>
        settings.tiers.includes('mid') ? 'mid' : settings.tiers.includes('frontier') ? 'frontier' : undefined;

      let attempt: AttemptResult;
      let escalatedFrom: Tier | undefined;
      let escalationReason: string | undefined;

      if (decision.tier === 'local') {
        try {
          attempt = await runLocal();
        } catch (error) {
          if (isAbort(error, signal)) throw new AbortError();
          const err = toTierError(error);
          const next = midOrNext();
          if (localOnly || !next) throw err;
          const note = `On-device model unavailable (${err.message}) — answered by the ${next} tier instead.`;
          notes.push(note);
          emit({ type: 'fallback', from: 'local', to: next, note, error: err, atMs: at() });
          emit({ type: 'reset', tier: next, atMs: at() });
          escalatedFrom = 'local';
          escalationReason = `fallback: ${err.code}`;
          attempt = await runRemote(next);
        }
        if (attempt.tier === 'local') {
          // 3. Cascade: verify the on-device answer; escalate when it is rejected.
          const verifyStart = performance.now();
          const verdict = this.deps.verifyAnswer({
            text: attempt.text,
            finishReason: attempt.finishReason,
            task: 'chat',
            prompt: text,
            ...(attempt.logprobs ? { logprobs: attempt.logprobs } : {}),
          });
          emit({ type: 'verify', verdict, durationMs: performance.now() - verifyStart, atMs: at() });
          const next = midOrNext();
          if (!verdict.accept && next && !localOnly && this.deps.remote) {
            const info = {
              from: 'local' as const,
              to: next,
              reason: verdict.reason,
              rejectedText: attempt.text,
            };
            const allowed = request.beforeEscalate ? request.beforeEscalate(info) : true;
            emit({ type: 'escalate', ...info, vetoed: !allowed, atMs: at() });
            if (allowed) {
              emit({ type: 'reset', tier: next, atMs: at() });
              const local = attempt;
              try {
                attempt = await runRemote(next);
                escalatedFrom = 'local';
                escalationReason = `verifier: ${verdict.reason}`;
              } catch (error) {
                if (isAbort(error, signal)) throw new AbortError();
                const err = toTierError(error);
                const note = `Tried a bigger model because ${verdict.reason}, but it failed (${err.message}). Showing the on-device answer.`;
                notes.push(note);
                emit({ type: 'fallback', from: next, to: 'local', note, error: err, atMs: at() });
                emit({ type: 'reset', tier: 'local', atMs: at() });
                emit({ type: 'delta', tier: 'local', text: local.text, atMs: at() });
                attempt = local;
              }
            } else {
              notes.push(
                `The verifier suggested a bigger model (${verdict.reason}), but the page kept this answer.`,
              );
            }
          }
        }
      } else {
        const tier = decision.tier;
        try {
          attempt = await runRemote(tier);
        } catch (error) {
          if (isAbort(error, signal)) throw new AbortError();
          const err = toTierError(error);
          // Gateway failed: the device can still answer when an engine is ready and the site allows local.
          const canLocal = localAllowed && this.deps.localAvailable() && !request.forceTier;
          if (!canLocal || localOnly) throw err;
          const note = `The ${tier} tier failed (${err.message}) — answered on this device instead.`;
          notes.push(note);
          emit({ type: 'fallback', from: tier, to: 'local', note, error: err, atMs: at() });
          emit({ type: 'reset', tier: 'local', atMs: at() });
          escalationReason = `fallback: ${err.code}`;
          attempt = await runLocal();
        }
      }

      if (redacted && attempt.tier !== 'local') {
        notes.push(
          `Personal data (${pii.join(', ')}) was replaced by placeholders before leaving this device.`,
        );
      }
      const answer: AssistAnswer = {
        text: attempt.text,
        tier: attempt.tier,
        model: attempt.model,
        decision,
        ttftMs: attempt.ttftMs,
        latencyMs: at(),
        costUsd: attempt.costUsd,
        frontierCostUsd: attempt.frontierCostUsd,
        usage: attempt.usage,
        finishReason: attempt.finishReason,
        ...(escalatedFrom ? { escalatedFrom } : {}),
        ...(escalationReason ? { escalationReason } : {}),
        notes,
        pii,
        redacted: redacted && attempt.tier !== 'local',
      };
      emit({ type: 'done', answer, atMs: at() });
      void this.record(answer);
      return answer;
    } catch (error) {
      const err = isAbort(error, signal) ? new AbortError(undefined, { cause: error }) : toTierError(error);
      emit({ type: 'error', error: err, atMs: at() });
      throw err;
    }
  }

  private async record(answer: AssistAnswer): Promise<void> {
    if (!this.deps.ledger) return;
    try {
      await this.deps.ledger.record({
        surface: 'assist',
        task: 'chat',
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
    } catch {
      // The ledger is bookkeeping: a full or blocked IndexedDB must never break an answer.
    }
  }
}
