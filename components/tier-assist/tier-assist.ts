import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { AssistAnswer, AssistEvent, LocalEngineProvider } from '../../src/assist/types.ts';
import type { Tier } from '../../src/config/schemas.ts';
import { AbortError, toTierError, type TierError } from '../../src/errors.ts';
import {
  clearConversation,
  loadConversation,
  saveConversation,
  type Badge,
  type Turn,
} from '../shared/conversation-store.ts';
import { EngineController, engineRunLine } from '../shared/engine-controller.ts';
import { TIER_LABEL, formatBytes, formatDuration, formatUsd } from '../shared/format.ts';
import { parseAttribute, type AttributeName } from './attributes.ts';
import type { TierErrorDetail, TierEscalateDetail } from './events.ts';
import { styles } from './tier-assist.styles.ts';

export type * from './events.ts';

type Renderer = (markdown: string, options?: { allowRemoteImages?: boolean }) => string;

interface Config {
  gateway: string | undefined;
  token: string | undefined;
  tokenEndpoint: string | undefined;
  model: string | undefined;
  quality: number;
  privacy: 'allow' | 'redact' | 'local-only';
  tiers: Tier[];
  systemPrompt: string | undefined;
}

const ATTRIBUTE_PROPS: Record<AttributeName, keyof TierAssist> = {
  gateway: 'gateway',
  token: 'token',
  'token-endpoint': 'tokenEndpoint',
  model: 'model',
  quality: 'quality',
  privacy: 'privacy',
  tiers: 'tiers',
  'system-prompt': 'systemPrompt',
  placeholder: 'placeholder',
};

