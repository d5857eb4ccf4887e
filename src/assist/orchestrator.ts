/**
 * The orchestrator of `<tier-assist>`: a conversation turn (the person's text and the earlier turns)
 * through the one cascade (cascade.ts) with the element's settings. It keeps its public API
 * (`new Orchestrator(deps, settings).ask(request)`, the AssistEvent steps, the AssistAnswer) and adds
 * only what a chat needs: the system prompt, the short on-device history, and chat booking.
 */
import type { ChatMessage } from '../engines/types.ts';
import { runCascade } from './cascade.ts';
import type { CascadeEvent, CascadeRequest } from './cascade-types.ts';
import type { FeedbackSignal } from '../router/feedback.ts';
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

/** The cascade's own bookkeeping events stay inside; the element sees the steps it always saw. */
const CASCADE_ONLY = new Set<CascadeEvent['type']>(['attempt-done', 'redacted', 'booked']);
const isAssistEvent = (event: CascadeEvent): event is AssistEvent => !CASCADE_ONLY.has(event.type);

export class Orchestrator {
  readonly deps: AssistDeps;
  settings: AssistSettings;

  constructor(deps: AssistDeps, settings: Partial<AssistSettings> = {}) {
    this.deps = deps;
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
  }

  /** Answer one request. Resolves with the answer shown; rejects with a TierError (AbortError on cancel). */
  ask(request: AssistRequest): Promise<AssistAnswer> {
    const settings = this.settings;
    const text = request.text.trim();
    const messages: ChatMessage[] = [
      ...(settings.systemPrompt ? [{ role: 'system' as const, content: settings.systemPrompt }] : []),
      ...request.history,
      { role: 'user', content: text },
    ];
    const onEvent = request.onEvent;
    const cascade: CascadeRequest = {
      input: { kind: 'chat', messages },
      prompt: text,
      task: 'chat',
      signal: request.signal,
      forceTier: request.forceTier,
      context: {
        turn: request.history.filter((m) => m.role === 'user').length + 1,
        ...(request.conversationTier ? { conversationTier: request.conversationTier } : {}),
        ...(request.previousTier ? { previousTier: request.previousTier } : {}),
      },
      maxTokens: settings.maxTokens,
      beforeEscalate: request.beforeEscalate,
      ...(onEvent ? { onEvent: (event: CascadeEvent) => isAssistEvent(event) && onEvent(event) } : {}),
    };
    return runCascade(cascade, this.deps, {
      quality: settings.quality,
      privacy: settings.privacy,
      tiers: settings.tiers,
      surface: 'assist',
      verify: 'always',
      booking: 'answer',
      localHistoryTurns: LOCAL_HISTORY_TURNS,
    });
  }

  /**
   * Record what the person did after an answer (thumbs, "Ask a bigger model", a re-ask). Resolves false
   * when there is nothing to record it with (no learner, or the answer was decided without one).
   */
  async feedback(signal: FeedbackSignal, answer: Pick<AssistAnswer, 'tier' | 'learning'>): Promise<boolean> {
    const learner = this.deps.learner;
    if (!learner || !answer.learning) return false;
    await learner.record(signal, answer.tier, answer.learning, 'chat');
    return true;
  }
}
