/**
 * One question of a <tier-assist> conversation through the cascade: the request's context (the turns
 * before it, the tiers that answered), the element's one cascade (built on the first question, rebuilt
 * only when a setting it uses changes), the streamed steps, and the answer or error turn. Loaded with
 * the runtime on the first question (ConversationController imports it lazily), so the element's first
 * load carries only the conversation's state.
 */
import type { AssistAnswer, AssistEvent, AssistRequest } from '../../src/assist/types.ts';
import type { Tier } from '../../src/config/schemas.ts';
import type { ChatMessage } from '../../src/engines/types.ts';
import { AbortError, toTierError, type TierError } from '../../src/errors.ts';
import { REASK_WINDOW_MS } from '../../src/router/feedback.ts';
import type { Badge, Turn } from '../shared/conversation-store.ts';
import type {
  AskOptions,
  Cascade,
  CascadeFactory,
  ConversationOptions,
  StreamingAnswer,
} from './conversation.ts';

/** What a request reads and writes of its conversation. */
export interface RequestScope {
  readonly options: ConversationOptions;
  /** The answer shown as `turn` (and its question's hash), so feedback on it can be recorded later. */
  answered(turn: Turn, answer: AssistAnswer, questionHash: number): void;
  turns(): Turn[];
  streaming(): StreamingAnswer | undefined;
  set(patch: { turns?: Turn[]; streaming?: StreamingAnswer | undefined; status?: string }): void;
}

const ORDER: readonly Tier[] = ['local', 'mid', 'frontier'];

const loadCascadeFactory: CascadeFactory = async (options) =>
  (await import('../../src/assist/runtime.ts')).createOrchestrator(options);

/** The element's one cascade, for the settings it was built with. */
export class CascadeSlot {
  #entry: { key: string; cascade: Promise<Cascade> } | undefined;

