import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { LocalEngineProvider } from '../../src/assist/types.ts';
import { toTierError, type TierError } from '../../src/errors.ts';
import { formatUsd } from '../../src/ledger/money.ts';
import type { Badge, Turn } from '../shared/conversation-store.ts';
import { EngineController } from '../shared/engine-controller.ts';
import { TIER_LABEL, formatDuration } from '../shared/format.ts';
import {
  ATTRIBUTES,
  DEFAULT_SETTINGS,
  VALIDATED,
  applyAttribute,
  litProperties,
  type AttributeName,
  type Settings,
} from './attributes.ts';
import { ConversationController, type AskOptions, type StreamingAnswer } from './conversation.ts';
import { renderEnginePanel } from './engine-panel.ts';
import type { TierAssistEventMap } from './events.ts';
import { styles } from './tier-assist.styles.ts';

export type * from './events.ts';

type Renderer = (markdown: string, options?: { allowRemoteImages?: boolean }) => string;

/**
 * @summary An assistant that answers on this device when it can and escalates only what needs a bigger
 * model to the site's gateway, showing where every answer came from.
 *
 * @slot header - Replaces the default heading.
 *
 * @event tier-route - The router decided a tier. `detail: {text, decision}`.
 * @event tier-response - An answer is complete. `detail: {answer, steps}` (steps carry timings).
 * @event tier-escalate - Cancelable: an on-device answer was rejected and is about to be re-asked on a bigger tier. Call `preventDefault()` to keep the cheaper answer. `detail: {from, to, reason}`.
 * @event tier-after-escalate - The escalation went ahead. `detail: {from, to, reason}`.
 * @event tier-error - An attribute is invalid, or a request failed. `detail: {error, code, attribute?, setting?}`.
 * @event tier-model-progress - Model download/load progress. `detail: {phase, loadedBytes, totalBytes, fromCache, etaSeconds}`.
 * @event tier-feedback - Feedback on an answer was recorded (thumbs, "Ask a bigger model", a re-ask of the same question). `detail: {signal, tier}`; no text.
 * @event tier-router-rollback - A refit of this browser's learned router lowered the observed quality and was rolled back by itself. `detail: {version, rollbacks}`.
 *
 * @csspart base - The outer container.
 * @csspart header - The heading row.
 * @csspart engine - The on-device model panel (probe verdict, consent, progress).
 * @csspart consent-button - The button that starts the model download.
 * @csspart placement - Which on-device model runs where (CPU threads, GPU layers) and at what speed this device measured.
 * @csspart progress - The download progress bar.
 * @csspart log - The conversation (an aria-live log).
 * @csspart message - One message (also `message-user` / `message-assistant`).
 * @csspart answer - The rendered Markdown of an answer.
 * @csspart badge - Where an answer came from: tier, model, latency, cost, reason.
 * @csspart thumb-button - The thumbs up/down buttons (also `thumbs-up` / `thumbs-down`), with the `feedback` attribute.
 * @csspart note - A note under an answer (fallback, redaction...).
 * @csspart error - An error message.
 * @csspart form - The prompt form.
 * @csspart input - The prompt textarea.
 * @csspart send-button - The send button.
 * @csspart stop-button - The stop button.
 * @csspart button - Every button.
 *
 * @cssproperty --tier-font - Font shorthand.
 * @cssproperty --tier-color - Text colour.
 * @cssproperty --tier-muted-color - Secondary text colour.
 * @cssproperty --tier-background - Background colour.
 * @cssproperty --tier-surface - Background of messages and panels.
 * @cssproperty --tier-border-color - Border colour.
 * @cssproperty --tier-accent - Buttons and the progress bar.
 * @cssproperty --tier-accent-contrast - Text on accent-coloured buttons.
 * @cssproperty --tier-radius - Corner radius.
 * @cssproperty --tier-padding - Inner padding.
 * @cssproperty --tier-max-height - Height limit of the conversation log.
 * @cssproperty --tier-local-color - Badge colour of on-device answers.
 * @cssproperty --tier-remote-color - Badge colour of gateway answers.
 */
export class TierAssist extends LitElement {
  static override styles = styles;
  /** Every attribute comes from the one table in attributes.ts; the rest is internal state. */
  static override properties = {
    ...litProperties(),
    errors: { state: true, attribute: false },
    renderer: { state: true, attribute: false },
  };

