/**
 * llama.cpp's own log lines, captured from wllama whether or not they are shown on the console, and
 * read for where the model really runs (the engine's `placement`): what llama.cpp reports, not what
 * was asked. Pure apart from the optional console forwarding, so the parsing is unit-tested in Node.
 *
 * Lines it reads (wllama 3.13.0, llama.cpp b12211):
 * - "Multithread enabled: true, pthreadPoolSize: 2" (wllama's worker) and, when printed,
 *   "system_info: n_threads = 2 ..." / "llama threadpool init, n_threads = 2" (llama.cpp);
 * - "load_tensors: offloaded 17/17 layers to GPU" (only printed when a GPU device exists: with no
 *   WebGPU device llama.cpp says nothing about offloading, which itself means 0 layers on the GPU);
 * - "llama_model_load_from_file_impl: using device WebGPU (...)" and "ggml_webgpu: ..." errors.
 */
import type { EnginePlacement } from './types.ts';

/** The logger shape wllama's config takes. */
export interface WllamaLogger {
  debug: (...args: unknown[]) => void;
  log: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
}

/** Keeps the last `max` lines llama.cpp and wllama print; forwards them to the console when asked. */
export class LlamaLog {
  private buffer: string[] = [];
  readonly logger: WllamaLogger;

  constructor(
    forward = false,
    private readonly max = 1000,
  ) {
    const keep =
      (level: keyof WllamaLogger) =>
      (...args: unknown[]): void => {
        const text = args.filter((a) => typeof a === 'string').join(' ');
        if (text) this.push(text);
        if (forward) console[level](...args);
      };
    this.logger = { debug: keep('debug'), log: keep('log'), warn: keep('warn'), error: keep('error') };
  }

  private push(text: string): void {
    for (const line of text.split('\n')) if (line.trim()) this.buffer.push(line);
    if (this.buffer.length > this.max) this.buffer = this.buffer.slice(-this.max);
  }

  get lines(): readonly string[] {
    return this.buffer;
  }

  clear(): void {
    this.buffer = [];
  }
}

/** What the log says about placement. */
export interface LoggedPlacement {
  threads?: number;
  gpuLayers?: number;
  totalLayers?: number;
  /** The GPU device llama.cpp said it uses, e.g. "WebGPU (...)". */
  gpuDevice?: string;
  /** A WebGPU failure llama.cpp logged (adapter or device request, device lost). */
  gpuError?: string;
  /** The file's weight type as llama.cpp printed it, e.g. 'Q8_0' or 'all F32'. */
  fileType?: string;
}

export function parseLlamaLog(lines: readonly string[]): LoggedPlacement {
  const out: LoggedPlacement = {};
  for (const line of lines) {
    const pool = /Multithread enabled: (true|false), pthreadPoolSize: (\d+)/.exec(line);
    if (pool) out.threads = pool[1] === 'true' ? Math.max(1, Number(pool[2])) : 1;
    const nThreads = /(?:system_info:|threadpool init,) n_threads = (\d+)/.exec(line);
    if (nThreads) out.threads = Number(nThreads[1]);
    const offload = /offloaded (\d+)\/(\d+) layers to GPU/.exec(line);
    if (offload) {
      out.gpuLayers = Number(offload[1]);
      out.totalLayers = Number(offload[2]);
    }
    const fileType = /(?:print_info: file type|model ftype)\s*=\s*(.+?)\s*$/.exec(line);
    if (fileType?.[1]) out.fileType = fileType[1].replace(/^(?:\(guessed\)\s*)?(?:mostly|MOSTLY)?\s*/, '');
    const device = /using device (\S+(?: \([^)]*\))?)/.exec(line);
    if (device?.[1]) out.gpuDevice = device[1];
    const gpuError = /ggml_webgpu: (Failed to get an adapter|Failed to get a device|Device lost)[^\n]*/.exec(
      line,
    );
    // The first failure is the cause (a failed device request is followed by "Device lost").
    if (gpuError && out.gpuError === undefined)
      out.gpuError = gpuError[0].replace(/^ggml_webgpu: /, '').trim();
  }
  return out;
}

export interface PlacementContext {
  /** Layers in the model (llama.cpp's n_layer), used when the log has no "offloaded" line. */
  modelLayers?: number;
  /** Threads asked for, when the log does not say. */
  askedThreads: number;
  /** Whether the document is cross-origin isolated (threads need it). */
  isolated: boolean;
  /** Why the layers are not on the GPU, when that is known before loading (probe verdict, setting). */
  whyNotGpu?: string;
  /**
   * Layers were offered to the GPU. When not, wllama hides the adapter from llama.cpp, which then logs
   * "Failed to get an adapter": that line is not a failure then.
   */
  gpuAsked: boolean;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The one sentence the UI shows: where the layers ran, and why not faster. */
export function describePlacement(logged: LoggedPlacement, context: PlacementContext): EnginePlacement {
  const threads = logged.threads ?? context.askedThreads;
  const totalLayers = logged.totalLayers ?? context.modelLayers;
  const gpuLayers = logged.gpuLayers ?? 0;
  const layerCounts = {
    gpuLayers,
    ...(totalLayers !== undefined ? { totalLayers } : {}),
  };
  const of = totalLayers !== undefined ? `${gpuLayers}/${totalLayers}` : `${gpuLayers}`;
  const slowCpu =
    threads === 1 && !context.isolated
      ? 'this page is not cross-origin isolated, so the engine runs about half as fast as it could (see docs/isolation.md)'
      : undefined;
  if (gpuLayers > 0) {
    const all = totalLayers === undefined || gpuLayers >= totalLayers;
    const note = all
      ? `GPU: ${of} layers on WebGPU`
      : `GPU and CPU: ${of} layers on WebGPU, the rest on the CPU with ${plural(threads, 'thread')}`;
    return { device: 'gpu', threads, ...layerCounts, note };
  }
  const whyNotGpu =
    context.gpuAsked && logged.gpuError !== undefined
      ? `llama.cpp's WebGPU backend failed (${logged.gpuError})`
      : (context.whyNotGpu ?? "llama.cpp's WebGPU backend took no layers");
  const reasons = slowCpu ? [slowCpu, `not on the GPU: ${whyNotGpu}`] : [whyNotGpu];
  return {
    device: 'cpu',
    threads,
    ...layerCounts,
    note: `CPU, ${plural(threads, 'thread')}: ${reasons.join('; ')}`,
  };
}
