import { html, LitElement, nothing, type PropertyValues } from 'lit';
import type { Learner } from '../../src/assist/learning.ts';
import type { PrivacyPolicy, Tier } from '../../src/config/schemas.ts';
import type { LocalEngine } from '../../src/engines/types.ts';
import { AbortError, toTierError, type TierError } from '../../src/errors.ts';
import type { LlmTriageOptions, TriageGateway } from '../../src/triage/llm-triage.ts';
import {
  importModel,
  PRIORITIES,
  SENTIMENTS,
  toTags,
  TRIAGE_FIELDS,
  type FieldValue,
  type ModelJson,
  type TriageField,
} from '../../src/triage/schema.ts';
import { TriageStore } from '../../src/triage/store.ts';
import { checkTicket } from '../../src/triage/ticket.ts';
import { TriageWorkerClient } from '../../src/triage/worker-client.ts';
import { EngineController } from '../shared/engine-controller.ts';
import type {
  TierTriageEventMap,
  TriageProgressDetail,
  TriageRecord,
  TriageRetrainDetail,
} from './events.ts';
import { triageStyles } from './tier-triage.styles.ts';

export type * from './events.ts';

const FIELD_LABELS: Record<TriageField, string> = {
  category: 'Category',
  priority: 'Priority',
  sentiment: 'Sentiment',
  language: 'Language',
  summary: 'Summary',
  reply: 'Suggested reply',
};

/**
 * @summary Ticket triage for support agents: an on-device classifier (trained in a Web Worker on the
 * team's corrections, stored in IndexedDB) plus, when a model is set, an on-device LLM for priority,
 * sentiment, language, summary and reply, escalating low-confidence fields to the mid tier.
 *
 * @event tier-triage-result - A ticket was triaged. detail: TriageRecord
 * @event tier-triage-progress - Queue progress. detail: {done, total}
 * @event tier-triage-correct - The agent corrected a field (stored as a training example). detail: TriageCorrectDetail
 * @event tier-triage-retrain - The classifier was retrained on the stored corrections. detail: {examples, seconds}
 * @event tier-triage-error - Something failed; the message says what to do. detail: {error: TierError}
 * @event tier-triage-feedback - With `feedback-store`: a correction or acceptance of a tier's fields was recorded (no text). detail: {signal, tier, id}
 *
 * @csspart input - the ticket textarea
 * @csspart actions - the button row
 * @csspart message - the status / error line (aria-live)
 * @csspart progress - the queue progress bar
 * @csspart fields - the table of triage fields
 * @csspart tags - the Zendesk-style tags
 * @csspart json - the JSON output
 * @csspart queue - the list of triaged tickets in a queue
 *
 * @cssproperty --tier-accent - accent colour (buttons, focus)
 * @cssproperty --tier-background - background
 * @cssproperty --tier-color - text colour
 * @cssproperty --tier-border-color - borders
 * @cssproperty --tier-radius - corner radius
 * @cssproperty --tier-triage-padding - inner padding
 */
export class TierTriage extends LitElement {
  static override styles = triageStyles;
  static override properties = {
    storeName: { type: String, attribute: 'store-name' },
    retrainEvery: { type: Number, attribute: 'retrain-every' },
    fieldThreshold: { type: Number, attribute: 'field-threshold' },
    privacy: { type: String },
    model: { type: String },
    gateway: { type: String },
    tokenEndpoint: { type: String, attribute: 'token-endpoint' },
    feedbackStore: { type: String, attribute: 'feedback-store' },
    engine: { attribute: false },
    gatewayClient: { attribute: false },
    ledger: { attribute: false },
    ticket: { state: true },
    records: { state: true },
    selected: { state: true },
    labels: { state: true },
    busy: { state: true },
    progress: { state: true },
    message: { state: true },
    messageIsError: { state: true },
  };

