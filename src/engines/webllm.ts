/**
 * The WebGPU engine: MLC WebLLM (@mlc-ai/web-llm 0.2.86, the only file that imports it besides
 * webllm-worker.ts). It runs in a dedicated Web Worker (webllm-worker.ts), in pages and in the
 * extension's offscreen engine host alike (docs/adr/0002-extension-engine-host.md), so extension/ never
 * imports web-llm.
 *
 * - Model: Llama-3.2-1B-Instruct by default, 3B selectable; a q4f16_1 model is swapped for its
 *   q4f32_1 twin when the adapter lacks `shader-f16`.
 * - Weights cached in IndexedDB (`cacheBackend: 'indexeddb'`); model and library URLs overridable
 *   (a model URL without `/resolve/<x>/` gets `resolve/main/`, as web-llm itself would).
 * - JSON: `response_format: {type: 'json_object', schema}` (grammar-constrained), validated, one retry.
 * - Abort -> `interruptGenerate()`; finish reason 'abort' with the text so far.
 * - Errors (worker errors arrive as strings "Name: message") are mapped to typed errors by prefix.
 *   After a device loss the engine reloads the model on next use.
 */
import {
  WebWorkerMLCEngine,
  deleteModelAllInfoInCache,
  hasModelInCache,
  type AppConfig,
  type ChatCompletionChunk,
  type ChatCompletionMessageParam,
  type Completion,
  type InitProgressReport,
  type MLCEngineConfig,
  type MLCEngineInterface,
} from '@mlc-ai/web-llm';
import {
  AbortError,
  DeviceLostError,
  EngineUnavailableError,
  InvalidInputError,
  ModelCorruptError,
  ModelNotLoadedError,
  NetworkError,
  NotFoundError,
  OutOfMemoryError,
  QuotaExceededError,
  TierError,
  WebGPUUnavailableError,
  throwIfAborted,
} from '../errors.ts';
import { WEBLLM_MODELS, withModelUrls } from './catalog.ts';
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
  LoadProgress,
  LocalEngine,
  ModelDescriptor,
  TokenLogprob,
} from './types.ts';

export type { MLCEngineInterface } from '@mlc-ai/web-llm';

export interface WebLLMEngineOptions {
  /**
   * Where web-llm runs: 'worker' (default: a dedicated Web Worker) or a factory (tests pass a fake
   * MLCEngineInterface).
   */
  host?: 'worker' | ((config: MLCEngineConfig) => MLCEngineInterface);
  /** Does the adapter have shader-f16? (default: asks navigator.gpu). */
  shaderF16?: () => Promise<boolean>;
  /** 'indexeddb' (default) or web-llm's Cache API backend. */
  cacheBackend?: 'indexeddb' | 'cache';
}

/** Map a web-llm error (an Error or a worker's "Name: message" string) to a typed error. */
export function mapWebLLMError(error: unknown): TierError {
  if (error instanceof TierError) return error;
  const text =
    typeof error === 'string'
      ? error
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : typeof error === 'object' && error !== null && 'content' in error
          ? String((error as { content: unknown }).content)
          : String(error);
  const name = /^\s*(?:Error:\s*)?([A-Za-z0-9]+(?:Error|Exception))\b/.exec(text)?.[1] ?? '';
  const options = { cause: error, data: { webllm: name || undefined } };
  const detail = text.slice(0, 300);
  if (name === 'DeviceLostError' || /device (?:was )?lost/i.test(text))
    return new DeviceLostError(undefined, options);
  if (
    name === 'WebGPUNotAvailableError' ||
    name === 'WebGPUNotFoundError' ||
    /WebGPU is not supported/i.test(text)
  )
    return new WebGPUUnavailableError(undefined, options);
  if (name === 'ShaderF16SupportError' || name === 'FeatureSupportError')
    return new WebGPUUnavailableError(
      `This GPU lacks a WebGPU feature the model needs (${detail}). Use the q4f32_1 variant or the WebAssembly engine.`,
      options,
    );
  if (name === 'QuotaExceededError' || /quota/i.test(text))
    return new QuotaExceededError(
      `The browser refused to store the model (${detail}). Free up disk space or delete cached models.`,
      options,
    );
  if (/out of memory|\bOOM\b|allocation failed/i.test(text)) return new OutOfMemoryError(undefined, options);
  if (name === 'AbortError') return new AbortError(undefined, options);
  if (['ModelNotLoadedError', 'WorkerEngineModelNotLoadedError', 'EngineNotLoadedError'].includes(name))
    return new ModelNotLoadedError(undefined, options);
  if (name === 'ModelNotFoundError')
    return new NotFoundError(
      `The model is not in web-llm's model list (${detail}). Check the model id.`,
      options,
    );
  if (name === 'IntegrityError' || name === 'ArtifactManifestError')
    return new ModelCorruptError(
      `The downloaded model files are corrupt (${detail}). Delete the model from the cache and download it again.`,
      options,
    );
  if (
    name === 'NetworkError' ||
    /Failed to fetch|NetworkError|network error|ERR_INTERNET|Network response was not ok|Failed to store/i.test(
      text,
    )
  )
    return new NetworkError(
      `Could not download the model (${detail}). Check the connection or the model URL.`,
      options,
    );
  if (/ResponseFormat|Grammar|ContextWindowSizeExceeded|UnsupportedRole|MessageOrder|ContentType/.test(name))
    return new InvalidInputError(`web-llm rejected the request (${detail}).`, options);
  return new EngineUnavailableError(
    `The WebGPU engine failed (${detail}). Try again or use another engine.`,
    options,
  );
}

