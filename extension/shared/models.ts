/**
 * Which model the settings point at. A self-hosted GGUF URL runs on the wasm engine; `auto` stands for
 * the model this device should run ({@link AUTO_MODEL}, resolved by {@link autoResolver} where the probe
 * runs: the offscreen engine host); otherwise the id is looked up in the catalog the engines module
 * publishes.
 */
import { z } from 'zod';
import { CATALOG as ENGINE_CATALOG } from '../../src/engines/catalog.ts';
import {
  chooseGhostTextModel,
  estimateStepMs,
  type GhostTextChoice,
  type MeasuredStep,
} from '../../src/engines/defaults.ts';
import type { CapabilityReport } from '../../src/engines/probe.ts';
import type { ModelDescriptor } from '../../src/engines/types.ts';
import { NotConfiguredError } from '../../src/errors.ts';
import { AUTO_MODEL_ID, type Settings } from './settings.ts';

export const ModelDescriptorSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  sizeBytes: z.number().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  engine: z.enum(['webllm', 'wasm', 'chrome-ai']),
  url: z.string().optional(),
  libUrl: z.string().optional(),
  // Kept through messages, so the offscreen engine widens the small GGUFs on the CPU (src/engines/gguf-widen.ts).
  cpuWiden: z.literal('f32').optional(),
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

/**
 * "The model this device should run": what the settings resolve to when `model.id` is `auto`. It
 * travels to the engine host like any model, and the host replaces it with the device's choice before
 * anything loads (sizes 0: nothing is known about it before the probe).
 */
export const AUTO_MODEL: ModelDescriptor = {
  id: AUTO_MODEL_ID,
  label: 'Automatic (recommended for this device)',
  sizeBytes: 0,
  memoryBytes: 0,
  engine: 'wasm',
};

export function resolveModel(settings: Settings, catalog: ModelDescriptor[] = CATALOG): ModelDescriptor {
  if (settings.model.customUrl) return customModel(settings.model.customUrl);
  if (settings.model.id === AUTO_MODEL_ID) return AUTO_MODEL;
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

/** What an `auto` model resolved to on this device, and why. */
export interface AutoResolution {
  model: ModelDescriptor;
  reason: string | undefined;
}

export interface AutoResolverDeps {
  /** The capability probe of the document that hosts the engine (called once, then kept). */
  probe: () => Promise<CapabilityReport>;
  /** Whether that document is cross-origin isolated (wasm threads). */
  crossOriginIsolated: boolean;
  /** Steps this device measured (persisted by the caller); read on every resolution. */
  measured?: () => readonly MeasuredStep[];
  catalog?: ModelDescriptor[];
}

/**
 * Resolves {@link AUTO_MODEL} to this device's ghost-text model with chooseGhostTextModel (any other
 * model passes through unchanged). The probe runs once; a step measured above the budget since then
 * moves the next resolution down to a smaller model, never up. A failed probe falls back to the smallest
 * CPU model with the reason.
 */
export function autoResolver(deps: AutoResolverDeps): (model: ModelDescriptor) => Promise<AutoResolution> {
  let report: Promise<CapabilityReport> | undefined;
  const catalog = deps.catalog ?? CATALOG;
  return async (model) => {
    if (model.id !== AUTO_MODEL_ID || model.url) return { model, reason: undefined };
    let choice: GhostTextChoice;
    try {
      report ??= deps.probe();
      choice = chooseGhostTextModel(await report, deps.measured?.() ?? [], {
        crossOriginIsolated: deps.crossOriginIsolated,
      });
    } catch (error) {
      report = undefined;
      const fallback = chooseGhostTextModel(NO_GPU_REPORT, [], { crossOriginIsolated: false });
      choice = {
        ...fallback,
        reason: `The device probe failed (${error instanceof Error ? error.message : String(error)}), so the smallest CPU model runs.`,
      };
    }
    // The extension's copy of the entry (its WebLLM library may be packaged inside the extension).
    return { model: catalog.find((m) => m.id === choice.model.id) ?? choice.model, reason: choice.reason };
  };
}

/** A report with nothing but WebAssembly: the floor the resolver falls back to. */
const NO_GPU_REPORT: CapabilityReport = {
  webgpu: {
    available: false,
    shaderF16: false,
    maxStorageBufferBindingSize: 0,
    maxBufferSize: 0,
    isFallbackAdapter: false,
    reason: 'not probed',
  },
  storage: { quotaBytes: 0, usageBytes: 0, availableBytes: 0, persisted: false, known: false },
  deviceMemoryGB: undefined,
  cores: 1,
  promptApi: 'absent',
  wasm: { available: true },
};

const MEASURED_KEY = 'tierAssist.measuredSteps';
/** Runs a speed figure must rest on before it can move the automatic choice down. */
export const MIN_SAMPLES = 3;

/**
 * Measured ghost-text steps kept in the engine host's `localStorage` (extension origin), so a model that
 * measured too slow stays moved down after the browser restarts. `record` takes an engine's running
 * speed (estimated as a keystroke-to-4th-token step with prefix reuse).
 */
export function measuredSteps(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined): {
  read: () => MeasuredStep[];
  record: (
    modelId: string,
    speed: { prefillTokPerSec: number; decodeTokPerSec: number; samples: number },
  ) => void;
} {
  const Schema = z.array(z.object({ modelId: z.string().min(1), stepMs: z.number().nonnegative() })).max(50);
  const read = (): MeasuredStep[] => {
    try {
      return Schema.parse(JSON.parse(storage?.getItem(MEASURED_KEY) ?? '[]'));
    } catch {
      return [];
    }
  };
  return {
    read,
    record: (modelId, speed) => {
      if (speed.samples < MIN_SAMPLES || modelId === AUTO_MODEL_ID) return;
      const stepMs = estimateStepMs(speed);
      if (stepMs === undefined) return;
      const next = [...read().filter((m) => m.modelId !== modelId), { modelId, stepMs: Math.round(stepMs) }];
      try {
        storage?.setItem(MEASURED_KEY, JSON.stringify(next.slice(-50)));
      } catch {
        // storage full or unavailable: the choice just is not remembered
      }
    },
  };
}