  /** IndexedDB database name (one per site or team). */
  declare storeName: string;
  /** Retrain automatically after this many corrections (0: only on demand). */
  declare retrainEvery: number;
  /** LLM fields below this confidence go to the mid tier. */
  declare fieldThreshold: number;
  declare privacy: PrivacyPolicy;
  /** GGUF / model id for the on-device LLM (optional: without it only the classifier runs). */
  declare model: string | undefined;
  /** Gateway URL for escalation (optional). */
  declare gateway: string | undefined;
  declare tokenEndpoint: string | undefined;
  /**
   * IndexedDB database of the feedback store (src/ledger/feedback-store.ts; `<tier-assist>`'s default is
   * "tier-feedback") where an agent's corrections ('correction') and acceptances ('accepted': Copy tags
   * or Copy JSON, or `accept()`) of the fields a tier filled are recorded for the router, with the
   * ticket's text-free router features and never its text. Default none: nothing is recorded.
   */
  declare feedbackStore: string | undefined;
  /** An already loaded engine (the extension passes its own); wins over `model`. */
  declare engine: LocalEngine | undefined;
  /** A gateway client object (wins over `gateway`). */
  declare gatewayClient: TriageGateway | undefined;
  /** Where model calls are booked (a src/ledger `Ledger`); optional. */
  declare ledger: LlmTriageOptions['ledger'];
  declare ticket: string;
  declare records: TriageRecord[];
  declare selected: number;
  declare labels: string[];
  declare busy: boolean;
  declare progress: TriageProgressDetail | undefined;
  declare message: string;
  declare messageIsError: boolean;

