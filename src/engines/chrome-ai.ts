/**
 * Chrome's built-in model (Gemini Nano) through the Prompt API (`LanguageModel`), behind the same
 * LocalEngine interface. Zero download through us: Chrome manages the model; `load` only creates a
 * session (reporting Chrome's own download progress when the model is still downloadable).
 *
 * Prompt API limits, and what this adapter does about them:
 * - no raw completion: `complete(prefix)` asks the model to continue the text (capabilities.completion false);
 * - no max-token option: the stream is cut at `maxTokens` (estimated at 4 characters per token) -> 'length';
 * - no logprobs; token counts of the answer are estimates (input tokens come from the session);
 * - JSON: `responseConstraint` (JSON Schema) constrains the answer; it is validated, with one retry.
 */
import {
  AbortError,
  EngineUnavailableError,
  InvalidInputError,
  ModelNotLoadedError,
  NetworkError,
  TierError,
  throwIfAborted,
  toTierError,
} from '../errors.ts';
import { CHROME_AI_MODEL } from './catalog.ts';
import {
  Mutex,
  abortedBeforeStart,
  StopMatcher,
  createGenerationStream,
  jsonRetryInstruction,
  validateWithOneRetry,
} from './stream.ts';
import type {
  ChatMessage,
  EngineCapabilities,
  FinishReason,
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LoadOptions,
  LocalEngine,
  ModelDescriptor,
} from './types.ts';

/** The parts of the Prompt API this adapter uses (Chrome 138+). */
export interface LanguageModelSession {
  promptStreaming(
    input: string,
    options?: { signal?: AbortSignal; responseConstraint?: object },
  ): ReadableStream<string> | AsyncIterable<string>;
  destroy(): void;
  readonly inputUsage?: number;
}

export interface LanguageModelCreateOptions {
  signal?: AbortSignal;
  initialPrompts?: { role: 'system' | 'user' | 'assistant'; content: string }[];
  temperature?: number;
  topK?: number;
  monitor?: (m: EventTarget) => void;
}

export interface LanguageModelStatic {
  availability(options?: object): Promise<string>;
  create(options?: LanguageModelCreateOptions): Promise<LanguageModelSession>;
  params?(): Promise<{
    defaultTopK: number;
    maxTopK: number;
    defaultTemperature: number;
    maxTemperature: number;
  }>;
}

export interface ChromeAiEngineOptions {
  /** The Prompt API entry point (default: the global `LanguageModel`). */
  languageModel?: LanguageModelStatic;
}

const CHARS_PER_TOKEN = 4;

/** Map a Prompt API DOMException to a typed error. */
export function mapPromptApiError(error: unknown): TierError {
  if (error instanceof TierError) return error;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError') return new AbortError(undefined, { cause: error });
  if (name === 'NotSupportedError' || name === 'InvalidStateError')
    return new EngineUnavailableError(
      `Chrome's built-in model cannot run here (${message}). Use another engine.`,
      { cause: error },
    );
  if (name === 'NotAllowedError')
    return new EngineUnavailableError(
      'Chrome needs a click on the page before it downloads its built-in model. Click, then try again, or use another engine.',
      { cause: error },
    );
  if (name === 'QuotaExceededError')
    return new InvalidInputError(
      "The request is too long for Chrome's built-in model. Shorten it or send it to a remote tier.",
      { cause: error },
    );
  if (name === 'NetworkError')
    return new NetworkError(
      `Chrome could not download its built-in model (${message}). Check the connection.`,
      {
        cause: error,
      },
    );
  return toTierError(error);
}

