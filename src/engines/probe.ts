/**
 * Capability probe and engine choice. The probe only looks (WebGPU adapter and features, storage
 * estimate, device memory, Prompt API availability); it never downloads anything. `chooseEngine`
 * turns a report into a choice with the reason for it and for every option it rejected, so the UI
 * can say why (e.g. "WebGPU: no adapter" or "needs 672 MB of storage, 300 MB free").
 *
 * Two GPU paths are weighed: WebLLM (MLC) and GGUF on WebGPU (llama.cpp's WebGPU backend inside
 * wllama). The probe predicts whether that backend will take the adapter from the backend's real
 * requirements (wasm-webgpu.ts: `shader-f16` on the adapter `requestAdapter()` returns, JSPI and 64-bit
 * wasm memory), so a GPU the backend would refuse is never offered as "GPU". Where it takes a hardware
 * adapter, GGUF on WebGPU is preferred to WebLLM: it decodes 45-69% faster with 29-33% less memory
 * (16 devices, 8 vendors, arXiv 2605.20706); elsewhere WebLLM remains the GPU path.
 *
 * Browser globals are read through a {@link ProbeEnvironment} so tests can inject any machine.
 */
import { CHROME_AI_MODEL, DEFAULT_GGUF_MODEL, webllmVariant, type WebLLMModel } from './catalog.ts';
import { exceedsDeviceMemory } from './device-memory.ts';
import type { EngineKind, ModelDescriptor } from './types.ts';
import { checkGgufWebgpu, detectWasmRuntime, type GgufWebgpuVerdict } from './wasm-webgpu.ts';
import { defaultWasmThreads } from './wasm-threads.ts';

export interface AdapterLike {
  features: { has(name: string): boolean };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize?: number };
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

export type PromptApiAvailability = 'unavailable' | 'downloadable' | 'downloading' | 'available';

/** The globals the probe reads (defaults to the real ones). */
export interface ProbeEnvironment {
  gpu?:
    | {
        requestAdapter(options?: {
          powerPreference?: string;
          forceFallbackAdapter?: boolean;
        }): Promise<AdapterLike | null>;
      }
    | undefined;
  storage?:
    | {
        estimate(): Promise<{ quota?: number; usage?: number }>;
        persist?(): Promise<boolean>;
        persisted?(): Promise<boolean>;
      }
    | undefined;
  /** `navigator.deviceMemory` in GB (Chrome rounds and caps it at 8). */
  deviceMemory?: number | undefined;
  hardwareConcurrency?: number | undefined;
  languageModel?: { availability(options?: unknown): Promise<string> } | undefined;
  /** WebAssembly with SIMD (llama.cpp's wasm build needs it). */
  wasmSimd?: boolean;
  /** JSPI (`WebAssembly.Suspending`) and 64-bit wasm memory: wllama's WebGPU build needs both. */
  wasmJspi?: boolean;
  wasmMemory64?: boolean;
  /** `crossOriginIsolated` of the document (wasm threads need it). */
  crossOriginIsolated?: boolean;
}

export interface CapabilityReport {
  webgpu: {
    available: boolean;
    shaderF16: boolean;
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    isFallbackAdapter: boolean;
    vendor?: string;
    architecture?: string;
    /** Why WebGPU is not usable, when it is not. */
    reason?: string;
  };
  storage: {
    quotaBytes: number;
    usageBytes: number;
    availableBytes: number;
    persisted: boolean;
    known: boolean;
  };
  deviceMemoryGB: number | undefined;
  cores: number;
  promptApi: PromptApiAvailability | 'absent';
  wasm: {
    available: boolean;
    reason?: string;
    /** CPU threads the wasm engine will ask for (1 unless cross-origin isolated). */
    threads?: number;
  };
  /** Whether the document is cross-origin isolated (SharedArrayBuffer, so wasm threads). */
  crossOriginIsolated?: boolean;
  /**
   * GGUF on WebGPU: whether llama.cpp's WebGPU backend (in wllama) will take this browser's adapter,
   * and whether the wasm engine offloads to it by default. Absent in reports made before it existed.
   */
  ggufWebgpu?: GgufWebgpuVerdict;
}

// Minimal module using one SIMD instruction (v128.const + drop): validates only with SIMD support.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11,
]);

function detectWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The real browser environment (works in pages, workers and extension documents). */
export function browserEnvironment(): ProbeEnvironment {
  const nav = (globalThis.navigator ?? {}) as Navigator & {
    gpu?: ProbeEnvironment['gpu'];
    deviceMemory?: number;
  };
  const lm = (globalThis as { LanguageModel?: ProbeEnvironment['languageModel'] }).LanguageModel;
  return {
    gpu: nav.gpu,
    storage: nav.storage,
    deviceMemory: nav.deviceMemory,
    hardwareConcurrency: nav.hardwareConcurrency,
    languageModel: lm,
    wasmSimd: detectWasmSimd(),
    ...(() => {
      const runtime = detectWasmRuntime();
      return { wasmJspi: runtime.jspi, wasmMemory64: runtime.memory64 };
    })(),
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}

export interface ProbeOptions {
  /** Ask the browser to keep our storage (navigator.storage.persist()); off by default. */
  requestPersist?: boolean;
}

export async function probeCapabilities(
  env: ProbeEnvironment = browserEnvironment(),
  options: ProbeOptions = {},
): Promise<CapabilityReport> {
  const webgpu: CapabilityReport['webgpu'] = {
    available: false,
    shaderF16: false,
    maxStorageBufferBindingSize: 0,
    maxBufferSize: 0,
    isFallbackAdapter: false,
  };
  if (!env.gpu) {
    webgpu.reason = 'this browser has no WebGPU (navigator.gpu is missing)';
  } else {
    try {
      const adapter = await env.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) {
        webgpu.reason = 'no WebGPU adapter (GPU blocked, disabled, or hardware acceleration off)';
      } else {
        webgpu.available = true;
        webgpu.shaderF16 = adapter.features.has('shader-f16');
        webgpu.maxStorageBufferBindingSize = adapter.limits.maxStorageBufferBindingSize;
        webgpu.maxBufferSize = adapter.limits.maxBufferSize ?? adapter.limits.maxStorageBufferBindingSize;
        webgpu.isFallbackAdapter = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
        if (adapter.info?.vendor) webgpu.vendor = adapter.info.vendor;
        if (adapter.info?.architecture) webgpu.architecture = adapter.info.architecture;
      }
    } catch (error) {
      webgpu.reason = `requesting a WebGPU adapter failed (${error instanceof Error ? error.message : String(error)})`;
    }
  }

  // llama.cpp's WebGPU backend asks for the default adapter (no power preference): ask the same.
  const ggufWebgpu = await checkGgufWebgpu(env.gpu, {
    jspi: env.wasmJspi ?? detectWasmRuntime().jspi,
    memory64: env.wasmMemory64 ?? detectWasmRuntime().memory64,
  });

  const storage: CapabilityReport['storage'] = {
    quotaBytes: 0,
    usageBytes: 0,
    availableBytes: 0,
    persisted: false,
    known: false,
  };
  if (env.storage) {
    try {
      const estimate = await env.storage.estimate();
      storage.quotaBytes = estimate.quota ?? 0;
      storage.usageBytes = estimate.usage ?? 0;
      storage.availableBytes = Math.max(0, storage.quotaBytes - storage.usageBytes);
      storage.known = estimate.quota !== undefined;
      if (options.requestPersist && env.storage.persist) storage.persisted = await env.storage.persist();
      else if (env.storage.persisted) storage.persisted = await env.storage.persisted();
    } catch {
      storage.known = false;
    }
  }

  let promptApi: CapabilityReport['promptApi'] = 'absent';
  if (env.languageModel) {
    try {
      const a = await env.languageModel.availability();
      promptApi =
        a === 'available' || a === 'downloadable' || a === 'downloading' || a === 'unavailable'
          ? a
          : a === 'readily'
            ? 'available'
            : a === 'after-download'
              ? 'downloadable'
              : 'unavailable';
    } catch {
      promptApi = 'unavailable';
    }
  }

  const simd = env.wasmSimd ?? detectWasmSimd();
  const cores = env.hardwareConcurrency ?? 1;
  const isolated = env.crossOriginIsolated === true;
  return {
    webgpu,
    storage,
    deviceMemoryGB: env.deviceMemory,
    cores,
    promptApi,
    wasm: simd
      ? { available: true, threads: defaultWasmThreads(isolated, cores) }
      : { available: false, reason: 'this browser lacks WebAssembly SIMD, which llama.cpp needs' },
    crossOriginIsolated: isolated,
    ggufWebgpu,
  };
}

