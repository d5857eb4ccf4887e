/**
 * Which LocalEngine runs a model descriptor in the offscreen document. The engines themselves live
 * in src/engines (the only place that may import wllama or web-llm); this file only picks one.
 */
import { EngineUnavailableError } from '../../src/errors.ts';
import type { LocalEngine, ModelDescriptor } from '../../src/engines/types.ts';

export function createEngine(model: ModelDescriptor): LocalEngine {
  throw new EngineUnavailableError(
    `No on-device engine for "${model.id}" (${model.engine}) is built into this extension yet. Pick another model in the options.`,
  );
}
