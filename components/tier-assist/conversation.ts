/**
 * The conversation behind <tier-assist>, kept out of the view: the turns (stored in IndexedDB), the
 * running request, "Ask a bigger model", and ONE cascade (the orchestrator of src/assist) for the
 * element's life. The cascade is built on the first request and rebuilt only when a setting it depends on
 * changes (gateway, token, token endpoint, quality, privacy, tiers, system prompt), so the router, the
 * gateway client and the ledger are set up once, not per question. The element renders this state, turns
 * clicks into calls and fires the events this controller reports through `emit`. The request pipeline
 * (conversation-request.ts) loads with the runtime on the first question, outside the first load.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { createOrchestrator } from '../../src/assist/runtime.ts';
import type { AssistAnswer, AssistRequest } from '../../src/assist/types.ts';
import type { FeedbackSignal } from '../../src/router/feedback.ts';
import type { Tier } from '../../src/config/schemas.ts';
import { toTierError, type TierError } from '../../src/errors.ts';
import {
  clearConversation,
  loadConversation,
  saveConversation,
  type Turn,
} from '../shared/conversation-store.ts';
import type { EngineController } from '../shared/engine-controller.ts';
import type { Settings } from './attributes.ts';
import type { AskedQuestion, CascadeSlot, RequestScope } from './conversation-request.ts';
import type { TierAssistEventMap } from './events.ts';

/** The answer being streamed: its text so far and the tier answering. */
export interface StreamingAnswer {
  text: string;
  tier: Tier | undefined;
}

export interface AskOptions {
  /** "Ask a bigger model": skip the router and ask this tier. */
  forceTier?: 'mid' | 'frontier';
  /** Re-ask a question already in the conversation (no second user turn). */
  resend?: boolean;
}

/** What the cascade must do for the element (the orchestrator's public API). */
export interface Cascade {
  ask(request: AssistRequest): Promise<AssistAnswer>;
  /** Record feedback on an answer (thumbs, "Ask a bigger model", re-ask); false if it cannot. */
  feedback?(signal: FeedbackSignal, answer: Pick<AssistAnswer, 'tier' | 'learning'>): Promise<boolean>;
}

/** A thumb the person pressed on an answer. */
export type Rating = 'up' | 'down';
export type CascadeFactory = (options: Parameters<typeof createOrchestrator>[0]) => Promise<Cascade>;

export interface ConversationOptions {
  settings: () => Readonly<Settings>;
  /** IndexedDB key of this conversation. */
  storageKey: () => string;
  engine: EngineController;
  /** Fire one of the element's events; false when the host vetoed a cancelable one. */
  emit: <K extends keyof TierAssistEventMap>(
    type: K,
    detail: TierAssistEventMap[K],
    cancelable?: boolean,
  ) => boolean;
  onError: (error: TierError) => void;
  /** A sentence when questions cannot be asked now (invalid attributes), shown as the status. */
  blocked: () => string | undefined;
  /** Work to finish before an answer streams (the Markdown renderer); also run when turns are restored. */
  prepare: () => Promise<unknown>;
  /** Builds the cascade; default: src/assist/runtime.ts, loaded on the first request. */
  createCascade?: CascadeFactory;
  /** IndexedDB database of the feedback store (default "tier-feedback"). */
  feedbackStore?: () => string | undefined;
}

interface State {
  turns: Turn[];
  busy: boolean;
  streaming: StreamingAnswer | undefined;
  status: string;
}

/** The next tier up, for "Ask a bigger model". */
const UP: Record<Tier, 'mid' | 'frontier' | undefined> = {
  local: 'mid',
  mid: 'frontier',
  frontier: undefined,
};

/** Host that records which state changed, so the view can react to `turns` / `streaming` in `updated`. */
type Host = ReactiveControllerHost & { requestUpdate(name?: PropertyKey, oldValue?: unknown): void };