export interface RejectedOption {
  engine: EngineKind;
  modelId: string;
  reason: string;
}

export interface EngineChoice {
  engine: EngineKind | undefined;
  model: ModelDescriptor | undefined;
  /** Why this option (or why nothing could be chosen). */
  reason: string;
  rejected: RejectedOption[];
  /** Bytes that would be downloaded (0 when cached or Chrome-managed). Known before any download. */
  downloadBytes: number;
  /** Where the chosen model computes: 'gpu' for WebLLM and GGUF on WebGPU, 'cpu' for wasm on the CPU. */
  device?: 'gpu' | 'cpu';
  /** The GGUF-on-WebGPU prediction the choice used (see {@link CapabilityReport.ggufWebgpu}). */
  ggufWebgpu?: GgufWebgpuVerdict;
}

export interface ChooseOptions {
  /** 1B by default; 3B when asked (falls back to 1B with a reason when it does not fit). */
  size?: '1B' | '3B';
  /** Use this engine if it is possible (its rejections are still reported). */
  prefer?: EngineKind;
  /** Models already in the cache: their download is free. */
  cachedModelIds?: readonly string[];
  /** Override the GGUF model (self-hosted URL). */
  ggufModel?: ModelDescriptor;
  /** Take Chrome's built-in model when it is available (default true). */
  allowChromeAi?: boolean;
  /** Fraction of free storage a model may take (default 0.9, leaves room for the site). */
  storageHeadroom?: number;
  /** GGUF on WebGPU: 'auto' (default) where the backend takes a hardware adapter, 'off' never. */
  ggufGpu?: 'auto' | 'off';
}

const GB = 1024 ** 3;
const MiB = 1024 * 1024;
/** web-llm's small-buffer path needs at least this binding size. */
const MIN_STORAGE_BUFFER_BINDING = 128 * MiB;