  /** @attr gateway Gateway base URL (absolute, or a path on this origin); without it all stays on the device. */
  declare gateway: string | undefined;
  /** @attr token A short-lived token minted by the site's backend. */
  declare token: string | undefined;
  /** @attr token-endpoint A same-origin URL that mints tokens (`POST` -> `{token, expiresAt?}`). */
  declare tokenEndpoint: string | undefined;
  /** @attr model On-device model: a catalog id or a GGUF URL. */
  declare model: string | undefined;
  /** @attr quality 0..1: higher sends more to bigger models. */
  declare quality: string | number | undefined;
  /** @attr privacy allow | redact | local-only (personal data). */
  declare privacy: string | undefined;
  /** @attr tiers Allowed tiers, e.g. "local,mid". */
  declare tiers: string | string[] | undefined;
  /** @attr system-prompt */
  declare systemPrompt: string | undefined;
  /** @attr placeholder */
  declare placeholder: string;
  /** @attr heading */
  declare heading: string;
  /** @attr conversation-key Key of the stored conversation (default: page path + element id). */
  declare conversationKey: string | undefined;
  /** @attr allow-remote-images */
  declare allowRemoteImages: boolean;
  /** @attr learning on | off: route with what this browser learned from feedback (default on); off: the static router (feedback is still recorded). */
  declare learning: string | undefined;
  /** @attr feedback Show thumbs up/down under each answer (recorded as feedback, never with text). */
  declare feedback: boolean;
  /** IndexedDB database of the feedback store and the learned router (default "tier-feedback"). */
  feedbackStore: string | undefined;
  /** Inject an on-device engine provider (tests, custom engines); default: src/engines, loaded lazily. */
  engineProvider: LocalEngineProvider | undefined;

  /** Attribute errors shown above the conversation (invalid attributes keep their previous value). */
  declare errors: Partial<Record<AttributeName, string>>;
  declare renderer: Renderer | undefined;

  readonly engine: EngineController;
  #settings: Readonly<Settings> = DEFAULT_SETTINGS;
  readonly #conversation: ConversationController;
  #stickToBottom = true;

