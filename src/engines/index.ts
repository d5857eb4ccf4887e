/**
 * On-device inference: the LocalEngine interface, the capability probe and choice, the model catalog
 * and the model cache. The engines themselves are loaded lazily through {@link createEngine} so that
 * importing this module never pulls web-llm (2.2 MB gz) or wllama into a first paint; code that
 * wants an engine statically (an extension offscreen document, a worker) imports `./wasm.ts`,
 * `./webllm.ts` or `./chrome-ai.ts` directly.
 */
import type { ChromeAiEngineOptions } from './chrome-ai.ts';
import type { ModelCache } from './model-cache.ts';
import type { WasmEngineOptions } from './wasm.ts';
import type { WebLLMEngineOptions } from './webllm.ts';
import type { EngineKind, LocalEngine } from './types.ts';

export type * from './types.ts';
export {
  CATALOG,
  CHROME_AI_MODEL,
  DEFAULT_GGUF_MODEL,
  DEFAULT_GGUF_SHA256,
  GHOST_TEXT_GGUF_MODELS,
  SMOLLM2_135M_MODEL,
  SMOLLM2_360M_MODEL,
  WEBLLM_LIB_PREFIX,
  WEBLLM_MODELS,
  findModel,
  webllmVariant,
  withModelUrls,
  type CatalogModel,
  type ModelPurpose,
  type ModelShape,
  type WebLLMModel,
} from './catalog.ts';
export {
  chooseGhostTextModel,
  estimateStepMs,
  GHOST_TEXT_BUDGET_MS,
  type GhostTextChoice,
  type GhostTextOptions,
  type MeasuredStep,
} from './defaults.ts';
export {
  browserEnvironment,
  chooseEngine,
  probeCapabilities,
  type CapabilityReport,
  type ChooseOptions,
  type EngineChoice,
  type ProbeEnvironment,
  type RejectedOption,
} from './probe.ts';
export {
  ModelCache,
  MODEL_CACHE_DB,
  MODEL_CACHE_VERSION,
  type CachedModel,
  type ModelCacheOptions,
} from './model-cache.ts';
export { validateJson } from './json-schema.ts';
export type { WasmEngineOptions } from './wasm.ts';
export type { WebLLMEngineOptions } from './webllm.ts';
export type { ChromeAiEngineOptions } from './chrome-ai.ts';

export interface CreateEngineOptions {
  wasm?: WasmEngineOptions;
  webllm?: WebLLMEngineOptions;
  chromeAi?: ChromeAiEngineOptions;
  /** Model cache for the wasm engine (web-llm keeps its own IndexedDB cache). */
  cache?: ModelCache;
}

/** Create an engine of a kind, loading its code on demand (dynamic import). */
export async function createEngine(
  kind: EngineKind,
  options: CreateEngineOptions = {},
): Promise<LocalEngine> {
  switch (kind) {
    case 'wasm': {
      const { createWasmEngine } = await import('./wasm.ts');
      return createWasmEngine({ ...(options.cache ? { source: options.cache } : {}), ...options.wasm });
    }
    case 'webllm': {
      const { createWebLLMEngine } = await import('./webllm.ts');
      return createWebLLMEngine(options.webllm);
    }
    case 'chrome-ai': {
      const { createChromeAiEngine } = await import('./chrome-ai.ts');
      return createChromeAiEngine(options.chromeAi);
    }
  }
}