function fmt(bytes: number): string {
  return bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${Math.round(bytes / MiB)} MB`;
}

/** Pick the engine and model for a report; never downloads. */
export function chooseEngine(report: CapabilityReport, options: ChooseOptions = {}): EngineChoice {
  const rejected: RejectedOption[] = [];
  const cached = new Set(options.cachedModelIds ?? []);
  const headroom = options.storageHeadroom ?? 0.9;
  const candidates: { model: ModelDescriptor; reason: string; device?: 'gpu' | 'cpu' }[] = [];

  const storageProblem = (model: ModelDescriptor): string | undefined => {
    if (cached.has(model.id) || model.sizeBytes === 0) return undefined;
    if (!report.storage.known) return undefined;
    const free = report.storage.availableBytes * headroom;
    if (model.sizeBytes > free)
      return `needs ${fmt(model.sizeBytes)} of storage, only ${fmt(report.storage.availableBytes)} free`;
    return undefined;
  };
  const memoryProblem = (model: ModelDescriptor, what: string): string | undefined => {
    const gb = report.deviceMemoryGB;
    if (exceedsDeviceMemory(model.memoryBytes, gb))
      return `needs ~${fmt(model.memoryBytes)} of ${what}, the device reports ${gb} GB of RAM`;
    return undefined;
  };

  // 1. Chrome's built-in model: zero download when already available.
  if (options.allowChromeAi === false) {
    rejected.push({ engine: 'chrome-ai', modelId: CHROME_AI_MODEL.id, reason: 'turned off in the settings' });
  } else if (report.promptApi === 'available') {
    candidates.push({
      model: CHROME_AI_MODEL,
      reason: "Chrome's built-in model is ready: nothing to download",
    });
  } else {
    const why: Record<string, string> = {
      absent: 'the Prompt API (LanguageModel) is not in this browser',
      unavailable: "Chrome's built-in model is not supported on this device",
      downloadable: "Chrome's built-in model is not downloaded yet (Chrome would download several GB)",
      downloading: "Chrome's built-in model is still downloading",
    };
    rejected.push({
      engine: 'chrome-ai',
      modelId: CHROME_AI_MODEL.id,
      reason: why[report.promptApi] ?? 'unavailable',
    });
  }

  // 2. GGUF on WebGPU (llama.cpp's backend), ahead of WebLLM where the backend takes a real adapter.
  const gguf = options.ggufModel ?? DEFAULT_GGUF_MODEL;
  const ggufVerdict: GgufWebgpuVerdict = report.ggufWebgpu ?? {
    accepted: false,
    recommended: false,
    reason: 'the probe did not check GGUF on WebGPU',
  };
  let ggufOnGpu = false;
  if (options.ggufGpu !== 'off' && ggufVerdict.recommended && report.wasm.available) {
    const problem = memoryProblem(gguf, 'GPU memory') ?? storageProblem(gguf);
    if (!problem) {
      ggufOnGpu = true;
      candidates.push({
        model: gguf,
        device: 'gpu',
        reason: `GGUF on WebGPU: ${ggufVerdict.reason}; it decodes 45-69% faster than WebLLM with less memory (arXiv 2605.20706)`,
      });
    }
  }

  // 3. WebLLM on WebGPU: q4f16_1 with shader-f16, else q4f32_1; 3B only when asked.
  const sizes: ('1B' | '3B')[] = options.size === '3B' ? ['3B', '1B'] : ['1B'];
  const gpu = report.webgpu;
  for (const size of sizes) {
    const model: WebLLMModel = webllmVariant(size, gpu.shaderF16);
    let problem: string | undefined;
    if (!gpu.available) problem = `WebGPU unavailable: ${gpu.reason ?? 'no adapter'}`;
    else if (gpu.maxStorageBufferBindingSize < MIN_STORAGE_BUFFER_BINDING)
      problem = `the GPU's storage buffers are too small (${fmt(gpu.maxStorageBufferBindingSize)} < ${fmt(MIN_STORAGE_BUFFER_BINDING)})`;
    else problem = memoryProblem(model, 'GPU memory') ?? storageProblem(model);
    if (problem) {
      rejected.push({ engine: 'webllm', modelId: model.id, reason: problem });
      continue;
    }
    const notes = [
      gpu.shaderF16 ? 'the adapter has shader-f16, so q4f16_1' : 'the adapter has no shader-f16, so q4f32_1',
    ];
    if (gpu.isFallbackAdapter) notes.push('software adapter: expect slow decoding');
    if (!ggufOnGpu)
      notes.push(
        options.ggufGpu === 'off'
          ? 'GGUF on WebGPU is turned off'
          : `not GGUF on WebGPU: ${ggufVerdict.reason}`,
      );
    candidates.push({ model, device: 'gpu', reason: `WebGPU is available (${notes.join('; ')})` });
    break;
  }

  // 4. WebAssembly (llama.cpp) on the CPU.
  const wasmProblem = report.wasm.available
    ? (memoryProblem(gguf, 'RAM') ?? storageProblem(gguf))
    : (report.wasm.reason ?? 'WebAssembly unavailable');
  if (ggufOnGpu) {
    // Already a candidate on the GPU; the same engine and file.
  } else if (wasmProblem) rejected.push({ engine: 'wasm', modelId: gguf.id, reason: wasmProblem });
  else
    candidates.push({
      model: gguf,
      device: 'cpu',
      reason: `runs on the CPU with WebAssembly (no WebGPU needed; not on the GPU: ${options.ggufGpu === 'off' ? 'GGUF on WebGPU is turned off' : ggufVerdict.reason})`,
    });

  let pick = candidates[0];
  if (options.prefer) {
    const preferred = candidates.find((c) => c.model.engine === options.prefer);
    if (preferred) pick = preferred;
  }
  if (!pick) {
    return {
      engine: undefined,
      model: undefined,
      reason: `No on-device engine fits this browser: ${rejected.map((r) => `${r.engine}: ${r.reason}`).join('; ')}. Requests go to the remote tiers.`,
      rejected,
      downloadBytes: 0,
    };
  }
  for (const c of candidates) {
    if (c !== pick)
      rejected.push({
        engine: c.model.engine,
        modelId: c.model.id,
        reason: `possible, but ${pick.model.label}${pick.device === 'gpu' && pick.model.engine === 'wasm' ? ' on WebGPU' : ''} is preferred`,
      });
  }
  return {
    engine: pick.model.engine,
    model: pick.model,
    reason: pick.reason,
    rejected,
    downloadBytes: cached.has(pick.model.id) ? 0 : pick.model.sizeBytes,
    ...(pick.device ? { device: pick.device } : {}),
    ggufWebgpu: ggufVerdict,
  };
}
