/**
 * Which LocalEngine runs a model descriptor in the offscreen document, and the model cache it loads
 * through. The engines live in src/engines (the only place that may import wllama or web-llm); they
 * are loaded on demand (a document may use dynamic import(), unlike the service worker), so the
 * offscreen page parses web-llm only when a WebGPU model is chosen.
 */
import { createEngine as createLocalEngine, ModelCache } from '../../src/engines/index.ts';
import type { LocalEngine, ModelDescriptor } from '../../src/engines/types.ts';
import { EngineUnavailableError } from '../../src/errors.ts';
import { HOSTED_ENGINES } from '../shared/models.ts';

let cache: ModelCache | undefined;

/** The GGUF cache (IndexedDB of the extension origin): a model downloads once, later loads are offline. */
export function modelCache(): ModelCache {
  cache ??= new ModelCache();
  return cache;
}

export async function createEngine(model: ModelDescriptor): Promise<LocalEngine> {
  if (!HOSTED_ENGINES.includes(model.engine))
    throw new EngineUnavailableError(
      `The ${model.engine} engine is not built into this extension. Pick another model in the options.`,
      { data: { engine: model.engine } },
    );
  // WebLLM runs in a dedicated worker of this document (WebGPU is available here).
  return createLocalEngine(model.engine, { cache: modelCache(), webllm: { host: 'worker' } });
}