  constructor() {
    super();
    this.placeholder = 'Ask a question…';
    this.heading = 'Assistant';
    this.allowRemoteImages = false;
    this.feedback = false;
    this.feedbackStore = undefined;
    this.errors = {};
    this.renderer = undefined;
    this.engineProvider = undefined;
    this.engine = new EngineController(this, {
      loadProvider: async () =>
        this.engineProvider ?? (await import('../../src/engines/local-provider.ts')).createLocalProvider(),
      model: () => this.#settings.model,
      onProgress: (detail) => this.#emit('tier-model-progress', detail),
      onError: (error) => this.#fireError(error),
    });
    this.#conversation = new ConversationController(this, {
      settings: () => this.#settings,
      storageKey: () => this.conversationKey || `${location.pathname}#${this.id || 'tier-assist'}`,
      engine: this.engine,
      emit: (type, detail, cancelable) => this.#emit(type, detail, cancelable),
      onError: (error) => this.#fireError(error),
      blocked: () =>
        Object.keys(this.errors).length > 0 ? 'Fix the attribute errors shown above first.' : undefined,
      prepare: () => this.#loadRenderer(),
      feedbackStore: () => this.feedbackStore,
    });
  }

  /** The parsed, valid configuration (invalid attributes keep their previous value). */
  get settings(): Readonly<Settings> {
    return this.#settings;
  }

  /** Resolves once the stored conversation has been read. */
  get conversationReady(): Promise<void> {
    return this.#conversation.ready;
  }

  /** The conversation shown (user and assistant turns, with where each answer came from). */
  get turns(): Turn[] {
    return this.#conversation.turns;
  }

  /** A request is running. */
  get busy(): boolean {
    return this.#conversation.busy;
  }

  /** The answer being streamed, if any. */
  get streaming(): StreamingAnswer | undefined {
    return this.#conversation.streaming;
  }

  /** The status line (stopped, cleared, copied...). */
  get status(): string {
    return this.#conversation.status;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.#onHostKeydown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.#onHostKeydown);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const keys = changed as Map<PropertyKey, unknown>;
    const errors = { ...this.errors };
    let errorsChanged = false;
    for (const attribute of VALIDATED) {
      const { property } = ATTRIBUTES[attribute];
      if (!keys.has(property)) continue;
      const raw: unknown = this[property];
      const value = Array.isArray(raw)
        ? raw.join(',')
        : raw === undefined || raw === null
          ? undefined
          : String(raw);
      try {
        this.#apply(attribute, value);
        if (errors[attribute]) {
          delete errors[attribute];
          errorsChanged = true;
        }
      } catch (error) {
        const err = toTierError(error);
        errors[attribute] = err.message;
        errorsChanged = true;
        this.#fireError(err, attribute);
      }
    }
    if (errorsChanged) this.errors = errors;
  }

  #apply(attribute: AttributeName, value: string | undefined): void {
    const previous = this.#settings;
    this.#settings = applyAttribute(previous, attribute, value);
    // Another model: forget the loaded (or loading) one; the next probe picks the new one.
    if (this.#settings.model !== previous.model && this.engine.state.status !== 'idle')
      void this.engine.reset();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const keys = changed as Map<PropertyKey, unknown>;
    if (!keys.has('turns') && !keys.has('streaming')) return;
    // Keep the newest text in view while answers stream, unless the person scrolled up to read.
    const log = this.renderRoot.querySelector<HTMLElement>('[part~="log"]');
    if (log && this.#stickToBottom) log.scrollTop = log.scrollHeight;
  }

  #onLogScroll(event: Event): void {
    const log = event.currentTarget as HTMLElement;
    this.#stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  #emit<K extends keyof TierAssistEventMap>(
    type: K,
    detail: TierAssistEventMap[K],
    cancelable = false,
  ): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
  }

  #fireError(error: TierError, attribute?: string): void {
    const setting = typeof error.data?.setting === 'string' ? error.data.setting : undefined;
    this.#emit('tier-error', {
      error,
      code: error.code,
      ...(attribute ? { attribute } : {}),
      ...(setting ? { setting } : {}),
    });
  }

  async #loadRenderer(): Promise<Renderer> {
    if (this.renderer) return this.renderer;
    const { renderMarkdown } = await import('../shared/markdown.ts');
    this.renderer = renderMarkdown;
    return renderMarkdown;
  }

  /** Ask a question (what the send button does). Resolves when the answer is complete or failed. */
  ask(text: string, options: AskOptions = {}): Promise<void> {
    return this.#conversation.ask(text, options);
  }

  /** Cancel the running request (what Stop and Escape do). */
  cancel(): void {
    this.#conversation.cancel();
  }

  /** Forget the conversation here and in storage. */
  clear(): Promise<void> {
    return this.#conversation.clear();
  }

  #onHostKeydown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape') return;
    if (this.busy) {
      event.preventDefault();
      this.cancel();
    } else if (this.engine.state.status === 'downloading') {
      event.preventDefault();
      this.engine.cancel();
    }
  };

  #onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.#submit();
    }
  }

  #submit(): void {
    const input = this.renderRoot.querySelector('textarea');
    if (!input || this.busy) return;
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    void this.ask(text);
  }

  async #copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.#conversation.status = 'Copied to the clipboard.';
    } catch {
      this.#conversation.status = 'Copy failed: this page may not use the clipboard.';
    }
  }

  protected override render(): TemplateResult {
    const attributeErrors = Object.values(this.errors);
    const local = this.#settings.tiers.includes('local');
    return html`<section part="base" aria-label=${this.heading}>
      <header part="header">
        <slot name="header"><h2>${this.heading}</h2></slot>
        <button
          part="button clear-button"
          type="button"
          ?disabled=${this.turns.length === 0 && !this.busy}
          @click=${() => void this.clear()}
        >
          Clear conversation
        </button>
      </header>
      ${
        attributeErrors.length > 0
          ? html`<div part="error" role="alert">${attributeErrors.map((m) => html`<p>${m}</p>`)}</div>`
          : nothing
      }
      ${local ? renderEnginePanel(this.engine, Boolean(this.#settings.gateway)) : nothing}
      <div
        part="log"
        role="log"
        tabindex="0"
        aria-live="polite"
        aria-label="Conversation"
        aria-busy=${this.busy ? 'true' : 'false'}
        @scroll=${this.#onLogScroll}
      >
        <ol class="messages">
          ${this.turns.map((turn, i) => this.#renderTurn(turn, i))}
          ${this.streaming ? this.#renderStreaming(this.streaming) : nothing}
        </ol>
      </div>
      ${this.#renderForm()}
      <p class="status" role="status">${this.status}</p>
    </section>`;
  }

  #renderForm(): TemplateResult {
    return html`<form
      part="form"
      @submit=${(e: Event) => {
        e.preventDefault();
        this.#submit();
      }}
    >
      <label for="prompt" class="visually-hidden">Your question</label>
      <textarea
        id="prompt"
        part="input"
        rows="2"
        placeholder=${this.placeholder}
        aria-describedby="hint"
        @keydown=${this.#onKeydown}
      ></textarea>
      <div class="row">
        <span id="hint" class="hint">Enter sends · Shift+Enter new line · Esc stops</span>
        ${
          this.busy
            ? html`<button part="button stop-button" type="button" @click=${() => this.cancel()}>
                Stop
              </button>`
            : html`<button part="button send-button" class="primary" type="submit">Send</button>`
        }
      </div>
    </form>`;
  }

  #renderAnswer(text: string): TemplateResult {
    if (!this.renderer) return html`<div part="answer" class="plain">${text}</div>`;
    return html`<div part="answer">
      ${unsafeHTML(this.renderer(text, { allowRemoteImages: this.allowRemoteImages }))}
    </div>`;
  }

  #renderTurn(turn: Turn, index: number): TemplateResult {
    if (turn.role === 'user') {
      return html`<li part="message message-user" class="user">
        <span class="visually-hidden">You said:</span>
        <span class="text">${turn.text}</span>
      </li>`;
    }
    return html`<li part="message message-assistant" class="assistant">
      ${
        turn.error
          ? html`<p part="error" class="error">${turn.error}</p>`
          : html`${this.#renderAnswer(turn.text)}${turn.stopped ? html`<p part="note" class="note">Stopped.</p>` : nothing}`
      }
      ${turn.badge ? renderBadge(turn.badge) : nothing}
      ${(turn.badge?.notes ?? []).map((n) => html`<p part="note" class="note">${n}</p>`)}
      <div class="actions">
        ${turn.text ? html`<button part="button copy-button" type="button" @click=${() => void this.#copy(turn.text)}>Copy</button>` : nothing}
        ${this.feedback && this.#conversation.canRate(index) ? this.#renderThumbs(index) : nothing}
        ${
          this.#conversation.canAskBigger(index)
            ? html`<button
                part="button bigger-button"
                type="button"
                @click=${() => void this.#conversation.askBigger(index)}
              >
                Ask a bigger model
              </button>`
            : nothing
        }
      </div>
    </li>`;
  }

  #renderThumbs(index: number): TemplateResult {
    const rating = this.#conversation.rating(index);
    const thumb = (value: 'up' | 'down', label: string, glyph: string) =>
      html`<button
        part="button thumb-button thumbs-${value}"
        type="button"
        aria-label=${label}
        aria-pressed=${rating === value ? 'true' : 'false'}
        @click=${() => this.#conversation.rate(index, value)}
      >
        ${glyph}
      </button>`;
    return html`${thumb('up', 'Good answer', '👍')}${thumb('down', 'Bad answer', '👎')}`;
  }

  #renderStreaming(s: StreamingAnswer): TemplateResult {
    return html`<li part="message message-assistant" class="assistant streaming">
      ${s.text ? this.#renderAnswer(s.text) : html`<p class="muted">${s.tier ? `${TIER_LABEL[s.tier]} is answering…` : 'Thinking…'}</p>`}
    </li>`;
  }
}

function renderBadge(b: Badge): TemplateResult {
  const cost = b.tier === 'local' ? 'on-device, free' : formatUsd(b.costUsd);
  return html`<p part="badge" class="badge ${b.tier === 'local' ? 'local' : 'remote'}" data-tier=${b.tier}>
    <strong>${TIER_LABEL[b.tier]}</strong> · <span>${b.model}</span> ·
    <span>${formatDuration(b.latencyMs)}</span> ·
    <span>${cost}</span
    >${b.escalatedFrom ? html` · <span>escalated from ${TIER_LABEL[b.escalatedFrom]}</span>` : nothing}
    <span class="reason">${b.reason}</span>
  </p>`;
}

if (!customElements.get('tier-assist')) customElements.define('tier-assist', TierAssist);

declare global {
  interface HTMLElementTagNameMap {
    'tier-assist': TierAssist;
  }
}