export class ConversationController implements ReactiveController {
  readonly #host: Host;
  readonly #options: ConversationOptions;
  #state: State = { turns: [], busy: false, streaming: undefined, status: '' };
  #request: AbortController | undefined;
  #restored: Promise<void> | undefined;
  #cascade: CascadeSlot | undefined;
  readonly #scope: RequestScope;
  /** This session's answers that feedback can be recorded for (restored turns have none). */
  readonly #answers = new WeakMap<Turn, Pick<AssistAnswer, 'tier' | 'learning'>>();
  readonly #ratings = new WeakMap<Turn, Rating>();
  /** Recent questions as hashes, for re-ask detection (memory only). */
  readonly #asked: AskedQuestion[] = [];

  constructor(host: Host, options: ConversationOptions) {
    this.#host = host;
    this.#options = options;
    this.#scope = {
      options,
      turns: () => this.turns,
      streaming: () => this.streaming,
      set: (patch) => this.#set(patch),
      answered: (turn, answer, hash) => {
        const { tier, learning } = answer;
        this.#answers.set(turn, { tier, ...(learning ? { learning } : {}) });
        this.#asked.push({ hash, at: Date.now(), turn });
      },
    };
    host.addController(this);
  }

  get turns(): Turn[] {
    return this.#state.turns;
  }
  get busy(): boolean {
    return this.#state.busy;
  }
  get streaming(): StreamingAnswer | undefined {
    return this.#state.streaming;
  }
  get status(): string {
    return this.#state.status;
  }
  set status(text: string) {
    this.#set({ status: text });
  }

  /** Resolves once the stored conversation has been read. */
  get ready(): Promise<void> {
    return this.#restored ?? Promise.resolve();
  }

  hostConnected(): void {
    this.#restored = this.#restore();
  }

  hostDisconnected(): void {
    this.#request?.abort();
  }

  #set(patch: Partial<State>): void {
    for (const key of Object.keys(patch) as (keyof State)[]) {
      const old = this.#state[key];
      this.#state = { ...this.#state, [key]: patch[key] };
      this.#host.requestUpdate(key, old);
    }
  }

  async #restore(): Promise<void> {
    try {
      const turns = await loadConversation(this.#options.storageKey());
      if (turns.length > 0 && this.turns.length === 0) {
        this.#set({ turns });
        void this.#options.prepare().catch(() => undefined);
      }
    } catch {
      // No IndexedDB (private mode...): the conversation simply is not kept.
    }
  }

  #persist(): void {
    void saveConversation(this.#options.storageKey(), this.turns).catch(() => undefined);
  }

  /** Ask a question. Resolves when the answer is complete or failed (never rejects). */
  async ask(text: string, options: AskOptions = {}): Promise<void> {
    const question = text.trim();
    if (!question || this.busy) return;
    const blocked = this.#options.blocked();
    if (blocked) return this.#set({ status: blocked });
    this.#set({ busy: true }); // before any await: a second Enter cannot start a second request
    await this.ready;
    const before = this.turns;
    if (!options.resend) {
      this.#set({ turns: [...this.turns, { role: 'user', text: question }] });
      this.#persist();
    }
    this.#set({ status: '', streaming: { text: '', tier: undefined } });
    const request = new AbortController();
    this.#request = request;
    await this.#readyEngine();
    const prepared = this.#options.prepare().catch(() => undefined);
    try {
      // The request pipeline is loaded with the runtime, on the first question.
      const { CascadeSlot, reaskedTurn, requestContext, runRequest } =
        await import('./conversation-request.ts');
      this.#cascade ??= new CascadeSlot();
      // The same question again soon after an answer: that answer did not help.
      const reasked = options.resend ? undefined : reaskedTurn(this.#asked, question, Date.now());
      if (reasked) void this.#record(reasked, 're-ask');
      const context = requestContext(before, question, options);
      await runRequest(this.#scope, this.#cascade, question, context, request.signal, prepared);
    } catch (error) {
      // Only when the pipeline's code could not be loaded (runRequest turns its own failures into turns).
      const err = toTierError(error);
      this.#set({ turns: [...this.turns, { role: 'assistant', text: '', error: err.message }] });
      this.#options.onError(err);
    } finally {
      this.#persist();
      this.#set({ busy: false, streaming: undefined });
      if (this.#request === request) this.#request = undefined;
    }
  }

  /** Start the device probe on the first question; reload a model whose GPU device was lost. */
  async #readyEngine(): Promise<void> {
    const { engine } = this.#options;
    if (this.#options.settings().tiers.includes('local') && engine.state.status === 'idle')
      void engine.probe();
    const state = engine.state;
    if (state.status === 'error' && state.error.code === 'device_lost' && state.probe) {
      // The GPU device was lost on an earlier request: the model reloads now (from the cache).
      await engine.accept();
    }
  }

  /** Whether the answer at `index` offers "Ask a bigger model" (the last answer, with a gateway, when idle). */
  canAskBigger(index: number): boolean {
    const turn = this.turns[index];
    if (!turn || turn.role !== 'assistant' || index !== this.turns.length - 1) return false;
    const up = turn.badge ? UP[turn.badge.tier] : turn.error || turn.stopped ? 'mid' : undefined;
    return Boolean(this.#options.settings().gateway) && up !== undefined && !this.busy;
  }

  /** Re-ask the question answered at `index` one tier up (frontier when the next tier is not allowed). */
  askBigger(index: number): Promise<void> {
    const turn = this.turns[index];
    const tier = turn?.badge?.tier ?? (turn?.error || turn?.stopped ? 'local' : undefined);
    const up = tier ? UP[tier] : undefined;
    const question = this.turns
      .slice(0, index)
      .reverse()
      .find((t) => t.role === 'user');
    if (!up || !question) return Promise.resolve();
    const forceTier = this.#options.settings().tiers.includes(up) ? up : 'frontier';
    if (turn) void this.#record(turn, 'ask-bigger');
    return this.ask(question.text, { forceTier, resend: true });
  }

  /** Whether the answer at `index` can take thumbs (an answer of this session, decided with feedback on). */
  canRate(index: number): boolean {
    const turn = this.turns[index];
    return turn?.role === 'assistant' && this.#answers.get(turn)?.learning !== undefined;
  }

  /** The thumb pressed on the answer at `index`, if any. */
  rating(index: number): Rating | undefined {
    const turn = this.turns[index];
    return turn ? this.#ratings.get(turn) : undefined;
  }

  /** Press a thumb on the answer at `index`; pressing the pressed one again releases it (nothing recorded). */
  rate(index: number, rating: Rating): void {
    const turn = this.turns[index];
    if (!turn || !this.canRate(index)) return;
    if (this.#ratings.get(turn) === rating) this.#ratings.delete(turn);
    else {
      this.#ratings.set(turn, rating);
      void this.#record(turn, rating === 'up' ? 'thumbs-up' : 'thumbs-down');
    }
    this.#host.requestUpdate();
  }

  /** Fire `tier-feedback` and record the signal through the cascade's learner (best effort). */
  async #record(turn: Turn, signal: FeedbackSignal): Promise<void> {
    const answer = this.#answers.get(turn);
    if (!answer?.learning || !this.#cascade) return;
    this.#options.emit('tier-feedback', { signal, tier: answer.tier });
    try {
      const cascade = await this.#cascade.get(this.#options);
      await cascade.feedback?.(signal, answer);
    } catch {
      // Feedback never breaks the conversation (no IndexedDB, a record that does not parse).
    }
  }

  /** Cancel the running request. */
  cancel(): void {
    this.#request?.abort();
  }

  /** Forget the conversation here and in storage. */
  async clear(): Promise<void> {
    this.cancel();
    this.#set({ turns: [], status: 'Conversation cleared.' });
    await clearConversation(this.#options.storageKey()).catch(() => undefined);
  }
}
