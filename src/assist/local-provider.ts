/**
 * The default on-device engine provider of <tier-assist> (loaded lazily, on first use): runs the
 * engines' capability probe and choice (downloads nothing), then loads the wasm engine (wllama) on the
 * chosen GGUF through the model cache, so a model downloaded once loads offline after a reload.
 *
 * `model` may be a GGUF URL (absolute, relative or blob:), a catalog id, or omitted for the default
 * Llama 3.2 1B Instruct GGUF. (The WebGPU engine is chosen here once src/engines ships it; until then
 * the wasm engine is preferred, and the probe's WebGPU verdict is still shown.)
 */
import { DEFAULT_GGUF_MODEL, findModel } from '../engines/catalog.ts';
import { ModelCache } from '../engines/model-cache.ts';
import { chooseEngine, probeCapabilities } from '../engines/probe.ts';
import type { LoadOptions, LocalEngine, ModelDescriptor } from '../engines/types.ts';
import { createWasmEngine } from '../engines/wasm.ts';
import { EngineUnavailableError } from '../errors.ts';
import type { LocalEngineProvider, LocalModelProbe } from './types.ts';

export { DEFAULT_GGUF_MODEL };

/** Describe a GGUF URL: its size comes from a HEAD request; a file that is not there is a probe failure. */
async function describeUrl(url: string, signal?: AbortSignal): Promise<ModelDescriptor | string> {
  const absolute = new URL(url, location.href).href;
  const file = decodeURIComponent(absolute.split(/[?#]/)[0]!.split('/').pop() || 'model.gguf');
  let sizeBytes = 0;
  if (!absolute.startsWith('blob:')) {
    try {
      const head = await fetch(absolute, { method: 'HEAD', ...(signal ? { signal } : {}) });
      if (!head.ok) return `the model file ${file} is not available (HTTP ${head.status} from ${absolute})`;
      sizeBytes = Number(head.headers.get('content-length') ?? 0) || 0;
    } catch {
      return `the model file ${file} could not be reached at ${absolute}`;
    }
  }
  return {
    id: file,
    label: file,
    sizeBytes,
    memoryBytes: Math.round(sizeBytes * 1.4),
    engine: 'wasm',
    url: absolute,
  };
}

export function createLocalProvider(): LocalEngineProvider {
  let engine: (LocalEngine & { readonly threads: number }) | undefined;
  let cache: ModelCache | undefined;
  const openCache = (): ModelCache | undefined => {
    try {
      cache ??= new ModelCache();
      return cache;
    } catch {
      return undefined;
    }
  };
  return {
    async probe(options = {}): Promise<LocalModelProbe> {
      let gguf: ModelDescriptor | undefined;
      if (options.model) {
        const found = findModel(options.model);
        const described = found ?? (await describeUrl(options.model, options.signal));
        if (typeof described === 'string') {
          return { ok: false, verdict: `${described}.`, rejected: [`wasm: ${described}`], cached: false };
        }
        gguf = described;
      }
      const report = await probeCapabilities();
      const cached = await openCache()
        ?.list()
        .then((all) => all.filter((m) => m.complete).map((m) => m.id))
        .catch(() => [] as string[]);
      const choice = chooseEngine(report, {
        prefer: 'wasm',
        allowChromeAi: false,
        ...(gguf ? { ggufModel: gguf } : {}),
        ...(cached ? { cachedModelIds: cached } : {}),
      });
      const rejected = choice.rejected.map((r) => `${r.engine} (${r.modelId}): ${r.reason}`);
      if (!choice.model || choice.engine !== 'wasm') {
        const wasmRejection = choice.rejected.find((r) => r.engine === 'wasm');
        return {
          ok: false,
          verdict: wasmRejection
            ? `the WebAssembly engine cannot run ${wasmRejection.modelId} here: ${wasmRejection.reason}.`
            : choice.reason,
          rejected,
          cached: false,
        };
      }
      const isCached = cached?.includes(choice.model.id) ?? false;
      return {
        ok: true,
        verdict: `This device can run ${choice.model.label}: ${choice.reason}.`,
        model: choice.model,
        engine: 'wasm',
        rejected,
        cached: isCached,
      };
    },
    async load(probe: LocalModelProbe, options: LoadOptions = {}): Promise<LocalEngine> {
      if (!probe.ok || !probe.model)
        throw new EngineUnavailableError(`No on-device model can run here: ${probe.verdict}`);
      const source = probe.model.url?.startsWith('blob:') ? undefined : openCache();
      engine ??= createWasmEngine(source ? { source } : {});
      await engine.load(probe.model, options);
      return engine;
    },
  };
}
