/**
 * The engine host: one LocalEngine for the whole browser, living in the offscreen document (ADR
 * 0002). Loads lazily on the first request, reloads when the configured model changes, runs one
 * generation at a time (engines hold one lock per model) and aborts a request by id.
 *
 * Ghost text ({@link EngineHost.suggest}) is the latency-critical caller: its prompt is a window of
 * the text before the caret that stays put while the person types (src/autocomplete/prefix-window.ts),
 * so the engine reuses the previous prompt's KV cache and evaluates only the new characters; the
 * window's maximum follows the prefill speed the engine measured; a new suggestion aborts the one
 * still running (only the latest keystroke's answer can be shown); generated text streams back.
 */
import { PrefixBudget, prefixWindow } from '../../src/autocomplete/prefix-window.ts';
import { dropUnfinishedWord } from '../../src/autocomplete/suggestion.ts';
import { AbortError, toTierError } from '../../src/errors.ts';
import type {
  ChatMessage,
  GenerateOptions,
  GenerationStream,
  JsonSchema,
  LocalEngine,
  ModelDescriptor,
} from '../../src/engines/types.ts';
import type { EngineState, EngineStatus } from '../shared/messaging.ts';
import type { Generated, Suggested } from '../shared/offscreen-protocol.ts';

export type EngineFactory = (model: ModelDescriptor) => LocalEngine | Promise<LocalEngine>;
/** Turns the model a request names into the one to load (e.g. `auto` -> this device's choice), and why. */
export type ModelResolver = (
  model: ModelDescriptor,
) => Promise<{ model: ModelDescriptor; reason: string | undefined }>;

export interface GenerateRequest {
  id: string;
  model: ModelDescriptor;
  maxTokens: number;
  temperature?: number;
  stop?: string[];
  /** Constrain the output to JSON matching this schema (the side panel's `<tier-triage>`). */
  jsonSchema?: JsonSchema;
}

export interface SuggestRequest {
  id: string;
  model: ModelDescriptor;
  /** Text before the caret (the host picks the window of it the prompt uses). */
  before: string;
  maxTokens: number;
  /** Receives the text generated so far (cumulative) as it arrives. */
  onPartial?: (textSoFar: string) => void;
}

export class EngineHost {
  readonly #create: EngineFactory;
  readonly #webgpu: boolean;
  #engine: LocalEngine | undefined;
  #loading: { id: string; promise: Promise<LocalEngine> } | undefined;
  #state: EngineState = 'idle';
  #progress = 0;
  #error: string | undefined;
  #model: ModelDescriptor | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #controllers = new Map<string, AbortController>();
  /** Ids cancelled before their turn came (their request is skipped). */
  readonly #cancelled = new Set<string>();
  /** Generations started on an engine (what "the model ran N times" counts). */
  #generations = 0;
  /** Requests that ended aborted (cancelled by id, or superseded by a newer suggestion). */
  #aborted = 0;
  /** The ghost-text request running or queued: a newer one aborts it. */
  #suggesting: string | undefined;
  readonly #budget = new PrefixBudget();
  /** Prefill speed measured here (tok/s), for engines that do not report `speed`. */
  #prefill: number | undefined;
  /** CSP violations and uncaught errors in the host document (reported through status()). */
  readonly problems: string[] = [];

  readonly #resolve: ModelResolver | undefined;
  #reason: string | undefined;

  constructor(create: EngineFactory, options: { webgpu: boolean; resolve?: ModelResolver }) {
    this.#create = create;
    this.#webgpu = options.webgpu;
    this.#resolve = options.resolve;
  }

  status(): EngineStatus {
    const model = this.#model;
    return {
      state: this.#state,
      host: 'offscreen',
      kind: model?.engine === 'webllm' ? 'webllm' : model ? 'wasm' : undefined,
      model: model ? { id: model.id, label: model.label, sizeBytes: model.sizeBytes } : undefined,
      progress: this.#progress,
      error: this.#error,
      webgpu: this.#webgpu,
      problems: [...this.problems],
      generations: this.#generations,
      aborted: this.#aborted,
      placement: this.#engine?.placement,
      speed: this.#engine?.speed,
      reason: this.#reason,
    };
  }

