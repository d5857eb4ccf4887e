/**
 * Which LocalEngine runs a model descriptor in the offscreen document. The engines themselves live
 * in src/engines (the only place that may import wllama or web-llm); this file only picks one.
 */
import { createWasmEngine } from '../../src/engines/wasm.ts';
import type { LocalEngine, ModelDescriptor } from '../../src/engines/types.ts';
import { EngineUnavailableError } from '../../src/errors.ts';
import { HOSTED_ENGINES } from '../models.ts';

export function createEngine(model: ModelDescriptor): LocalEngine {
  if (model.engine === 'wasm') return createWasmEngine();
  throw new EngineUnavailableError(
    `The ${model.engine} engine is not built into this extension (it hosts: ${HOSTED_ENGINES.join(', ')}). Pick another model in the options.`,
    { data: { engine: model.engine } },
  );
}
