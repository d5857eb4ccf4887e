/**
 * The default on-device engine provider of <tier-assist> (loaded lazily, on first use): probes the
 * device without downloading anything, then loads the wasm engine (wllama) on the chosen GGUF.
 *
 * `model` may be a GGUF URL (absolute, relative or blob:) or omitted for the default catalog model.
 */
import type { LoadOptions, LocalEngine, ModelDescriptor } from '../engines/types.ts';
import { createWasmEngine } from '../engines/wasm.ts';
import { EngineUnavailableError } from '../errors.ts';
import type { LocalEngineProvider, LocalModelProbe } from './types.ts';

/** The default on-device model: Llama 3.2 1B Instruct, Q4_K_M GGUF (~808 MB). */
export const DEFAULT_GGUF_MODEL: ModelDescriptor = {
  id: 'Llama-3.2-1B-Instruct-Q4_K_M',
  label: 'Llama 3.2 1B Instruct (Q4_K_M)',
  sizeBytes: 807_690_656,
  memoryBytes: 1_300_000_000,
  engine: 'wasm',
  url: 'https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
};

async function describeUrl(url: string, signal?: AbortSignal): Promise<ModelDescriptor> {
  const absolute = new URL(url, location.href).href;
  const file = decodeURIComponent(absolute.split(/[?#]/)[0]!.split('/').pop() || 'model.gguf');
  let sizeBytes = 0;
  try {
    const head = await fetch(absolute, { method: 'HEAD', ...(signal ? { signal } : {}) });
    sizeBytes = Number(head.headers.get('content-length') ?? 0) || 0;
  } catch {
    // Size unknown (blob: URLs answer no HEAD in some browsers): the progress bar uses loaded bytes.
  }
  return {
    id: file.replace(/\.gguf$/i, ''),
    label: file,
    sizeBytes,
    memoryBytes: Math.round(sizeBytes * 1.6),
    engine: 'wasm',
    url: absolute,
  };
}

async function isCached(model: ModelDescriptor): Promise<boolean> {
  if (!model.url || model.url.startsWith('blob:')) return false;
  try {
    const cache = await caches.open('tier-assist-models');
    return (await cache.match(model.url)) !== undefined;
  } catch {
    return false;
  }
}

export function createLocalProvider(): LocalEngineProvider {
  let engine: (LocalEngine & { readonly threads: number }) | undefined;
  return {
    async probe(options = {}): Promise<LocalModelProbe> {
      const rejected: string[] = [];
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
      if (!adapter)
        rejected.push('WebGPU: no adapter in this browser, so the WebAssembly engine (CPU) is used.');
      if (typeof WebAssembly !== 'object') {
        rejected.push('WebAssembly: not available in this browser.');
        return {
          ok: false,
          verdict: 'this browser has neither WebGPU nor WebAssembly.',
          rejected,
          cached: false,
        };
      }
      const model = options.model ? await describeUrl(options.model, options.signal) : DEFAULT_GGUF_MODEL;
      const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
      const free = estimate?.quota !== undefined ? estimate.quota - (estimate.usage ?? 0) : undefined;
      if (free !== undefined && model.sizeBytes > free) {
        rejected.push(`${model.label}: needs ${model.sizeBytes} bytes of storage, ${free} are free.`);
        return {
          ok: false,
          verdict: `not enough storage for ${model.label} (the browser allows ${Math.floor(free / 1e6)} MB more).`,
          model,
          rejected,
          cached: false,
        };
      }
      const memoryGb = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
      if (memoryGb !== undefined && memoryGb * 1e9 < model.memoryBytes) {
        rejected.push(
          `${model.label}: needs about ${Math.ceil(model.memoryBytes / 1e9)} GB of memory, this device reports ${memoryGb} GB.`,
        );
        return {
          ok: false,
          verdict: `this device has too little memory for ${model.label}.`,
          model,
          rejected,
          cached: false,
        };
      }
      return {
        ok: true,
        verdict: `This device can run ${model.label} with the WebAssembly engine (on the CPU).`,
        model,
        engine: 'wasm',
        rejected,
        cached: await isCached(model),
      };
    },
    async load(probe: LocalModelProbe, options: LoadOptions = {}): Promise<LocalEngine> {
      if (!probe.ok || !probe.model)
        throw new EngineUnavailableError(`No on-device model can run here: ${probe.verdict}`);
      engine ??= createWasmEngine();
      await engine.load(probe.model, options);
      return engine;
    },
  };
}
