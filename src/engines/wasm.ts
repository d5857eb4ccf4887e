/**
 * The GGUF engine: llama.cpp through @wllama/wllama, in WebAssembly on the CPU, and on the GPU through
 * llama.cpp's WebGPU backend where that backend takes the adapter (see wasm-webgpu.ts). This file is
 * the only importer of @wllama/wllama. DOM/worker globals only (runs in pages, workers and extension
 * documents; not in Node).
 *
 * - Runs GGUF models (default: Llama-3.2-1B-Instruct Q4_K_M, see catalog.ts), fetched with byte-level
 *   progress into the {@link ModelCache} when one is given (so later loads work offline).
 * - Single-threaded unless the page is cross-origin isolated (multi-threaded wasm needs
 *   SharedArrayBuffer); then one thread per core (wasm-threads.ts).
 * - GPU (`gpu: 'auto'`): all layers are offered to WebGPU when the backend is predicted to accept a
 *   hardware adapter; where they really ran is read from llama.cpp's log into `placement`.
 * - Prompt reuse: llama-server's single slot keeps the evaluated KV cache between calls
 *   (`cache_prompt`), so a prefix that extends the previous one evaluates only the new tokens;
 *   `timings.cachedTokens` says how many were reused. An aborted generation keeps the cache too.
 * - `speed`: running medians of the last generations' prefill and decode rates (wasm-speed.ts).
 * - CPU widening: a model whose descriptor says `cpuWiden: 'f32'` (the small SmolLM2 Q8_0 files) is
 *   widened to F32 on the device when it runs on the CPU (gguf-widen.ts): llama.cpp's wasm int8
 *   kernels are slow, F32 runs at memory speed (135M: 196 ms a ghost-text step against 304 ms). The
 *   placement note says so. Too little memory, or any failure of the widened file, falls back to the
 *   original file with a note: widening never fails a load. `widen: 'off'` turns it off.
 * - JSON output: decoding is constrained with llama.cpp's schema grammar, then the answer is validated
 *   against the schema anyway, with one retry.
 * - A model that fails to load leaves no broken state: the worker is torn down and the next `load`
 *   starts a fresh wllama instance.
 */
import { Wllama, WllamaAbortError, WllamaError } from '@wllama/wllama';
// `no-inline`: the components build is a library build, which would otherwise inline 10 MB as base64.
import defaultWasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url&no-inline';
import {
  AbortError,
  EngineUnavailableError,
  ModelCorruptError,
  ModelNotLoadedError,
  OutOfMemoryError,
  TierError,
  InvalidInputError,
  throwIfAborted,
  toTierError,
} from '../errors.ts';
import { fetchModelBlob } from './download.ts';
import { cpuWidenProblem, widenGguf, type WidenResult } from './gguf-widen.ts';
import { LlamaLog, describePlacement, parseLlamaLog } from './wasm-log.ts';
import { SpeedTracker } from './wasm-speed.ts';
import { defaultWasmThreads } from './wasm-threads.ts';
import { checkGgufWebgpu, navigatorGpu, type GgufWebgpuVerdict } from './wasm-webgpu.ts';
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
  EnginePlacement,
  EngineSpeed,
  FinishReason,
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LoadOptions,
  LocalEngine,
  ModelDescriptor,
  TokenLogprob,
} from './types.ts';

/** Where model bytes come from: the model cache implements this (download once, then offline). */
export interface ModelSource {
  open(model: ModelDescriptor, options: LoadOptions): Promise<Blob>;
}