async function adapterHasShaderF16(): Promise<boolean> {
  const gpu = (
    globalThis.navigator as Navigator & {
      gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> };
    }
  )?.gpu;
  if (!gpu) throw new WebGPUUnavailableError();
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new WebGPUUnavailableError();
  return adapter.features.has('shader-f16');
}

/** The q4f32_1 twin of a q4f16_1 model when the adapter cannot run f16 shaders. */
export function variantFor(model: ModelDescriptor, shaderF16: boolean): ModelDescriptor {
  if (shaderF16 || !model.id.includes('q4f16_1')) return model;
  const twinId = model.id.replace('q4f16_1', 'q4f32_1');
  const twin = WEBLLM_MODELS.find((m) => m.id === twinId);
  const base = twin ?? {
    ...model,
    id: twinId,
    label: model.label.replace('q4f16', 'q4f32'),
    url: model.url?.replace('q4f16_1', 'q4f32_1'),
    libUrl: model.libUrl?.replace('q4f16_1', 'q4f32_1'),
  };
  // Keep self-hosted URLs pointing at the same host.
  if (twin && model.url && !model.url.startsWith('https://huggingface.co/mlc-ai/')) {
    return withModelUrls(twin, {
      url: model.url.replace('q4f16_1', 'q4f32_1'),
      ...(model.libUrl ? { libUrl: model.libUrl.replace('q4f16_1', 'q4f32_1') } : {}),
    });
  }
  return base;
}

/** web-llm's app config for one model (cacheBackend, self-hosting rule). */
export function appConfigFor(
  model: ModelDescriptor,
  cacheBackend: 'indexeddb' | 'cache' = 'indexeddb',
): AppConfig {
  if (!model.url || !model.libUrl) {
    throw new InvalidInputError(
      `The WebLLM model "${model.id}" needs both a weights URL and a model library URL.`,
    );
  }
  const fixed = withModelUrls(model, { url: model.url, libUrl: model.libUrl });
  const context = (model as { contextWindow?: number }).contextWindow;
  return {
    model_list: [
      {
        model: fixed.url ?? model.url,
        model_id: model.id,
        model_lib: fixed.libUrl ?? model.libUrl,
        vram_required_MB: model.memoryBytes / (1024 * 1024),
        low_resource_required: true,
        ...(model.id.includes('q4f16') ? { required_features: ['shader-f16'] } : {}),
        ...(context ? { overrides: { context_window_size: context } } : {}),
      },
    ],
    cacheBackend,
  };
}

function progressFrom(report: InitProgressReport, model: ModelDescriptor): LoadProgress {
  const total = model.sizeBytes;
  const loaded = Math.round(Math.max(0, Math.min(1, report.progress)) * total);
  const text = report.text;
  if (/from cache/i.test(text))
    return { phase: 'cache-read', loadedBytes: loaded, totalBytes: total, fromCache: true, text };
  if (/shader|compil|GPU/i.test(text) && !/fetch/i.test(text))
    return { phase: 'compile', loadedBytes: loaded, totalBytes: total, fromCache: false, text };
  return { phase: 'download', loadedBytes: loaded, totalBytes: total, fromCache: false, text };
}

type Input = { kind: 'chat'; messages: ChatMessage[] } | { kind: 'complete'; prefix: string };

