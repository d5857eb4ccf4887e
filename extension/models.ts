/**
 * Which model the settings point at. A self-hosted GGUF URL runs on the wasm engine; otherwise the
 * id is looked up in the catalog the engines module publishes.
 */
import { z } from 'zod';
import { CATALOG as ENGINE_CATALOG } from '../src/engines/catalog.ts';
import type { ModelDescriptor } from '../src/engines/types.ts';
import { NotConfiguredError } from '../src/errors.ts';
import type { Settings } from './settings.ts';

export const ModelDescriptorSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  sizeBytes: z.number().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  engine: z.enum(['webllm', 'wasm', 'chrome-ai']),
  url: z.string().optional(),
  libUrl: z.string().optional(),
});

/** Engines the offscreen document can host (extension/offscreen/engines.ts). */
export const HOSTED_ENGINES: readonly ModelDescriptor['engine'][] = ['wasm', 'webllm', 'chrome-ai'];

/** WebLLM model libraries packaged into this build (vite.config.ts, TIER_ASSIST_WEBLLM_LIBS). */
declare const __WEBLLM_BUNDLED_LIBS__: string[] | undefined;
const BUNDLED_LIBS: readonly string[] =
  typeof __WEBLLM_BUNDLED_LIBS__ === 'undefined' ? [] : __WEBLLM_BUNDLED_LIBS__;

/**
 * Points each WebLLM model whose library file is packaged (`bundled`, file names) at its copy inside the
 * extension (`toUrl`), so no code is fetched from outside the package; other models are unchanged.
 */
export function withBundledLibs(
  catalog: readonly ModelDescriptor[],
  bundled: readonly string[],
  toUrl: (path: string) => string,
): ModelDescriptor[] {
  return catalog.map((model) => {
    const file = model.engine === 'webllm' && model.libUrl ? model.libUrl.split('/').pop() : undefined;
    return file && bundled.includes(file) ? { ...model, libUrl: toUrl(`webllm-libs/${file}`) } : model;
  });
}

/** Models offered in the options page (id, label, download size), from the engines' catalog. */
export const CATALOG: ModelDescriptor[] = withBundledLibs(
  ENGINE_CATALOG.filter((m) => HOSTED_ENGINES.includes(m.engine)),
  BUNDLED_LIBS,
  (path) => globalThis.chrome?.runtime?.getURL?.(path) ?? path,
);

export function customModel(url: string): ModelDescriptor {
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? 'model.gguf');
  return { id: file, label: `${file} (self-hosted)`, sizeBytes: 0, memoryBytes: 0, engine: 'wasm', url };
}

export function resolveModel(settings: Settings, catalog: ModelDescriptor[] = CATALOG): ModelDescriptor {
  if (settings.model.customUrl) return customModel(settings.model.customUrl);
  const found = catalog.find((m) => m.id === settings.model.id);
  if (!found)
    throw new NotConfiguredError(
      `The model "${settings.model.id}" is not available. Choose a model in the tier-assist options.`,
      {
        data: { setting: 'model.id' },
      },
    );
  return found;
}