const UP: Record<Tier, 'mid' | 'frontier' | undefined> = {
  local: 'mid',
  mid: 'frontier',
  frontier: undefined,
};

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
  static override properties = {
    gateway: { type: String },
    token: { type: String },
    tokenEndpoint: { type: String, attribute: 'token-endpoint' },
    model: { type: String },
    quality: { type: String },
    privacy: { type: String },
    tiers: { type: String },
    systemPrompt: { type: String, attribute: 'system-prompt' },
    placeholder: { type: String },
    heading: { type: String },
    conversationKey: { type: String, attribute: 'conversation-key' },
    allowRemoteImages: { type: Boolean, attribute: 'allow-remote-images' },
    turns: { state: true, attribute: false },
    busy: { state: true, attribute: false },
    streaming: { state: true, attribute: false },
    errors: { state: true, attribute: false },
    status: { state: true, attribute: false },
    renderer: { state: true, attribute: false },
  };

  /** Gateway base URL (absolute, or a path on this origin). Without it, everything stays on the device. */
  declare gateway: string | undefined;
  /** A short-lived token minted by the site's backend. */
  declare token: string | undefined;
  /** A same-origin URL that mints tokens (`POST` -> `{token, expiresAt?}`). */
  declare tokenEndpoint: string | undefined;
  /** On-device model: a catalog id or a GGUF URL. */
  declare model: string | undefined;
  /** 0..1: higher sends more to bigger models. */
  declare quality: string | number | undefined;
  /** allow | redact | local-only (personal data). */
  declare privacy: string | undefined;
  /** Allowed tiers, e.g. "local,mid". */
  declare tiers: string | string[] | undefined;
  declare systemPrompt: string | undefined;
  declare placeholder: string;
  declare heading: string;
  /** Key of the stored conversation (default: page path + element id). */
  declare conversationKey: string | undefined;
  declare allowRemoteImages: boolean;
  /** Inject an on-device engine provider (tests, custom engines); default: src/engines, loaded lazily. */
  engineProvider: LocalEngineProvider | undefined;

  declare turns: Turn[];
  declare busy: boolean;
  declare streaming: { text: string; tier: Tier | undefined } | undefined;
  declare errors: Partial<Record<AttributeName | 'request', string>>;
  declare status: string;
  declare renderer: Renderer | undefined;

  private config: Config = {
    gateway: undefined,
    token: undefined,
    tokenEndpoint: undefined,
    model: undefined,
    quality: 0.5,
    privacy: 'redact',
    tiers: ['local', 'mid', 'frontier'],
    systemPrompt: undefined,
  };
  private controller: AbortController | undefined;
  private restored: Promise<void> | undefined;
  readonly engine: EngineController;

  constructor() {
    super();
    this.placeholder = 'Ask a question…';
    this.heading = 'Assistant';
    this.allowRemoteImages = false;
    this.turns = [];
    this.busy = false;
    this.streaming = undefined;
    this.errors = {};
    this.status = '';
    this.renderer = undefined;
    this.engineProvider = undefined;
    this.engine = new EngineController(this, {
      loadProvider: async () =>
        this.engineProvider ?? (await import('../../src/engines/local-provider.ts')).createLocalProvider(),
      model: () => this.config.model,
      onProgress: (detail) => this.fire('tier-model-progress', detail),
      onError: (error) => this.fireError(error),
    });
  }

  /** The parsed, valid configuration (invalid attributes keep their previous value). */
  get settings(): Readonly<Config> {
    return this.config;
  }

  /** Resolves once the stored conversation has been read. */
  get conversationReady(): Promise<void> {
    return this.restored ?? Promise.resolve();
  }

  private get storageKey(): string {
    return this.conversationKey || `${location.pathname}#${this.id || 'tier-assist'}`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.restored = this.restore();
    this.addEventListener('keydown', this.onHostKeydown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onHostKeydown);
    this.controller?.abort();
  }

  private async restore(): Promise<void> {
    try {
      const turns = await loadConversation(this.storageKey);
      if (turns.length > 0 && this.turns.length === 0) {
        this.turns = turns;
        void this.loadRenderer();
      }
    } catch {
      // No IndexedDB (private mode...): the conversation simply is not kept.
    }
  }

  private persist(): void {
    void saveConversation(this.storageKey, this.turns).catch(() => undefined);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const errors = { ...this.errors };
    let errorsChanged = false;
    for (const [attribute, prop] of Object.entries(ATTRIBUTE_PROPS) as [AttributeName, keyof TierAssist][]) {
      if (!(changed as Map<PropertyKey, unknown>).has(prop)) continue;
      const raw: unknown = (this as TierAssist)[prop];
      const value = Array.isArray(raw)
        ? raw.join(',')
        : raw === undefined || raw === null
          ? undefined
          : String(raw);
      try {
        this.apply(attribute, value);
        if (errors[attribute]) {
          delete errors[attribute];
          errorsChanged = true;
        }
      } catch (error) {
        const err = toTierError(error);
        errors[attribute] = err.message;
        errorsChanged = true;
        this.fireError(err, attribute);
      }
    }
    if (errorsChanged) this.errors = errors;
  }

  private apply(attribute: AttributeName, value: string | undefined): void {
    const c = this.config;
    if (value === undefined || value === '') {
      if (attribute === 'gateway') c.gateway = undefined;
      if (attribute === 'token') c.token = undefined;
      if (attribute === 'token-endpoint') c.tokenEndpoint = undefined;
      if (attribute === 'model' && c.model !== undefined) {
        c.model = undefined;
        void this.engine.reset();
      }
      if (attribute === 'system-prompt') c.systemPrompt = undefined;
      return;
    }
    switch (attribute) {
      case 'gateway':
        c.gateway = parseAttribute('gateway', value);
        break;
      case 'token':
        c.token = parseAttribute('token', value);
        break;
      case 'token-endpoint':
        c.tokenEndpoint = parseAttribute('token-endpoint', value);
        break;
      case 'model': {
        const model = parseAttribute('model', value);
        if (model !== c.model) {
          c.model = model;
          if (this.engine.state.status !== 'idle') void this.engine.reset();
        }
        break;
      }
      case 'quality':
        c.quality = parseAttribute('quality', value);
        break;
      case 'privacy':
        c.privacy = parseAttribute('privacy', value);
        break;
      case 'tiers':
        c.tiers = parseAttribute('tiers', value);
        break;
      case 'system-prompt':
        c.systemPrompt = parseAttribute('system-prompt', value);
        break;
      case 'placeholder':
        parseAttribute('placeholder', value);
        break;
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    const keys = changed as Map<PropertyKey, unknown>;
    if (!keys.has('turns') && !keys.has('streaming')) return;
    // Keep the newest text in view while answers stream, unless the person scrolled up to read.
    const log = this.renderRoot.querySelector<HTMLElement>('[part~="log"]');
    if (log && this.stickToBottom) log.scrollTop = log.scrollHeight;
  }

  private stickToBottom = true;

  private onLogScroll(event: Event): void {
    const log = event.currentTarget as HTMLElement;
    this.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  private fire<T>(type: string, detail: T, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
  }

  private fireError(error: TierError, attribute?: string): void {
    const setting = typeof error.data?.setting === 'string' ? error.data.setting : undefined;
    const detail: TierErrorDetail = {
      error,
      code: error.code,
      ...(attribute ? { attribute } : {}),
      ...(setting ? { setting } : {}),
    };
    this.fire('tier-error', detail);
  }

  private async loadRenderer(): Promise<Renderer> {
    if (this.renderer) return this.renderer;
    const { renderMarkdown } = await import('../shared/markdown.ts');
    this.renderer = renderMarkdown;
    return renderMarkdown;
  }

  private localReady = (): boolean => this.engine.state.status === 'ready';

  /** Ask a question (what the send button does). Resolves when the answer is complete or failed. */
  async ask(text: string, options: { forceTier?: 'mid' | 'frontier'; resend?: boolean } = {}): Promise<void> {
    const question = text.trim();
    if (!question || this.busy) return;
    if (Object.keys(this.errors).some((k) => k !== 'request')) {
      this.status = 'Fix the attribute errors shown above first.';
      return;
    }
    this.busy = true; // before any await: a second Enter cannot start a second request
    await this.conversationReady;
    // The context is the conversation before this question (for "Ask a bigger model": before the
    // question being re-asked, so the cheaper answer does not steer the bigger model).
    let before = this.turns;
    if (options.resend) {
      const at = this.turns.map((t) => t.role === 'user' && t.text.trim() === question).lastIndexOf(true);
      if (at >= 0) before = this.turns.slice(0, at);
    }
    const history = before
      .filter((t) => !t.error && !t.stopped && t.text)
      .map((t) => ({ role: t.role, content: t.text }));
    // A user turn whose answer failed leaves two user messages in a row: keep the context alternating.
    if (history.at(-1)?.role === 'user') history.pop();
    if (!options.resend) {
      this.turns = [...this.turns, { role: 'user', text: question }];
      this.persist();
    }
    const previous = [...this.turns].reverse().find((t) => t.badge)?.badge;
    const conversationTier = this.turns.reduce<Tier | undefined>((max, t) => {
      const tier = t.badge?.tier;
      if (!tier) return max;
      return !max || ['local', 'mid', 'frontier'].indexOf(tier) > ['local', 'mid', 'frontier'].indexOf(max)
        ? tier
        : max;
    }, undefined);

    const { errors } = this;
    if (errors.request) {
      const rest = { ...errors };
      delete rest.request;
      this.errors = rest;
    }
    this.status = '';
    this.streaming = { text: '', tier: undefined };
    const controller = new AbortController();
    this.controller = controller;
    if (this.config.tiers.includes('local') && this.engine.state.status === 'idle') void this.engine.probe();
    const engineState = this.engine.state;
    if (engineState.status === 'error' && engineState.error.code === 'device_lost' && engineState.probe) {
      // The GPU device was lost on an earlier request: the model reloads now (from the cache).
      await this.engine.accept();
    }
    const renderer = this.loadRenderer().catch(() => undefined);
    const steps: AssistEvent[] = [];
    try {
      const { createOrchestrator } = await import('../../src/assist/runtime.ts');
      await renderer;
      const orchestrator = await createOrchestrator({
        gateway: this.config.gateway,
        token: this.config.token,
        tokenEndpoint: this.config.tokenEndpoint,
        localEngine: async () => this.engine.engine,
        localAvailable: this.localReady,
        settings: {
          quality: this.config.quality,
          privacy: this.config.privacy,
          tiers: this.config.tiers,
          ...(this.config.systemPrompt !== undefined ? { systemPrompt: this.config.systemPrompt } : {}),
        },
      });
      const answer = await orchestrator.ask({
        text: question,
        history,
        signal: controller.signal,
        ...(options.forceTier ? { forceTier: options.forceTier } : {}),
        ...(previous && options.forceTier ? { previousTier: previous.tier } : {}),
        ...(conversationTier ? { conversationTier } : {}),
        onEvent: (event) => this.onStep(event, question, steps),
        beforeEscalate: (info) => {
          const detail: TierEscalateDetail = { from: info.from, to: info.to, reason: info.reason };
          return this.fire('tier-escalate', detail, true);
        },
      });
      this.turns = [...this.turns, { role: 'assistant', text: answer.text, badge: badgeOf(answer) }];
      this.fire('tier-response', { answer, steps });
    } catch (error) {
      const err = toTierError(error);
      const partial = this.streaming?.text ?? '';
      if (err instanceof AbortError || err.code === 'aborted') {
        this.turns = [...this.turns, { role: 'assistant', text: partial, stopped: true }];
        this.status = 'Stopped.';
      } else {
        this.turns = [...this.turns, { role: 'assistant', text: '', error: err.message }];
        this.fireError(err);
      }
    } finally {
      this.persist();
      this.busy = false;
      this.streaming = undefined;
      if (this.controller === controller) this.controller = undefined;
    }
  }

  private onStep(event: AssistEvent, text: string, steps: AssistEvent[]): void {
    if (event.type !== 'delta') steps.push(event);
    switch (event.type) {
      case 'route':
        this.fire('tier-route', { text, decision: event.decision });
        break;
      case 'attempt':
        this.streaming = { text: this.streaming?.text ?? '', tier: event.tier };
        break;
      case 'delta':
        this.streaming = { text: event.text, tier: event.tier };
        break;
      case 'reset':
        this.streaming = { text: '', tier: event.tier };
        break;
      case 'escalate':
        if (!event.vetoed)
          this.fire('tier-after-escalate', { from: event.from, to: event.to, reason: event.reason });
        break;
      case 'fallback':
        if (event.from === 'local' && ['device_lost', 'out_of_memory'].includes(event.error.code)) {
          this.engine.invalidate(event.error);
        }
        break;
      default:
        break;
    }
  }

  /** Cancel the running request (what Stop and Escape do). */
  cancel(): void {
    this.controller?.abort();
  }

  /** Forget the conversation here and in storage. */
  async clear(): Promise<void> {
    this.cancel();
    this.turns = [];
    this.status = 'Conversation cleared.';
    await clearConversation(this.storageKey).catch(() => undefined);
  }

  private onHostKeydown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape') return;
    if (this.busy) {
      event.preventDefault();
      this.cancel();
    } else if (this.engine.state.status === 'downloading') {
      event.preventDefault();
      this.engine.cancel();
    }
  };

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  private submit(): void {
    const input = this.renderRoot.querySelector('textarea');
    if (!input || this.busy) return;
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    void this.ask(text);
  }

  private async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.status = 'Copied to the clipboard.';
    } catch {
      this.status = 'Copy failed: this page may not use the clipboard.';
    }
  }

  private askBigger(index: number): void {
    const turn = this.turns[index];
    const tier = turn?.badge?.tier ?? (turn?.error || turn?.stopped ? 'local' : undefined);
    const up = tier ? UP[tier] : undefined;
    const question = [...this.turns.slice(0, index)].reverse().find((t) => t.role === 'user');
    if (!up || !question) return;
    void this.ask(question.text, {
      forceTier: this.config.tiers.includes(up) ? up : 'frontier',
      resend: true,
    });
  }

  protected override render(): TemplateResult {
    const attributeErrors = Object.entries(this.errors).filter(([k]) => k !== 'request');
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
          ? html`<div part="error" role="alert">${attributeErrors.map(([, m]) => html`<p>${m}</p>`)}</div>`
          : nothing
      }
      ${this.renderEngine()}
      <div
        part="log"
        role="log"
        tabindex="0"
        aria-live="polite"
        aria-label="Conversation"
        aria-busy=${this.busy ? 'true' : 'false'}
        @scroll=${this.onLogScroll}
      >
        <ol class="messages">
          ${this.turns.map((turn, i) => this.renderTurn(turn, i))}
          ${this.streaming ? this.renderStreaming(this.streaming) : nothing}
        </ol>
      </div>
      <form
        part="form"
        @submit=${(e: Event) => {
          e.preventDefault();
          this.submit();
        }}
      >
        <label for="prompt" class="visually-hidden">Your question</label>
        <textarea
          id="prompt"
          part="input"
          rows="2"
          placeholder=${this.placeholder}
          aria-describedby="hint"
          @keydown=${this.onKeydown}
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
      </form>
      <p class="status" role="status">${this.status}</p>
    </section>`;
  }

  private renderEngine(): TemplateResult | typeof nothing {
    if (!this.config.tiers.includes('local')) return nothing;
    const s = this.engine.state;
    const remote = this.config.gateway
      ? 'Questions go to the gateway instead.'
      : 'Set a gateway to answer on a bigger model.';
    let body: TemplateResult;
    switch (s.status) {
      case 'idle':
        body = html`<p>Answers can run privately on this device, for free.</p>
          <button part="button" type="button" @click=${() => void this.engine.probe()}>
            Check this device
          </button>`;
        break;
      case 'probing':
        body = html`<p>Checking what this device can run…</p>`;
        break;
      case 'unsupported':
        body = html`<p class="warn">
            This device cannot run an on-device model: ${s.probe.verdict} ${remote}
          </p>
          ${
            s.probe.rejected.length > 0
              ? html`<details>
                  <summary>Why</summary>
                  <ul>
                    ${s.probe.rejected.map((r) => html`<li>${r}</li>`)}
                  </ul>
                </details>`
              : nothing
          }`;
        break;
      case 'consent': {
        const size = formatBytes(s.probe.model?.sizeBytes ?? 0);
        body = html`<p>${s.probe.verdict}</p>
          <p>
            Model: <strong>${s.probe.model?.label ?? 'on-device model'}</strong>, ${size} download, kept on
            this device.
          </p>
          <button
            part="button consent-button"
            class="primary"
            type="button"
            @click=${() => void this.engine.accept()}
          >
            Download on-device model (${size})
          </button>`;
        break;
      }
      case 'downloading': {
        const p = s.progress;
        const total = p.totalBytes || s.probe.model?.sizeBytes || 0;
        const label =
          p.phase === 'compile'
            ? 'Preparing the model'
            : p.fromCache
              ? 'Loading from this device'
              : 'Downloading';
        body = html`<p id="progress-label">${label} ${s.probe.model?.label ?? ''}</p>
          <progress
            part="progress"
            aria-labelledby="progress-label"
            max=${total || 1}
            value=${Math.min(p.loadedBytes, total || 1)}
          ></progress>
          <p class="muted">
            ${formatBytes(p.loadedBytes)} of
            ${formatBytes(total)}${
              p.etaSeconds !== undefined
                ? html` · about ${formatDuration(p.etaSeconds * 1000)} left`
                : nothing
            }
          </p>
          <button part="button" type="button" @click=${() => this.engine.cancel()}>Cancel download</button>`;
        break;
      }
      case 'ready': {
        const run = engineRunLine(
          s.engine.model?.label ?? s.probe.model?.label ?? 'local model',
          s.engine.placement,
          s.engine.speed,
          s.engine.capabilities.gpu,
        );
        body = html`<p class="muted">On-device model ready.</p>
          <p part="placement" class="muted" data-field="placement">
            <span data-field="where">${run.where}</span> · <span data-field="speed">${run.speed}</span>${
              run.note ? html`<br /><span data-field="note">${run.note}</span>` : nothing
            }
          </p>`;
        break;
      }
      case 'error':
        body = html`<p class="warn">The on-device model could not be loaded: ${s.error.message}</p>
          ${
            s.probe
              ? html`<button part="button" type="button" @click=${() => void this.engine.accept()}>
                  Try again
                </button>`
              : nothing
          }`;
        break;
    }
    return html`<div part="engine" class="engine">${body}</div>`;
  }

  private renderAnswer(text: string): TemplateResult {
    if (!this.renderer) return html`<div part="answer" class="plain">${text}</div>`;
    return html`<div part="answer">
      ${unsafeHTML(this.renderer(text, { allowRemoteImages: this.allowRemoteImages }))}
    </div>`;
  }

  private renderTurn(turn: Turn, index: number): TemplateResult {
    if (turn.role === 'user') {
      return html`<li part="message message-user" class="user">
        <span class="visually-hidden">You said:</span>
        <span class="text">${turn.text}</span>
      </li>`;
    }
    const last = index === this.turns.length - 1;
    const up = turn.badge ? UP[turn.badge.tier] : turn.error || turn.stopped ? 'mid' : undefined;
    const canBigger = Boolean(this.config.gateway) && up !== undefined && !this.busy && last;
    return html`<li part="message message-assistant" class="assistant">
      ${
        turn.error
          ? html`<p part="error" class="error">${turn.error}</p>`
          : html`${this.renderAnswer(turn.text)}${turn.stopped ? html`<p part="note" class="note">Stopped.</p>` : nothing}`
      }
      ${turn.badge ? renderBadge(turn.badge) : nothing}
      ${(turn.badge?.notes ?? []).map((n) => html`<p part="note" class="note">${n}</p>`)}
      <div class="actions">
        ${turn.text ? html`<button part="button copy-button" type="button" @click=${() => void this.copy(turn.text)}>Copy</button>` : nothing}
        ${
          canBigger
            ? html`<button part="button bigger-button" type="button" @click=${() => this.askBigger(index)}>
                Ask a bigger model
              </button>`
            : nothing
        }
      </div>
    </li>`;
  }

  private renderStreaming(s: { text: string; tier: Tier | undefined }): TemplateResult {
    return html`<li part="message message-assistant" class="assistant streaming">
      ${s.text ? this.renderAnswer(s.text) : html`<p class="muted">${s.tier ? `${TIER_LABEL[s.tier]} is answering…` : 'Thinking…'}</p>`}
    </li>`;
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