export class WebLLMEngine implements LocalEngine {
  readonly capabilities: EngineCapabilities = {
    kind: 'webllm',
    jsonSchema: true,
    logprobs: true,
    completion: true,
    gpu: true,
  };
  model: ModelDescriptor | undefined;
  private engine: MLCEngineInterface | undefined;
  private needsReload = false;
  private readonly lock = new Mutex();
  private readonly options: WebLLMEngineOptions;

  constructor(options: WebLLMEngineOptions = {}) {
    this.options = options;
  }

  private createEngine(config: MLCEngineConfig): MLCEngineInterface {
    const host = this.options.host ?? 'worker';
    if (typeof host === 'function') return host(config);
    const worker = new Worker(new URL('./webllm-worker.ts', import.meta.url), { type: 'module' });
    return new WebWorkerMLCEngine(worker, config);
  }

  async load(requested: ModelDescriptor, options: LoadOptions = {}): Promise<void> {
    await this.lock.run(async () => {
      const { signal, onProgress } = options;
      throwIfAborted(signal);
      onProgress?.({ phase: 'probe', loadedBytes: 0, totalBytes: requested.sizeBytes, fromCache: false });
      let shaderF16: boolean;
      try {
        shaderF16 = await (this.options.shaderF16 ?? adapterHasShaderF16)();
      } catch (error) {
        throw mapWebLLMError(error);
      }
      const model = variantFor(requested, shaderF16);
      if (this.engine && this.model?.id === model.id && !this.needsReload) return;
      const appConfig = appConfigFor(model, this.options.cacheBackend ?? 'indexeddb');
      const config: MLCEngineConfig = {
        appConfig,
        initProgressCallback: (report) => onProgress?.(progressFrom(report, model)),
        logLevel: 'WARN',
      };
      if (!this.engine) this.engine = this.createEngine(config);
      else {
        this.engine.setAppConfig(appConfig);
        this.engine.setInitProgressCallback(config.initProgressCallback as (r: InitProgressReport) => void);
      }
      const engine = this.engine;
      const onAbort = (): void => void engine.unload().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await engine.reload(model.id);
      } catch (error) {
        this.model = undefined;
        if (signal?.aborted) throw new AbortError(undefined, { cause: error });
        throw mapWebLLMError(error);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      throwIfAborted(signal);
      this.model = model;
      this.needsReload = false;
      onProgress?.({
        phase: 'ready',
        loadedBytes: model.sizeBytes,
        totalBytes: model.sizeBytes,
        fromCache: false,
      });
    });
  }

  async unload(): Promise<void> {
    await this.lock.run(async () => {
      const engine = this.engine;
      this.model = undefined;
      if (engine) await engine.unload().catch(() => undefined);
    });
  }

  chat(messages: ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    return this.generate({ kind: 'chat', messages }, options);
  }

  complete(prefix: string, options: GenerateOptions = {}): GenerationStream {
    return this.generate({ kind: 'complete', prefix }, options);
  }

  private generate(input: Input, options: GenerateOptions): GenerationStream {
    const schema = options.jsonSchema;
    return createGenerationStream((emit) =>
      this.lock.run(async () => {
        await this.reloadIfLost();
        if (!schema) return this.runOnce(input, options, emit);
        const first = await this.runOnce(input, options, () => undefined);
        const final = await validateWithOneRetry(first, schema, (problem) =>
          this.runOnce(
            input.kind === 'chat'
              ? {
                  kind: 'chat',
                  messages: [
                    ...input.messages,
                    { role: 'assistant', content: first.text },
                    { role: 'user', content: jsonRetryInstruction(schema, problem) },
                  ],
                }
              : input,
            options,
            () => undefined,
          ),
        );
        emit(final.text);
        return final;
      }),
    );
  }

  /** After a device loss the GPU state is gone: reload the same model before the next request. */
  private async reloadIfLost(): Promise<void> {
    if (!this.needsReload || !this.engine || !this.model) return;
    try {
      await this.engine.reload(this.model.id);
      this.needsReload = false;
    } catch (error) {
      throw mapWebLLMError(error);
    }
  }