async function* iterate(stream: ReadableStream<string> | AsyncIterable<string>): AsyncGenerator<string> {
  if (Symbol.asyncIterator in stream) {
    yield* stream as AsyncIterable<string>;
    return;
  }
  const reader = (stream as ReadableStream<string>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export class ChromeAiEngine implements LocalEngine {
  readonly capabilities: EngineCapabilities = {
    kind: 'chrome-ai',
    jsonSchema: true,
    logprobs: false,
    completion: false,
    gpu: true,
  };
  model: ModelDescriptor | undefined;
  private readonly lock = new Mutex();
  private readonly options: ChromeAiEngineOptions;

  constructor(options: ChromeAiEngineOptions = {}) {
    this.options = options;
  }

  private api(): LanguageModelStatic {
    const api =
      this.options.languageModel ?? (globalThis as { LanguageModel?: LanguageModelStatic }).LanguageModel;
    if (!api)
      throw new EngineUnavailableError(
        "This browser has no Prompt API (Chrome's built-in model). Use the WebGPU or WebAssembly engine.",
      );
    return api;
  }

  async load(model: ModelDescriptor = CHROME_AI_MODEL, options: LoadOptions = {}): Promise<void> {
    await this.lock.run(async () => {
      const { signal, onProgress } = options;
      throwIfAborted(signal);
      const api = this.api();
      onProgress?.({ phase: 'probe', loadedBytes: 0, totalBytes: 0, fromCache: false });
      let availability: string;
      try {
        availability = await api.availability();
      } catch (error) {
        throw mapPromptApiError(error);
      }
      if (availability === 'unavailable' || availability === 'no')
        throw new EngineUnavailableError(
          "Chrome's built-in model is not available on this device. Use the WebGPU or WebAssembly engine.",
        );
      // Creating a session makes Chrome fetch the model if needed; report its progress (fractions).
      try {
        const session = await api.create({
          ...(signal ? { signal } : {}),
          monitor: (m) =>
            m.addEventListener('downloadprogress', (event) => {
              const e = event as Event & { loaded?: number; total?: number };
              onProgress?.({
                phase: 'download',
                loadedBytes: e.loaded ?? 0,
                totalBytes: e.total ?? 1,
                fromCache: false,
                text: 'Chrome is downloading its built-in model',
              });
            }),
        });
        session.destroy();
      } catch (error) {
        throw mapPromptApiError(error);
      }
      this.model = model;
      onProgress?.({
        phase: 'ready',
        loadedBytes: 0,
        totalBytes: 0,
        fromCache: availability === 'available',
      });
    });
  }

  async unload(): Promise<void> {
    this.model = undefined;
  }

  chat(messages: ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    return this.generate(messages, options);
  }

  /** The Prompt API has no raw completion: ask the model to continue the text. */
  complete(prefix: string, options: GenerateOptions = {}): GenerationStream {
    return this.generate(
      [
        {
          role: 'system',
          content:
            'Continue the text the user gives. Reply with only the continuation, without repeating the text.',
        },
        { role: 'user', content: prefix },
      ],
      options,
    );
  }

  private generate(messages: ChatMessage[], options: GenerateOptions): GenerationStream {
    const schema = options.jsonSchema;
    return createGenerationStream((emit) =>
      this.lock.run(async () => {
        if (!schema) return this.runOnce(messages, options, emit);
        const first = await this.runOnce(messages, options, () => undefined);
        const final = await validateWithOneRetry(first, schema, (problem) =>
          this.runOnce(
            [
              ...messages,
              { role: 'assistant', content: first.text },
              { role: 'user', content: jsonRetryInstruction(schema, problem) },
            ],
            options,
            () => undefined,
          ),
        );
        emit(final.text);
        return final;
      }),
    );
  }

  private async runOnce(
    messages: ChatMessage[],
    options: GenerateOptions,
    emit: (delta: string) => void,
  ): Promise<GenerateResult> {
    const model = this.model;
    if (!model) throw new ModelNotLoadedError();
    if (options.signal?.aborted) return abortedBeforeStart(model.id);
    const last = messages.at(-1);
    if (!last || last.role !== 'user')
      throw new InvalidInputError('The last message must come from the user.');
    const api = this.api();
    const internal = new AbortController();
    const onAbort = (): void => internal.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    let session: LanguageModelSession | undefined;
    let text = '';
    let firstAt = 0;
    let finish: FinishReason = 'stop';
    const maxChars = (options.maxTokens ?? 256) * CHARS_PER_TOKEN;
    const stopper = new StopMatcher(options.stop);
    try {
      const temperature = options.temperature ?? 0;
      session = await api.create({
        signal: internal.signal,
        initialPrompts: messages.slice(0, -1).map((m) => ({ role: m.role, content: m.content })),
        // The Prompt API takes temperature and topK together; topK 1 is greedy.
        temperature,
        topK: temperature === 0 ? 1 : 40,
      });
      const stream = session.promptStreaming(last.content, {
        signal: internal.signal,
        ...(options.jsonSchema ? { responseConstraint: options.jsonSchema } : {}),
      });
      for await (const delta of iterate(stream)) {
        if (!delta) continue;
        if (firstAt === 0) firstAt = performance.now();
        let piece = stopper.push(delta);
        if (text.length + piece.length > maxChars) {
          piece = piece.slice(0, maxChars - text.length);
          finish = 'length';
        }
        text += piece;
        emit(piece);
        if (stopper.stopped || finish === 'length') {
          internal.abort();
          break;
        }
      }
    } catch (error) {
      const mapped = mapPromptApiError(error);
      if (!(mapped instanceof AbortError) || !options.signal?.aborted) throw mapped;
      finish = 'abort';
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted && finish !== 'length' && !stopper.stopped) finish = 'abort';
    if (!stopper.stopped && finish !== 'length') {
      const rest = stopper.flush();
      text += rest;
      emit(rest);
    }
    const promptTokens =
      session?.inputUsage ?? Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / CHARS_PER_TOKEN);
    session?.destroy();
    const totalMs = performance.now() - started;
    const ttftMs = firstAt === 0 ? totalMs : firstAt - started;
    const completionTokens = Math.ceil(text.length / CHARS_PER_TOKEN);
    return {
      text,
      finishReason: finish,
      usage: { promptTokens, completionTokens },
      timings: {
        ttftMs,
        totalMs,
        decodeTokPerSec:
          totalMs > ttftMs && completionTokens > 1 ? ((completionTokens - 1) * 1000) / (totalMs - ttftMs) : 0,
      },
      model: model.id,
    };
  }
}

export function createChromeAiEngine(options: ChromeAiEngineOptions = {}): LocalEngine {
  return new ChromeAiEngine(options);
}