export interface WasmEngineOptions {
  /** URL of wllama.wasm (default: the file shipped in the package, resolved by the bundler). */
  wasmUrl?: string;
  /** Threads (default: 1 unless cross-origin isolated, then hardwareConcurrency - 1, at most 4). */
  threads?: number;
  /** Context window in tokens (default 2048). */
  contextSize?: number;
  /** Where to get model bytes (default: plain download without cache). */
  source?: ModelSource;
  /** Log llama.cpp output to the console (default false; it is captured for `placement` either way). */
  verbose?: boolean;
  /**
   * GGUF on WebGPU. 'auto' (default): offload every layer when llama.cpp's WebGPU backend is predicted
   * to accept a hardware adapter (wasm-webgpu.ts); 'on': offer every layer whatever the prediction
   * (llama.cpp still decides; benchmarks); 'off': CPU only.
   */
  gpu?: 'auto' | 'on' | 'off';
  /**
   * Widening on the CPU. 'auto' (default): a model with `cpuWiden: 'f32'` that runs on the CPU is
   * widened to F32 when the device has the memory (cpuWidenProblem in gguf-widen.ts); 'off': load
   * the file as it is (tests, bench comparisons).
   */
  widen?: 'auto' | 'off';
  /** Device memory in GB (default `navigator.deviceMemory`; tests inject small devices). */
  deviceMemoryGB?: number;
  /**
   * How long a multi-threaded model load may take before it counts as stalled and is retried on one
   * thread (default `loadStallMs(file size)`). Firefox now and then never finishes starting wllama's
   * threads; without this the page would say "Preparing the model" forever.
   */
  loadStallMs?: number;
}

/** The default stall bound: 20 s plus 1 s per 10 MB of weights (a 1.3 GB model gets 2.5 minutes). */
export function loadStallMs(bytes: number): number {
  return 20_000 + Math.ceil(bytes / (10 * MB)) * 1000;
}

/** Per-call options the wasm engine understands beyond the shared ones. */
export interface WasmGenerateOptions extends GenerateOptions {
  /** Keep generating past end-of-generation tokens up to maxTokens (decode timing on random weights). */
  ignoreEos?: boolean;
}