  private async runOnce(
    input: Input,
    options: GenerateOptions,
    emit: (delta: string) => void,
  ): Promise<GenerateResult> {
    const engine = this.engine;
    const model = this.model;
    if (!engine || !model) throw new ModelNotLoadedError();
    if (options.signal?.aborted) return abortedBeforeStart(model.id);
    const onAbort = (): void => engine.interruptGenerate();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stopper = new StopMatcher(options.stop);
    const started = performance.now();
    let firstAt = 0;
    let text = '';
    let finish: FinishReason = 'stop';
    let usage = { promptTokens: 0, completionTokens: 0 };
    let decodeRate = 0;
    let ttftFromEngine = 0;
    const logprobs: TokenLogprob[] = [];
    const common = {
      stream: true as const,
      stream_options: { include_usage: true },
      max_tokens: options.maxTokens ?? 256,
      temperature: options.temperature ?? 0,
      ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.stop?.length ? { stop: options.stop } : {}),
    };
    try {
      let chunks: AsyncIterable<ChatCompletionChunk | Completion>;
      if (input.kind === 'chat') {
        chunks = await engine.chat.completions.create({
          ...common,
          messages: input.messages as ChatCompletionMessageParam[],
          ...(options.logprobs ? { logprobs: true, top_logprobs: 1 } : {}),
          ...(options.jsonSchema
            ? {
                response_format: { type: 'json_object' as const, schema: JSON.stringify(options.jsonSchema) },
              }
            : {}),
        });
      } else {
        chunks = await engine.completions.create({
          ...common,
          prompt: input.prefix,
          ...(options.logprobs ? { logprobs: true, top_logprobs: 1 } : {}),
        });
      }
      for await (const chunk of chunks) {
        const choice = chunk.choices[0] as
          | {
              delta?: { content?: string | null };
              text?: string;
              finish_reason?: string | null;
              logprobs?: { content?: { token: string; logprob: number }[] | null } | null;
            }
          | undefined;
        const delta = choice?.delta?.content ?? choice?.text ?? '';
        for (const lp of choice?.logprobs?.content ?? [])
          logprobs.push({ token: lp.token, logprob: lp.logprob });
        if (choice?.finish_reason === 'length') finish = 'length';
        if (choice?.finish_reason === 'abort') finish = 'abort';
        if (chunk.usage) {
          usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
          };
          const extra = (
            chunk.usage as { extra?: { decode_tokens_per_s?: number; time_to_first_token_s?: number } }
          ).extra;
          decodeRate = extra?.decode_tokens_per_s ?? decodeRate;
          ttftFromEngine = (extra?.time_to_first_token_s ?? 0) * 1000;
        }
        if (delta && !stopper.stopped) {
          if (firstAt === 0) firstAt = performance.now();
          const out = stopper.push(delta);
          text += out;
          emit(out);
          if (stopper.stopped) engine.interruptGenerate();
        }
      }
    } catch (error) {
      const mapped = mapWebLLMError(error);
      if (mapped instanceof DeviceLostError) this.needsReload = true;
      if (!(options.signal?.aborted || stopper.stopped)) throw mapped;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted && !stopper.stopped) finish = 'abort';
    if (stopper.stopped) finish = 'stop';
    else {
      const rest = stopper.flush();
      text += rest;
      emit(rest);
    }
    const totalMs = performance.now() - started;
    const ttftMs = ttftFromEngine || (firstAt === 0 ? totalMs : firstAt - started);
    return {
      text,
      finishReason: finish,
      usage,
      timings: { ttftMs, totalMs, decodeTokPerSec: decodeRate },
      ...(options.logprobs && logprobs.length > 0 ? { logprobs } : {}),
      model: model.id,
    };
  }
}

/**
 * Is this WebLLM model in web-llm's own cache (IndexedDB by default)? web-llm reads the model's
 * tensor-cache.json manifest for this (from the cache, or fetched when absent: a few KB, never the
 * weights). Unreachable manifest = not cached.
 */
export async function isWebLLMModelCached(
  model: ModelDescriptor,
  cacheBackend: 'indexeddb' | 'cache' = 'indexeddb',
): Promise<boolean> {
  try {
    return await hasModelInCache(model.id, appConfigFor(model, cacheBackend));
  } catch (error) {
    const mapped = mapWebLLMError(error);
    if (mapped instanceof NetworkError) return false;
    throw mapped;
  }
}

/**
 * Delete a WebLLM model's weights, config and library from web-llm's cache. When the manifest is
 * neither cached nor reachable there are no shards it could list, so there is nothing to delete.
 */
export async function deleteWebLLMModel(
  model: ModelDescriptor,
  cacheBackend: 'indexeddb' | 'cache' = 'indexeddb',
): Promise<void> {
  try {
    await deleteModelAllInfoInCache(model.id, appConfigFor(model, cacheBackend));
  } catch (error) {
    const mapped = mapWebLLMError(error);
    if (!(mapped instanceof NetworkError)) throw mapped;
  }
}

export function createWebLLMEngine(options: WebLLMEngineOptions = {}): LocalEngine {
  return new WebLLMEngine(options);
}