  /** Resolves once the classifier is loaded (starter, stored or imported model). */
  readonly ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #worker: TriageWorkerClient | undefined;
  #store: TriageStore | undefined;
  #batch: AbortController | undefined;
  #sinceRetrain = 0;
  #nextId = 1;
  #initStarted = false;
  #engineController = new EngineController(this, {
    loadProvider: async () => (await import('../../src/engines/local-provider.ts')).createLocalProvider(),
    model: () => this.model,
  });
  #remote: TriageGateway | undefined;
  /** Record id -> the tier that answered through the gateway for that ticket. */
  #gatewayTiers = new Map<number, Tier>();
  /** Record id -> tiers whose fields already earned a signal (one signal per tier per ticket). */
  #judged = new Map<number, Set<Tier>>();
  #learner: { name: string; learner: Promise<Learner | undefined> } | undefined;

  constructor() {
    super();
    this.storeName = 'tier-triage';
    this.retrainEvery = 10;
    this.fieldThreshold = 0.5;
    this.privacy = 'redact';
    this.model = undefined;
    this.gateway = undefined;
    this.tokenEndpoint = undefined;
    this.feedbackStore = undefined;
    this.engine = undefined;
    this.gatewayClient = undefined;
    this.ledger = undefined;
    this.ticket = '';
    this.records = [];
    this.selected = -1;
    this.labels = [];
    this.busy = false;
    this.progress = undefined;
    this.message = 'Loading the classifier…';
    this.messageIsError = false;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => undefined); // the failure is shown in the message line and as tier-triage-error
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.#initStarted) {
      this.#initStarted = true;
      void this.#init();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#batch?.abort();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('gateway') || changed.has('tokenEndpoint')) this.#remote = undefined;
  }

  async #init(): Promise<void> {
    try {
      this.#worker = new TriageWorkerClient();
      this.#store = await TriageStore.open(this.storeName);
      const stored = await this.#store.loadModel();
      const model = stored ?? (await import('../../src/triage/starter-model.json')).default;
      const { labels } = await this.#worker.request('load', { model });
      this.labels = labels;
      this.#setMessage(
        stored
          ? `Your team's model is loaded (${labels.length} categories).`
          : `Starter model loaded (${labels.length} customer-support categories). Correct labels to teach it your own.`,
      );
      this.#resolveReady();
    } catch (error) {
      this.#fail(toTierError(error));
      this.#rejectReady(toTierError(error));
    }
  }

  // ---- public API ----------------------------------------------------------------------------

  /** Triage one ticket (classifier, then the LLM when an engine is available). */
  async triage(text: string): Promise<TriageRecord> {
    const records = await this.triageQueue([text]);
    const record = records[0];
    if (!record) throw toTierError(new AbortError());
    return record;
  }

  /**
   * Triage a queue of tickets in order with progress (`tier-triage-progress`); `cancel()` or the signal
   * stops it. Tickets already triaged are kept; invalid tickets are skipped with a message.
   */
  async triageQueue(
    texts: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<TriageRecord[]> {
    await this.ready;
    this.#batch?.abort();
    const batch = new AbortController();
    this.#batch = batch;
    options.signal?.addEventListener('abort', () => batch.abort());
    const done: TriageRecord[] = [];
    const problems: string[] = [];
    this.busy = true;
    this.progress = { done: 0, total: texts.length, phase: 'queue' };
    try {
      for (const [i, raw] of texts.entries()) {
        if (batch.signal.aborted) break;
        try {
          const record = await this.#triageOne(checkTicket(raw), batch.signal);
          done.push(record);
          this.records = [...this.records, record];
          this.selected = this.records.length - 1;
          this.#emit('tier-triage-result', record);
        } catch (error) {
          const err = toTierError(error);
          if (err.code === 'aborted') break;
          problems.push(texts.length > 1 ? `Ticket ${i + 1}: ${err.message}` : err.message);
          this.#emit('tier-triage-error', { error: err });
        }
        this.progress = { done: i + 1, total: texts.length, phase: 'queue' };
        this.#emit('tier-triage-progress', this.progress);
        // let the page paint and a cancel click land between tickets
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      this.busy = false;
      if (this.#batch === batch) this.#batch = undefined;
    }
    const cancelled = batch.signal.aborted;
    if (problems.length)
      this.#setMessage(
        problems.slice(0, 3).join(' ') + (problems.length > 3 ? ` (+${problems.length - 3} more)` : ''),
        true,
      );
    else if (cancelled)
      this.#setMessage(`Cancelled after ${done.length} of ${texts.length} tickets; those results are kept.`);
    else
      this.#setMessage(
        texts.length > 1
          ? `Triaged ${done.length} tickets.`
          : 'Triaged. Correct any field with the keyboard; corrections teach the classifier.',
      );
    return done;
  }

  /** Stop a running queue. */
  cancel(): void {
    this.#batch?.abort();
  }

  /** Correct a field of a triaged ticket (default: the selected one); stored as a training example. */
  async correct(field: TriageField, value: string, recordIndex = this.selected): Promise<void> {
    const record = this.records[recordIndex];
    if (!record || !this.#store || !this.#worker) return;
    const previous = record.fields[field]?.value;
    const tier = this.#tierOf(record, field);
    const fields = { ...record.fields, [field]: { value, confidence: 1, source: 'agent' as const } };
    const next: TriageRecord = { ...record, fields, tags: toTags(fields) };
    this.records = this.records.map((r, i) => (i === recordIndex ? next : r));
    try {
      await this.#store.addExample({ text: record.text, label: value, field });
      if (field === 'category') {
        const { labels } = await this.#worker.request('update', {
          examples: [{ text: record.text, label: value }],
        });
        this.labels = labels;
        this.#sinceRetrain++;
        await this.#saveModel();
      }
      this.#emit('tier-triage-correct', { record: next, field, value, previous });
      if (tier && value !== previous)
        await this.#recordFeedback(record.id, record.text, 'correction', [tier]);
      this.#setMessage(`Saved "${value}" as the ${FIELD_LABELS[field].toLowerCase()} of this ticket.`);
      if (field === 'category' && this.retrainEvery > 0 && this.#sinceRetrain >= this.retrainEvery)
        await this.retrain();
    } catch (error) {
      this.#fail(toTierError(error));
    }
  }

  /**
   * The agent takes a triaged ticket as it is (default: the selected one; Copy tags and Copy JSON do
   * this): with `feedback-store`, an 'accepted' record for each tier whose fields it still holds
   * unchanged. Resolves once recorded; a tier already judged on this ticket is not recorded again.
   */
  async accept(recordIndex = this.selected): Promise<void> {
    const record = this.records[recordIndex];
    if (!record) return;
    const tiers = new Set<Tier>();
    for (const field of TRIAGE_FIELDS) {
      const tier = this.#tierOf(record, field);
      if (tier) tiers.add(tier);
    }
    await this.#recordFeedback(record.id, record.text, 'accepted', [...tiers]);
  }

  /** Retrain the classifier (in the worker) on every stored correction. */
  async retrain(): Promise<TriageRetrainDetail> {
    await this.ready;
    const examples = (await this.#store!.examples('category')).map(({ text, label }) => ({ text, label }));
    if (examples.length === 0) {
      this.#setMessage('No corrections stored yet: correct a category first.');
      return { examples: 0, seconds: 0 };
    }
    this.busy = true;
    this.#setMessage(`Retraining on ${examples.length} corrections…`);
    try {
      const { labels, seconds } = await this.#worker!.request('update', { examples, epochs: 10 });
      this.labels = labels;
      this.#sinceRetrain = 0;
      await this.#saveModel();
      const detail = { examples: examples.length, seconds };
      this.#emit('tier-triage-retrain', detail);
      this.#setMessage(`Retrained on ${examples.length} corrections in ${seconds.toFixed(2)} s.`);
      return detail;
    } finally {
      this.busy = false;
    }
  }

  /** Train a new classifier from labelled examples (replaces the current one), in the worker. */
  async trainFrom(
    examples: { text: string; label: string }[],
  ): Promise<{ labels: string[]; seconds: number }> {
    await this.ready;
    this.busy = true;
    this.#setMessage(`Training on ${examples.length} examples…`);
    try {
      const result = await this.#worker!.request('train', { examples }, undefined, ({ done, total }) => {
        this.progress = { done, total, phase: 'training' };
        this.#emit('tier-triage-progress', this.progress);
      });
      this.labels = result.labels;
      await this.#saveModel();
      this.#setMessage(
        `Trained on ${examples.length} examples in ${result.seconds.toFixed(2)} s (${result.labels.length} categories).`,
      );
      return result;
    } finally {
      this.busy = false;
      this.progress = undefined;
    }
  }

  /** The current model as shareable JSON (labels, version, weights). */
  async exportModel(): Promise<ModelJson> {
    await this.ready;
    return (await this.#worker!.request('export', { encoding: 'f32' })).model as ModelJson;
  }

  /** Load a model JSON (e.g. from a colleague); rejected files leave the current model in place. */
  async importModel(json: unknown): Promise<void> {
    await this.ready;
    try {
      importModel(json); // validate here first: a bad file never reaches the worker or the store
      const { labels } = await this.#worker!.request('load', { model: json });
      this.labels = labels;
      await this.#saveModel();
      this.#setMessage(`Model imported (${labels.length} categories).`);
    } catch (error) {
      this.#fail(toTierError(error));
      throw toTierError(error);
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  async #saveModel(): Promise<void> {
    const { model } = await this.#worker!.request('export', { encoding: 'f32' });
    await this.#store!.saveModel(model as ModelJson);
  }

  /** The tier that filled a field: undefined for the classifier's and the agent's own values. */
  #tierOf(record: TriageRecord, field: TriageField): Tier | undefined {
    const source = record.fields[field]?.source;
    if (source === 'device') return 'local';
    if (source === 'gateway') return this.#gatewayTiers.get(record.id) ?? 'mid';
    return undefined;
  }

  /** The record-only learner on the feedback store (opened once per store name; undefined when off or unavailable). */
  #openLearner(): Promise<Learner | undefined> {
    const name = this.feedbackStore;
    if (!name) return Promise.resolve(undefined);
    if (this.#learner?.name !== name) {
      const learner = (async () => {
        const [{ FeedbackStore }, { Learner }] = await Promise.all([
          import('../../src/ledger/feedback-store.ts'),
          import('../../src/assist/learning.ts'),
        ]);
        // record only: triage was not routed by the learned router, and <tier-assist> owns its state
        return Learner.open({ store: await FeedbackStore.open(name), learn: false, surface: 'tier-triage' });
      })().catch(() => undefined); // private mode, no IndexedDB: triage works, feedback is not kept
      this.#learner = { name, learner };
    }
    return this.#learner.learner;
  }

  /**
   * Record `signal` for each of `tiers` not yet judged on this ticket, with the ticket's router features
   * (text-free: scores, standardised counts, folded hash buckets) and propensity 1 (triage's tier choice
   * is the field threshold, not a random draw). Failures to record never break triage.
   */
  async #recordFeedback(
    id: number,
    text: string,
    signal: 'correction' | 'accepted',
    tiers: readonly Tier[],
  ): Promise<void> {
    const judged = this.#judged.get(id) ?? new Set<Tier>();
    const fresh = tiers.filter((t) => !judged.has(t));
    if (fresh.length === 0 || !this.feedbackStore) return;
    for (const tier of fresh) judged.add(tier); // before any await: a quick second signal is not doubled
    this.#judged.set(id, judged);
    const learner = await this.#openLearner();
    if (!learner) return;
    const { tag } = learner.route(text, { task: 'triage' });
    for (const tier of fresh) {
      try {
        await learner.record(signal, tier, tag, 'triage');
        this.#emit('tier-triage-feedback', { signal, tier, id });
      } catch {
        judged.delete(tier); // not stored: a later signal may still record it
      }
    }
  }

  async #gatewayClient(): Promise<TriageGateway | undefined> {
    if (this.gatewayClient) return this.gatewayClient;
    if (!this.gateway) return undefined;
    if (!this.#remote) {
      const { gatewayClient } = await import('../../src/remote/index.ts');
      this.#remote = gatewayClient({
        gateway: this.gateway,
        tokenEndpoint: this.tokenEndpoint,
        surface: 'triage',
      });
    }
    return this.#remote;
  }

  async #triageOne(text: string, signal: AbortSignal): Promise<TriageRecord> {
    const prediction = await this.#worker!.request('predict', { text, k: 3 }, signal);
    const fields: Partial<Record<TriageField, FieldValue>> = {
      category: { value: prediction.label, confidence: prediction.confidence, source: 'classifier' },
    };
    const record: TriageRecord = {
      id: this.#nextId++,
      text,
      fields,
      top: prediction.top,
      outOfScope: prediction.outOfScope,
      escalated: [],
      notes: [],
      tags: [],
    };
    if (prediction.outOfScope) record.notes.push('None of the categories fits well: please pick one.');
    const engine = this.engine ?? this.#engineController.engine;
    if (engine || this.gatewayClient || this.gateway) {
      const { runLlmTriage } = await import('../../src/triage/llm-triage.ts');
      const llm = await runLlmTriage({
        text,
        labels: this.labels,
        candidates: prediction.top,
        engine,
        gateway: await this.#gatewayClient(),
        threshold: this.fieldThreshold,
        privacy: this.privacy,
        signal,
        ledger: this.ledger,
      });
      Object.assign(record.fields, llm.fields);
      if (llm.gatewayTier) this.#gatewayTiers.set(record.id, llm.gatewayTier);
      record.escalated = llm.escalated;
      record.notes.push(...llm.notes);
    }
    record.tags = toTags(record.fields);
    return record;
  }

  #emit<K extends keyof TierTriageEventMap>(type: K, detail: TierTriageEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #setMessage(text: string, isError = false): void {
    this.message = text;
    this.messageIsError = isError;
  }

  #fail(error: TierError): void {
    this.#setMessage(error.message, true);
    this.#emit('tier-triage-error', { error });
  }

  #json(record: TriageRecord): string {
    const fields = Object.fromEntries(
      Object.entries(record.fields).map(([k, v]) => [
        k,
        { value: v.value, confidence: Math.round(v.confidence * 1000) / 1000, source: v.source },
      ]),
    );
    return JSON.stringify(
      {
        ticket: record.text.length > 200 ? record.text.slice(0, 200) + '…' : record.text,
        fields,
        tags: record.tags,
        escalated: record.escalated,
      },
      null,
      2,
    );
  }

  async #copy(text: string, what: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.#setMessage(`${what} copied.`);
    } catch {
      this.#setMessage(
        `Could not reach the clipboard: select the ${what.toLowerCase()} and copy it by hand.`,
        true,
      );
    }
  }

  /** Copy the selected ticket's tags or JSON: the agent takes the result, so it counts as accepted. */
  async #take(text: string, what: string): Promise<void> {
    const index = this.selected;
    await this.#copy(text, what);
    await this.accept(index);
  }

  #onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void this.triage(this.ticket).catch(() => undefined);
    } else if (event.key === 'Escape' && this.busy) this.cancel();
  }

  async #onImport(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch {
      this.#setMessage('That file is not JSON: choose a model exported from tier-triage.', true);
      return;
    }
    await this.importModel(json).catch(() => undefined);
  }

  async #onExport(): Promise<void> {
    const json = await this.exportModel();
    const url = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'tier-triage-model.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  #renderField(record: TriageRecord, index: number, field: TriageField) {
    const value = record.fields[field];
    if (!value) return nothing;
    const id = `f-${field}`;
    const change = (e: Event) => void this.correct(field, (e.target as HTMLInputElement).value, index);
    const options: readonly string[] | undefined =
      field === 'category'
        ? this.labels
        : field === 'priority'
          ? PRIORITIES
          : field === 'sentiment'
            ? SENTIMENTS
            : undefined;
    const low = value.confidence < this.fieldThreshold;
    let control;
    if (options) {
      const list = options.includes(value.value) ? options : [value.value, ...options];
      control = html`<select id=${id} @change=${change}>
        ${list.map((o) => html`<option value=${o} ?selected=${o === value.value}>${o}</option>`)}
      </select>`;
    } else if (field === 'reply')
      control = html`<textarea id=${id} rows="3" .value=${value.value} @change=${change}></textarea>`;
    else control = html`<input id=${id} .value=${value.value} @change=${change} />`;
    return html`<tr>
      <th scope="row"><label for=${id}>${FIELD_LABELS[field]}</label></th>
      <td>${control}</td>
      <td class="conf ${low ? 'low' : ''}" data-field=${field}>
        ${Math.round(value.confidence * 100)}%<span class="visually-hidden"> confidence</span> ·
        ${value.source}
      </td>
    </tr>`;
  }

  protected override render() {
    return html`
      <label for="ticket">Ticket</label>
      <textarea
        id="ticket"
        part="input"
        rows="5"
        .value=${this.ticket}
        @input=${(e: Event) => (this.ticket = (e.target as HTMLTextAreaElement).value)}
        @keydown=${this.#onKeydown}
        placeholder="Paste a customer message (Ctrl+Enter to triage), or several, one per line, for a queue"
      ></textarea>
      ${this.#renderActions()}
      <p part="message" class=${this.messageIsError ? 'error' : ''} role="status" aria-live="polite">
        ${this.message}
      </p>
      ${this.#renderRecord(this.records[this.selected])} ${this.#renderQueue()}
    `;
  }

  #renderActions() {
    const engineState = this.#engineController.state.status;
    return html`<div class="row" part="actions">
      <button
        class="primary"
        ?disabled=${this.busy}
        @click=${() => void this.triage(this.ticket).catch(() => undefined)}
      >
        Triage
      </button>
      <button
        ?disabled=${this.busy}
        @click=${() => void this.triageQueue(this.ticket.split('\n').filter((l) => l.trim())).catch(() => undefined)}
      >
        Triage each line
      </button>
      ${this.#renderProgress()}
      <button
        ?disabled=${this.busy}
        @click=${() => void this.retrain().catch((e: unknown) => this.#fail(toTierError(e)))}
      >
        Retrain now
      </button>
      <button @click=${() => void this.#onExport()}>Export model</button>
      <label class="muted"
        >Import model <input type="file" accept="application/json,.json" @change=${this.#onImport}
      /></label>
      ${
        this.model && !this.engine && engineState !== 'ready'
          ? html`<button
              ?disabled=${engineState === 'downloading' || engineState === 'probing'}
              @click=${() => void this.#loadEngine()}
            >
              Use on-device model
            </button>`
          : nothing
      }
      ${engineState === 'ready' ? html`<span class="muted">On-device model ready</span>` : nothing}
    </div>`;
  }

  #renderProgress() {
    const progress = this.progress;
    if (!this.busy || !progress || progress.total <= 1) return nothing;
    return progress.phase === 'queue'
      ? html`<progress
            part="progress"
            aria-label="Queue progress"
            max=${progress.total}
            value=${progress.done}
          ></progress>
          <span>${progress.done} / ${progress.total}</span>
          <button @click=${() => this.cancel()}>Cancel</button>`
      : html`<progress
            part="progress"
            aria-label="Training progress"
            max=${progress.total}
            value=${progress.done}
          ></progress>
          <span>epoch ${progress.done} / ${progress.total}</span>`;
  }

  #renderRecord(record: TriageRecord | undefined) {
    if (!record) return nothing;
    return html`<table part="fields" aria-label="Triage fields">
        <tbody>
          ${TRIAGE_FIELDS.map((f) => this.#renderField(record, this.selected, f))}
        </tbody>
      </table>
      ${
        record.notes.length
          ? html`<ul class="muted">
              ${record.notes.map((n) => html`<li>${n}</li>`)}
            </ul>`
          : nothing
      }
      <div class="row">
        <code part="tags">${record.tags.join(' ')}</code>
        <button @click=${() => void this.#take(record.tags.join(' '), 'Tags')}>Copy tags</button>
        <button @click=${() => void this.#take(this.#json(record), 'JSON')}>Copy JSON</button>
      </div>
      <details>
        <summary>JSON</summary>
        <pre part="json">${this.#json(record)}</pre>
      </details>`;
  }

  #renderQueue() {
    if (this.records.length <= 1) return nothing;
    return html`<ol part="queue" aria-label="Triaged tickets">
      ${this.records.map(
        (r, i) =>
          html`<li>
            <button
              aria-current=${i === this.selected ? 'true' : 'false'}
              @click=${() => (this.selected = i)}
            >
              ${r.text.slice(0, 60)}${r.text.length > 60 ? '…' : ''}
            </button>
            — ${r.fields.category?.value}
          </li>`,
      )}
    </ol>`;
  }

  async #loadEngine(): Promise<void> {
    await this.#engineController.probe();
    if (this.#engineController.state.status === 'consent') await this.#engineController.accept();
    const state = this.#engineController.state;
    if (state.status === 'error') this.#fail(state.error);
    else if (state.status === 'unsupported')
      this.#setMessage('This device cannot run the on-device model; the classifier still works.', true);
  }
}

if (!customElements.get('tier-triage')) customElements.define('tier-triage', TierTriage);

declare global {
  interface HTMLElementTagNameMap {
    'tier-triage': TierTriage;
  }
}