/** True when `work` has not settled within `ms` (its own rejection is left to the caller). */
async function stalls(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  try {
    return await Promise.race([
      work.then(
        () => false,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Threads to use: >1 only when SharedArrayBuffer works (cross-origin isolated). */
export function defaultThreads(): number {
  return defaultWasmThreads();
}

/** Layers to offer the GPU when offloading: more than any model has (llama.cpp clamps it). */
const ALL_LAYERS = 999;

const MB = 1024 * 1024;

/** The weights a load ends up with on the CPU, and what the placement note says about them. */
interface CpuWeights {
  blob: Blob;
  widened?: WidenResult;
  note?: string;
}

/** Map anything wllama throws to a typed error. */
export function mapWllamaError(error: unknown, phase: 'load' | 'generate'): TierError {
  if (error instanceof TierError) return error;
  if (error instanceof WllamaAbortError) return new AbortError(undefined, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  if (/out of memory|OOM|Cannot enlarge memory|allocation failed|Aborted\(OOM\)/i.test(message)) {
    return new OutOfMemoryError(undefined, { cause: error });
  }
  if (phase === 'load') {
    return new ModelCorruptError(
      `The model file could not be loaded (${message.slice(0, 200)}). It may be truncated or not a GGUF file: delete it from the model cache and download it again.`,
      { cause: error, data: { wllama: error instanceof WllamaError ? error.type : undefined } },
    );
  }
  if (/context|too long|exceed/i.test(message)) {
    return new InvalidInputError(
      `The request does not fit the model's context window (${message.slice(0, 200)}). Shorten it or send it to a remote tier.`,
      { cause: error },
    );
  }
  return toTierError(error);
}

interface RawChunk {
  choices?: {
    delta?: { content?: string | null };
    text?: string;
    finish_reason?: string | null;
    logprobs?: { content?: { token: string; logprob: number }[] | null } | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  timings?: {
    prompt_n?: number;
    prompt_ms?: number;
    cache_n?: number;
    predicted_n?: number;
    predicted_ms?: number;
    predicted_per_second?: number;
  };
  completion_probabilities?: { token?: string; logprob?: number }[];
}

export class WasmEngine implements LocalEngine {
  readonly capabilities: EngineCapabilities = {
    kind: 'wasm',
    jsonSchema: true,
    logprobs: true,
    completion: true,
    gpu: false,
  };
  model: ModelDescriptor | undefined;
  /** Where the loaded model runs, as llama.cpp reported it (undefined before a load). */
  placement: EnginePlacement | undefined;
  /** The weight type llama.cpp reported for the loaded file, e.g. 'Q8_0' or 'all F32'. */
  weightType: string | undefined;
  private wllama: Wllama | undefined;
  private readonly lock = new Mutex();
  private readonly options: WasmEngineOptions;
  private readonly tracker = new SpeedTracker();
  private log: LlamaLog | undefined;
  /** Set when a multi-threaded load stalled and the model was loaded on one thread instead. */
  private stallNote: string | undefined;

  constructor(options: WasmEngineOptions = {}) {
    this.options = options;
  }

  /** Threads the loaded model runs with (what llama.cpp reported once loaded). */
  get threads(): number {
    return (
      this.placement?.threads ?? this.wllama?.getNumThreads() ?? this.options.threads ?? defaultThreads()
    );
  }

  /** Running medians of the last generations on the loaded model (undefined until one ran). */
  get speed(): EngineSpeed | undefined {
    return this.tracker.speed;
  }

  /** The last lines llama.cpp printed (for diagnostics; they are not shown unless `verbose`). */
  get nativeLog(): readonly string[] {
    return this.log?.lines ?? [];
  }

  async load(model: ModelDescriptor, options: LoadOptions = {}): Promise<void> {
    await this.lock.run(() => this.loadLocked(model, options));
  }

  private async loadLocked(model: ModelDescriptor, options: LoadOptions): Promise<void> {
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    if (this.model?.id === model.id && this.model.url === model.url && this.wllama) return;
    await this.unloadLocked();
    if (!model.url) {
      throw new InvalidInputError(`The model "${model.id}" has no URL. Give a GGUF URL to the wasm engine.`);
    }
    onProgress?.({ phase: 'probe', loadedBytes: 0, totalBytes: model.sizeBytes, fromCache: false });
    // From the cache only when nothing had to be downloaded first.
    let fromCache = false;
    let downloaded = false;
    const blob = this.options.source
      ? await this.options.source.open(model, {
          ...(signal ? { signal } : {}),
          onProgress: (p) => {
            if (p.phase === 'download') downloaded = true;
            fromCache = p.fromCache && !downloaded;
            onProgress?.({ ...p, fromCache });
          },
        })
      : await fetchModelBlob(model.url, {
          signal,
          expectedBytes: model.sizeBytes,
          onProgress: (p) => onProgress?.({ phase: 'download', ...p, fromCache: false }),
        });
    throwIfAborted(signal);
    onProgress?.({ phase: 'compile', loadedBytes: blob.size, totalBytes: blob.size, fromCache });
    if (blob.size < 8 || !(await isGguf(blob))) {
      throw new ModelCorruptError(
        `"${model.id}" is not a GGUF model file (bad header). Check the model URL, or delete it from the model cache and download it again.`,
        { data: { modelId: model.id, sizeBytes: blob.size } },
      );
    }
    const threads = this.options.threads ?? defaultThreads();
    const mode = this.options.gpu ?? 'auto';
    const verdict: GgufWebgpuVerdict | undefined =
      mode === 'off' ? undefined : await checkGgufWebgpu(navigatorGpu());
    throwIfAborted(signal);
    const offload = mode === 'on' || (mode === 'auto' && verdict?.recommended === true);
    // Native logs are always captured (placement is read from them), shown only when verbose.
    let log = new LlamaLog(this.options.verbose === true);
    let wllama: Wllama;
    let gpuFailure: string | undefined;
    let weights: CpuWeights | undefined;
    const onCpu = async (): Promise<Wllama> => {
      weights = await this.cpuWeights(model, blob, { signal, onProgress, fromCache });
      if (!weights.widened) return this.start(model, blob, threads, 0, log);
      try {
        return await this.start(model, weights.blob, threads, 0, log);
      } catch (error) {
        // Never fail a load because of widening: the original file is the answer.
        if (error instanceof AbortError) throw error;
        if (signal?.aborted) throw new AbortError(undefined, { cause: error });
        const message = error instanceof Error ? error.message : String(error);
        weights = {
          blob,
          note: `kept ${this.widenedFrom(weights)} weights: the F32 file failed to load (${message.slice(0, 160)})`,
        };
        log = new LlamaLog(this.options.verbose === true);
        onProgress?.({ phase: 'compile', loadedBytes: blob.size, totalBytes: blob.size, fromCache });
        return this.start(model, blob, threads, 0, log);
      }
    };
    try {
      wllama = offload ? await this.start(model, blob, threads, ALL_LAYERS, log) : await onCpu();
    } catch (error) {
      // A device the backend could not create aborts the wasm: the CPU path still works.
      if (!offload || error instanceof EngineUnavailableError || error instanceof ModelCorruptError)
        throw error;
      const message =
        parseLlamaLog(log.lines).gpuError ?? (error instanceof Error ? error.message : String(error));
      gpuFailure = `llama.cpp's WebGPU backend failed (${message.slice(0, 200)})`;
      log = new LlamaLog(this.options.verbose === true);
      wllama = await onCpu();
    }
    if (signal?.aborted) {
      await wllama.exit().catch(() => undefined);
      throw new AbortError();
    }
    const info = wllama.getLoadedContextInfo() as { n_layer?: number };
    const whyNotGpu =
      gpuFailure ??
      (mode === 'off'
        ? 'GGUF on WebGPU is turned off in the settings'
        : offload
          ? verdict?.accepted === false
            ? verdict.reason
            : undefined
          : verdict?.reason);
    const logged = parseLlamaLog(log.lines);
    const placement = describePlacement(logged, {
      ...(info.n_layer !== undefined ? { modelLayers: info.n_layer } : {}),
      askedThreads: threads,
      gpuAsked: offload && gpuFailure === undefined,
      isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      ...(whyNotGpu ? { whyNotGpu } : {}),
    });
    const notes = [placement.note, placement.device === 'cpu' ? weights?.note : undefined, this.stallNote];
    this.placement = { ...placement, note: notes.filter(Boolean).join('; ') };
    this.stallNote = undefined;
    this.weightType = logged.fileType;
    this.capabilities.gpu = this.placement.device === 'gpu';
    log.clear();
    this.log = log;
    this.tracker.reset();
    this.wllama = wllama;
    this.model = model;
    onProgress?.({ phase: 'ready', loadedBytes: blob.size, totalBytes: blob.size, fromCache });
  }

  /**
   * The file to load on the CPU: widened to F32 when the model opts in (`cpuWiden`), the engine
   * allows it and the device has the memory; else the original, with a note saying why when widening
   * was wanted. Widening reads only the header here; the weights are converted as llama.cpp reads
   * them, reported as the 'compile' phase ("preparing") with byte progress.
   */
  private async cpuWeights(
    model: ModelDescriptor,
    blob: Blob,
    context: { signal: AbortSignal | undefined; onProgress: LoadOptions['onProgress']; fromCache: boolean },
  ): Promise<CpuWeights> {
    if (model.cpuWiden !== 'f32' || this.options.widen === 'off') return { blob };
    const { signal, onProgress, fromCache } = context;
    const text = 'Widening the weights to F32 for CPU speed';
    let widened: WidenResult;
    try {
      widened = await widenGguf(blob, {
        ...(signal ? { signal } : {}),
        onProgress: (done, total) =>
          onProgress?.({ phase: 'compile', loadedBytes: done, totalBytes: total, fromCache, text }),
      });
    } catch (error) {
      if (error instanceof AbortError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return { blob, note: `weights not widened to F32 (${message.slice(0, 160)})` };
    }
    if (widened.widened.length === 0) return { blob };
    const from = this.widenedFrom({ blob, widened });
    // The catalog's memory figure counts the F32 weights with the KV cache (the probe checks the same).
    const problem = cpuWidenProblem(
      Math.max(widened.outputBytes, model.memoryBytes),
      this.options.deviceMemoryGB ?? navigatorDeviceMemory(),
    );
    if (problem) return { blob, note: `kept ${from} weights (${problem})` };
    onProgress?.({ phase: 'compile', loadedBytes: 0, totalBytes: widened.outputBytes, fromCache, text });
    return {
      blob: widened.blob,
      widened,
      note: `weights widened from ${from} to F32 for CPU speed (${Math.round(widened.sourceBytes / MB)} MB file, ${Math.round(widened.outputBytes / MB)} MB in memory)`,
    };
  }

  private widenedFrom(weights: CpuWeights): string {
    return weights.widened?.fromTypes.join('/') || 'the quantized';
  }

  /** A fresh wllama with the model loaded, or a typed error (the worker is torn down on failure). */
  private async start(
    model: ModelDescriptor,
    blob: Blob,
    threads: number,
    gpuLayers: number,
    log: LlamaLog,
  ): Promise<Wllama> {
    let wllama: Wllama;
    try {
      wllama = new Wllama({ default: this.options.wasmUrl ?? defaultWasmUrl }, { logger: log.logger });
      // Where JSPI or 64-bit wasm memory is missing, wllama otherwise swaps in a "compat" build fetched
      // from cdn.jsdelivr.net: remote code (refused in extensions, absent offline and in CI). We run our
      // own build everywhere (Firefox gets it anyway: wllama never uses compat there). Issue 18.
      wllama.setCompat(null);
    } catch (error) {
      throw new EngineUnavailableError(
        `The WebAssembly engine cannot start in this browser (${error instanceof Error ? error.message : String(error)}). Use a browser with WebAssembly SIMD and exceptions.`,
        { cause: error },
      );
    }
    let stalled = false;
    try {
      const loading = wllama.loadModel([blob], {
        n_ctx: this.options.contextSize ?? 2048,
        n_threads: threads,
        n_gpu_layers: gpuLayers,
        // One slot: every call lands on the slot holding the previous prompt's KV cache (prompt reuse).
        n_parallel: 1,
      });
      if (threads > 1) {
        const bound = this.options.loadStallMs ?? loadStallMs(blob.size);
        if (await stalls(loading, bound)) {
          // exit() terminates the worker and its threads; the pending load then rejects (ignored).
          loading.catch(() => undefined);
          await wllama.exit().catch(() => undefined);
          this.stallNote = `loading on ${threads} threads did not finish in ${Math.round(bound / 1000)} s, so the model runs on one thread`;
          stalled = true;
        }
      }
      if (!stalled) await loading;
      // wllama resolves even when llama.cpp refused the file; the context info says so.
      const info = stalled
        ? undefined
        : (wllama.getLoadedContextInfo() as { success?: boolean; n_vocab?: number });
      if (info && (info.success === false || !info.n_vocab)) {
        throw new ModelCorruptError(
          `"${model.id}" could not be loaded by llama.cpp: the file is truncated or corrupt. Delete it from the model cache and download it again.`,
          { data: { modelId: model.id, sizeBytes: blob.size } },
        );
      }
    } catch (error) {
      await wllama.exit().catch(() => undefined);
      if (gpuLayers > 0 && !(error instanceof TierError))
        throw error instanceof Error ? error : new Error(String(error));
      throw mapWllamaError(error, 'load');
    }
    return stalled ? this.start(model, blob, 1, gpuLayers, log) : wllama;
  }

  async unload(): Promise<void> {
    await this.lock.run(() => this.unloadLocked());
  }

  private async unloadLocked(): Promise<void> {
    const w = this.wllama;
    this.wllama = undefined;
    this.model = undefined;
    this.placement = undefined;
    this.weightType = undefined;
    this.capabilities.gpu = false;
    this.log = undefined;
    this.tracker.reset();
    if (w) await w.exit().catch(() => undefined);
  }

  chat(messages: ChatMessage[], options: WasmGenerateOptions = {}): GenerationStream {
    return this.generate({ kind: 'chat', messages }, options);
  }

  complete(prefix: string, options: WasmGenerateOptions = {}): GenerationStream {
    return this.generate({ kind: 'complete', prefix }, options);
  }

  /** Label scoring without free generation (see wasm-classify.ts, loaded on first use), under the lock. */
  readonly classify: NonNullable<LocalEngine['classify']> = (text, labels, options = {}) =>
    this.lock.run(async () => {
      const wllama = this.wllama;
      if (!wllama || !this.model) throw new ModelNotLoadedError();
      const { classifyWithWllama } = await import('./wasm-classify.ts');
      try {
        return await classifyWithWllama(wllama, text, labels, options);
      } catch (error) {
        throw mapWllamaError(error, 'generate');
      }
    });

  private generate(
    input: { kind: 'chat'; messages: ChatMessage[] } | { kind: 'complete'; prefix: string },
    options: WasmGenerateOptions,
  ): GenerationStream {
    const schema = options.jsonSchema;
    return createGenerationStream((emit) =>
      this.lock.run(async () => {
        if (!schema) return this.runOnce(input, options, emit);
        // JSON: constrained decoding, answer emitted only once it validates (one retry).
        const first = await this.runOnce(input, options, () => undefined);
        const final = await validateWithOneRetry(first, schema, (problem) => {
          const retryInput =
            input.kind === 'chat'
              ? {
                  kind: 'chat' as const,
                  messages: [
                    ...input.messages,
                    { role: 'assistant' as const, content: first.text },
                    { role: 'user' as const, content: jsonRetryInstruction(schema, problem) },
                  ],
                }
              : input;
          return this.runOnce(retryInput, options, () => undefined);
        });
        emit(final.text);
        return final;
      }),
    );
  }

  private async runOnce(
    input: { kind: 'chat'; messages: ChatMessage[] } | { kind: 'complete'; prefix: string },
    options: WasmGenerateOptions,
    emit: (delta: string) => void,
  ): Promise<GenerateResult> {
    const wllama = this.wllama;
    const model = this.model;
    if (!wllama || !model) throw new ModelNotLoadedError();
    if (options.signal?.aborted) return abortedBeforeStart(model.id);
    const internal = new AbortController();
    const onAbort = (): void => internal.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stopper = new StopMatcher(options.stop);
    const started = performance.now();
    let firstAt = 0;
    let text = '';
    let finish: FinishReason = 'stop';
    let completionTokens = 0;
    let promptTokens = 0;
    let decodeRate = 0;
    let timings: RawChunk['timings'];
    const logprobs: TokenLogprob[] = [];
    const onData = (chunk: RawChunk): void => {
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content ?? choice?.text ?? '';
      for (const lp of choice?.logprobs?.content ?? [])
        logprobs.push({ token: lp.token, logprob: lp.logprob });
      if (chunk.timings) {
        timings = chunk.timings;
        // prompt_n counts only tokens not reused from the KV cache.
        promptTokens = (chunk.timings.prompt_n ?? 0) + (chunk.timings.cache_n ?? 0) || promptTokens;
        completionTokens = chunk.timings.predicted_n ?? completionTokens;
        decodeRate = chunk.timings.predicted_per_second ?? decodeRate;
      }
      if (chunk.usage) {
        promptTokens = chunk.usage.prompt_tokens ?? promptTokens;
        completionTokens = chunk.usage.completion_tokens ?? completionTokens;
      }
      if (choice?.finish_reason === 'length') finish = 'length';
      if (delta && !stopper.stopped) {
        if (firstAt === 0) firstAt = performance.now();
        const out = stopper.push(delta);
        text += out;
        emit(out);
        if (stopper.stopped) internal.abort();
      }
    };
    const common = {
      stream: true as const,
      onData,
      abortSignal: internal.signal,
      max_tokens: options.maxTokens ?? 256,
      temperature: options.temperature ?? 0,
      // Reuse the slot's KV cache for the longest common prefix (llama-server's default, made explicit).
      cache_prompt: true,
      ...(options.ignoreEos ? { ignore_eos: true } : {}),
      ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    };
    try {
      if (input.kind === 'chat') {
        await wllama.createChatCompletion({
          ...common,
          messages: input.messages.map((m) => ({ role: m.role, content: m.content })),
          ...(options.logprobs ? { logprobs: true, top_logprobs: 1 } : {}),
          ...(options.jsonSchema
            ? {
                response_format: {
                  type: 'json_schema' as const,
                  json_schema: { name: 'output', schema: options.jsonSchema, strict: true },
                },
              }
            : {}),
        });
      } else {
        await wllama.createCompletion({
          ...common,
          prompt: input.prefix,
          ...(options.logprobs ? { logprobs: 1 } : {}),
          ...(options.jsonSchema ? ({ json_schema: options.jsonSchema } as Record<string, unknown>) : {}),
        });
      }
    } catch (error) {
      const stoppedByUs = stopper.stopped;
      const aborted = options.signal?.aborted === true;
      if (!stoppedByUs && !aborted) throw mapWllamaError(error, 'generate');
      if (aborted && !stoppedByUs) finish = 'abort';
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted && !stopper.stopped) finish = 'abort';
    if (!stopper.stopped) {
      const rest = stopper.flush();
      text += rest;
      emit(rest);
    } else {
      finish = 'stop';
    }
    const totalMs = performance.now() - started;
    const ttftMs = firstAt === 0 ? totalMs : firstAt - started;
    if (completionTokens === 0 && text) completionTokens = [...text].length;
    if (decodeRate === 0 && completionTokens > 1 && totalMs > ttftMs) {
      decodeRate = ((completionTokens - 1) * 1000) / (totalMs - ttftMs);
    }
    const evaluated = timings?.prompt_n ?? 0;
    const promptMs = timings?.prompt_ms ?? 0;
    const prefillTokPerSec = evaluated > 0 && promptMs > 0 ? (evaluated * 1000) / promptMs : undefined;
    if (timings) {
      this.tracker.record({
        promptTokens: evaluated,
        promptMs,
        predictedTokens: timings.predicted_n ?? 0,
        predictedMs: timings.predicted_ms ?? 0,
      });
    }
    return {
      text,
      finishReason: finish,
      usage: { promptTokens, completionTokens },
      timings: {
        ttftMs,
        totalMs,
        decodeTokPerSec: decodeRate,
        ...(prefillTokPerSec !== undefined ? { prefillTokPerSec } : {}),
        ...(timings?.cache_n !== undefined ? { cachedTokens: timings.cache_n } : {}),
      },
      ...(options.logprobs && logprobs.length > 0 ? { logprobs } : {}),
      model: model.id,
    };
  }
}

function navigatorDeviceMemory(): number | undefined {
  const memory = (globalThis as { navigator?: { deviceMemory?: unknown } }).navigator?.deviceMemory;
  return typeof memory === 'number' ? memory : undefined;
}

async function isGguf(blob: Blob): Promise<boolean> {
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  return head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46;
}

/** The factory other code (components, extension) uses: no wllama types leak out. */
export function createWasmEngine(options: WasmEngineOptions = {}): WasmLocalEngine {
  return new WasmEngine(options);
}

/** The wasm engine as other code sees it: the shared interface plus its own options and figures. */
export interface WasmLocalEngine extends LocalEngine {
  readonly threads: number;
  /** The weight type llama.cpp reported for the loaded file, e.g. 'Q8_0' or 'all F32'. */
  readonly weightType: string | undefined;
  readonly placement: EnginePlacement | undefined;
  readonly speed: EngineSpeed | undefined;
  chat(messages: ChatMessage[], options?: WasmGenerateOptions): GenerationStream;
  complete(prefix: string, options?: WasmGenerateOptions): GenerationStream;
}