  /** The engine with `model` loaded (loads it, or swaps models, when needed). */
  async ensure(model: ModelDescriptor): Promise<LocalEngine> {
    if (this.#resolve) {
      const resolved = await this.#resolve(model);
      this.#reason = resolved.reason;
      model = resolved.model;
    }
    const key = `${model.id}|${model.url ?? ''}`;
    const loadedKey = this.#model ? `${this.#model.id}|${this.#model.url ?? ''}` : undefined;
    if (this.#engine && loadedKey === key && this.#state === 'ready') return this.#engine;
    if (this.#loading?.id === key) return this.#loading.promise;
    const previous = this.#engine;
    this.#engine = undefined;
    const promise = (async () => {
      await previous?.unload().catch(() => undefined);
      this.#model = model;
      this.#state = 'loading';
      this.#progress = 0;
      this.#error = undefined;
      // A fresh instance per load: a failed load can leave an engine's worker unusable.
      let engine: LocalEngine;
      try {
        engine = await this.#create(model);
        await engine.load(model, {
          onProgress: (p) => {
            this.#progress = p.totalBytes > 0 ? Math.min(p.loadedBytes / p.totalBytes, 1) : this.#progress;
          },
        });
      } catch (error) {
        this.#state = 'error';
        this.#error = toTierError(error).message;
        throw error;
      }
      this.#engine = engine;
      this.#state = 'ready';
      this.#progress = 1;
      return engine;
    })();
    this.#loading = { id: key, promise };
    try {
      return await promise;
    } finally {
      if (this.#loading?.promise === promise) this.#loading = undefined;
    }
  }

  /**
   * A ghost-text continuation of `before`: aborts the previous suggestion if it still runs, picks a
   * stable window of `before` sized for the measured prefill speed, completes it greedily up to a
   * line break and streams the text so far to `onPartial`.
   */
  async suggest(request: SuggestRequest): Promise<Suggested> {
    if (this.#suggesting !== undefined && this.#suggesting !== request.id) this.cancel(this.#suggesting);
    this.#suggesting = request.id;
    let window = { start: 0, prefix: '' };
    let maxPrefixChars = this.#budget.chars;
    const generate = { id: request.id, model: request.model, maxTokens: request.maxTokens };
    try {
      const out = await this.#run(
        { ...generate, temperature: 0, stop: ['\n'] },
        (engine, options) => {
          maxPrefixChars = this.#budget.update(engine.speed?.prefillTokPerSec ?? this.#prefill);
          window = prefixWindow(request.before, maxPrefixChars);
          return engine.complete(window.prefix, options);
        },
        request.onPartial,
      );
      // Cut off by the token limit: the last word may be half a word; a ghost offers whole ones.
      const text = out.finishReason === 'length' ? dropUnfinishedWord(out.text) : out.text;
      return { ...out, text, prefixChars: window.prefix.length, maxPrefixChars };
    } finally {
      if (this.#suggesting === request.id) this.#suggesting = undefined;
    }
  }

  complete(request: GenerateRequest & { prefix: string }): Promise<Generated> {
    return this.#run(request, (engine, options) => engine.complete(request.prefix, options));
  }

  chat(request: GenerateRequest & { messages: ChatMessage[] }): Promise<Generated> {
    return this.#run(request, (engine, options) => engine.chat(request.messages, options));
  }

  /** Aborts those of `ids` still running or queued (the tab that asked went away); returns how many. */
  abandon(ids: Iterable<string>): number {
    let aborted = 0;
    for (const id of ids) {
      const controller = this.#controllers.get(id);
      if (controller && !controller.signal.aborted) {
        controller.abort();
        aborted += 1;
      }
    }
    return aborted;
  }

  cancel(id: string): boolean {
    const controller = this.#controllers.get(id);
    if (controller) {
      controller.abort();
      return true;
    }
    this.#cancelled.add(id);
    if (this.#cancelled.size > 1000) this.#cancelled.clear();
    return false;
  }

  #run(
    request: GenerateRequest,
    start: (engine: LocalEngine, options: GenerateOptions) => GenerationStream,
    onPartial?: (textSoFar: string) => void,
  ): Promise<Generated> {
    const received = performance.now();
    const controller = new AbortController();
    this.#controllers.set(request.id, controller);
    const job = this.#queue.then(async (): Promise<Generated> => {
      try {
        if (this.#cancelled.delete(request.id) || controller.signal.aborted) {
          this.#aborted += 1;
          throw new AbortError();
        }
        const loadStart = performance.now();
        const engine = await this.ensure(request.model);
        const loadMs = performance.now() - loadStart;
        if (controller.signal.aborted) {
          this.#aborted += 1;
          throw new AbortError();
        }
        const t0 = performance.now();
        this.#generations += 1;
        const stream = start(engine, {
          signal: controller.signal,
          maxTokens: request.maxTokens,
          temperature: request.temperature ?? 0,
          ...(request.stop ? { stop: request.stop } : {}),
          ...(request.jsonSchema ? { jsonSchema: request.jsonSchema } : {}),
        });
        if (onPartial) {
          let soFar = '';
          for await (const delta of stream) {
            soFar += delta;
            if (!controller.signal.aborted) onPartial(soFar);
          }
        }
        const result = await stream.result;
        if (result.finishReason === 'abort') {
          this.#aborted += 1;
          throw new AbortError();
        }
        this.#measure(result.usage.promptTokens, result.timings);
        const { cachedTokens, prefillTokPerSec } = result.timings;
        return {
          text: result.text,
          finishReason: result.finishReason,
          engineMs: performance.now() - t0,
          hostMs: performance.now() - received,
          model: result.model,
          loadMs,
          promptTokens: result.usage.promptTokens,
          ...(cachedTokens !== undefined ? { cachedTokens } : {}),
          ...(prefillTokPerSec !== undefined ? { prefillTokPerSec } : {}),
        };
      } finally {
        this.#controllers.delete(request.id);
      }
    });
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /**
   * Keeps a prefill speed for engines without `speed`: the engine's own figure, else the tokens
   * evaluated (not reused) over the time to the first token. Short evaluations (a few new
   * characters on a reused prefix) say more about per-call overhead than speed: skipped.
   */
  #measure(
    promptTokens: number,
    timings: { ttftMs: number; prefillTokPerSec?: number; cachedTokens?: number },
  ): void {
    const evaluated = promptTokens - (timings.cachedTokens ?? 0);
    if (evaluated < 32) return;
    const speed = timings.prefillTokPerSec ?? (timings.ttftMs > 0 ? (evaluated * 1000) / timings.ttftMs : 0);
    if (speed > 0 && Number.isFinite(speed)) this.#prefill = speed;
  }
}