  /** The cascade for the current settings: the one already built, unless a setting it uses changed. */
  get(options: ConversationOptions): Promise<Cascade> {
    const s = options.settings();
    const settings = {
      quality: s.quality,
      privacy: s.privacy,
      tiers: s.tiers,
      ...(s.systemPrompt !== undefined ? { systemPrompt: s.systemPrompt } : {}),
    };
    const store = options.feedbackStore?.();
    const key = JSON.stringify([s.gateway, s.token, s.tokenEndpoint, settings, s.learning, store]);
    if (this.#entry?.key === key) return this.#entry.cascade;
    const { engine } = options;
    const cascade = (options.createCascade ?? loadCascadeFactory)({
      gateway: s.gateway,
      token: s.token,
      tokenEndpoint: s.tokenEndpoint,
      localEngine: async () => engine.engine,
      localAvailable: () => engine.state.status === 'ready',
      settings,
      // learning="off": the static router decides; feedback is still recorded for export.
      learning: s.learning === 'off' ? 'record' : 'learn',
      feedbackStore: store,
      onRolledBack: (info) => options.emit('tier-router-rollback', info),
    });
    const entry = { key, cascade };
    this.#entry = entry;
    // A cascade that could not be built is not kept: the next question tries again.
    cascade.catch(() => {
      if (this.#entry === entry) this.#entry = undefined;
    });
    return cascade;
  }
}

/** The request's context: the conversation before the question, and the tiers that answered it. */
export function requestContext(
  turns: Turn[],
  question: string,
  options: AskOptions,
): Omit<AssistRequest, 'text'> {
  // For "Ask a bigger model": the conversation before the question being re-asked, so the cheaper
  // answer does not steer the bigger model.
  let before = turns;
  if (options.resend) {
    const at = turns.map((t) => t.role === 'user' && t.text.trim() === question).lastIndexOf(true);
    if (at >= 0) before = turns.slice(0, at);
  }
  const history: ChatMessage[] = before
    .filter((t) => !t.error && !t.stopped && t.text)
    .map((t) => ({ role: t.role, content: t.text }));
  // A user turn whose answer failed leaves two user messages in a row: keep the context alternating.
  if (history.at(-1)?.role === 'user') history.pop();
  const previous = [...turns].reverse().find((t) => t.badge)?.badge;
  const conversationTier = turns.reduce<Tier | undefined>((max, t) => {
    const tier = t.badge?.tier;
    return tier && (!max || ORDER.indexOf(tier) > ORDER.indexOf(max)) ? tier : max;
  }, undefined);
  return {
    history,
    ...(options.forceTier ? { forceTier: options.forceTier } : {}),
    ...(previous && options.forceTier ? { previousTier: previous.tier } : {}),
    ...(conversationTier ? { conversationTier } : {}),
  };
}

/** Ask the cascade and add the answer (or the error, or what streamed before a stop) as a turn. */
export async function runRequest(
  scope: RequestScope,
  cascade: CascadeSlot,
  question: string,
  context: Omit<AssistRequest, 'text'>,
  signal: AbortSignal,
  prepared: Promise<unknown>,
): Promise<void> {
  const { emit } = scope.options;
  const steps: AssistEvent[] = [];
  try {
    const orchestrator = await cascade.get(scope.options);
    await prepared;
    const answer = await orchestrator.ask({
      text: question,
      signal,
      ...context,
      onEvent: (event) => onStep(scope, event, question, steps),
      beforeEscalate: ({ from, to, reason }) => emit('tier-escalate', { from, to, reason }, true),
    });
    const turn: Turn = { role: 'assistant', text: answer.text, badge: badgeOf(answer) };
    scope.set({ turns: [...scope.turns(), turn] });
    scope.answered(turn, answer, questionHash(question));
    emit('tier-response', { answer, steps });
  } catch (error) {
    failed(scope, toTierError(error));
  }
}

function onStep(scope: RequestScope, event: AssistEvent, text: string, steps: AssistEvent[]): void {
  if (event.type !== 'delta') steps.push(event);
  const { emit, engine } = scope.options;
  if (event.type === 'route') emit('tier-route', { text, decision: event.decision });
  else if (event.type === 'attempt')
    scope.set({ streaming: { text: scope.streaming()?.text ?? '', tier: event.tier } });
  else if (event.type === 'delta') scope.set({ streaming: { text: event.text, tier: event.tier } });
  else if (event.type === 'reset') scope.set({ streaming: { text: '', tier: event.tier } });
  else if (event.type === 'escalate' && !event.vetoed)
    emit('tier-after-escalate', { from: event.from, to: event.to, reason: event.reason });
  else if (
    event.type === 'fallback' &&
    event.from === 'local' &&
    ['device_lost', 'out_of_memory'].includes(event.error.code)
  )
    engine.invalidate(event.error);
}

function failed(scope: RequestScope, error: TierError): void {
  if (error instanceof AbortError || error.code === 'aborted') {
    const partial = scope.streaming()?.text ?? '';
    scope.set({
      turns: [...scope.turns(), { role: 'assistant', text: partial, stopped: true }],
      status: 'Stopped.',
    });
  } else {
    scope.set({ turns: [...scope.turns(), { role: 'assistant', text: '', error: error.message }] });
    scope.options.onError(error);
  }
}

function badgeOf(answer: AssistAnswer): Badge {
  return {
    tier: answer.tier,
    model: answer.model,
    latencyMs: answer.latencyMs,
    costUsd: answer.costUsd,
    reason: answer.decision.reason,
    notes: answer.notes,
    ...(answer.escalatedFrom ? { escalatedFrom: answer.escalatedFrom } : {}),
  };
}

/** A question asked before, kept in memory only as a hash (never the text) for re-ask detection. */
export interface AskedQuestion {
  hash: number;
  at: number;
  turn: Turn;
}

/** 32-bit FNV-1a of the normalised question: equal questions compare equal, the text is not kept. */
export function questionHash(question: string): number {
  const text = question.trim().toLowerCase().replace(/\s+/g, ' ');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The answer a new question re-asks: the latest answer to the same question within REASK_WINDOW_MS.
 * Drops entries older than the window from `asked` (in place).
 */
export function reaskedTurn(asked: AskedQuestion[], question: string, now: number): Turn | undefined {
  const fresh = asked.filter((q) => now - q.at <= REASK_WINDOW_MS);
  asked.splice(0, asked.length, ...fresh);
  const hash = questionHash(question);
  return [...fresh].reverse().find((q) => q.hash === hash)?.turn;
}
