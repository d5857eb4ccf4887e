/**
 * The ghost-text model this device should run by default, chosen so that a suggestion can arrive inside
 * the 200 ms budget (issue 13): a keystroke to the 4th generated token.
 *
 * What the choice rests on (measured on this project's 2-core CPU, wllama 3.13, docs/benchmarks.md):
 * without prefix reuse a step took 2.2 s for the SmolLM2-135M shape, 9.5 s for 0.5B and 20 s for Llama
 * 3.2 1B on 2 threads, twice as long on one. With prefix reuse only the few newly typed tokens are
 * evaluated: the 135M step on 2 threads took 304 ms in Q8_0 and 196 ms with its weights widened to F32
 * on the device (the catalog's `cpuWiden`; llama.cpp's wasm int8 kernels are the bottleneck, F32 runs
 * at memory speed), so the widened 135M model is the one CPU model that fits 200 ms on 2 cores; 360M
 * (~2.7x the compute) and 1B on a CPU do not. WebLLM on a real GPU keeps up to 80% of native speed,
 * where 1B (and 3B) fit. Hence:
 *
 * - a real (non-fallback) WebGPU adapter: Llama 3.2 1B on WebLLM (3B when asked and it fits);
 * - otherwise the CPU: SmolLM2-135M, widened to F32 where the device reports the memory (a software
 *   adapter such as SwiftShader is the CPU too);
 * - one CPU thread (the page is not cross-origin isolated): the smallest model, and the reason says why;
 * - a measured step above the budget moves the choice down the ladder (never up), past every model
 *   that measured too slow;
 * - never Llama 3.2 1B on the CPU, and so never on one thread.
 *
 * Pure: the report (src/engines/probe.ts) and any measurements are passed in.
 */
import { GHOST_TEXT_GGUF_MODELS, SMOLLM2_135M_MODEL, webllmVariant, type CatalogModel } from './catalog.ts';
import { cpuWidenProblem } from './gguf-widen.ts';
import { chooseEngine, type CapabilityReport } from './probe.ts';
import type { EngineKind, EngineSpeed } from './types.ts';

/** Keystroke to suggestion budget for ghost text, in milliseconds. */
export const GHOST_TEXT_BUDGET_MS = 200;

/** A step this device measured for a model (e.g. by `npm run bench:ondevice` or a running engine). */
export interface MeasuredStep {
  modelId: string;
  stepMs: number;
}

export interface GhostTextOptions {
  /** 1B by default on a GPU; 3B when asked (1B when 3B does not fit, with the reason). */
  size?: '1B' | '3B';
  /**
   * Whether the page is cross-origin isolated (wasm threads need SharedArrayBuffer). Defaults to the
   * report's own field when the probe provides one; unknown counts as not isolated only for the reason.
   */
  crossOriginIsolated?: boolean;
  /** Models already cached (passed on to the fit check of the GPU models). */
  cachedModelIds?: readonly string[];
}

export interface GhostTextChoice {
  model: CatalogModel;
  engine: EngineKind;
  /** One or two sentences for the UI: why this model on this device. */
  reason: string;
  /** The device class the choice was made for. */
  device: 'gpu' | 'cpu';
  /** CPU threads the wasm engine is expected to get (1 without cross-origin isolation). */
  threads?: number;
  /** The measured step of the chosen model, when one was given. */
  measuredStepMs?: number;
}

/** Optional fields other parts of the probe may add; read defensively. */
interface ReportExtras {
  crossOriginIsolated?: unknown;
  threads?: unknown;
  wasm?: { threads?: unknown };
}

function optionalBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function optionalCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : undefined;
}

/** Threads the wasm engine can use: what the probe reports, else 1 without isolation and the cores with it. */
function cpuThreads(report: CapabilityReport, options: GhostTextOptions): number {
  const extras = report as CapabilityReport & ReportExtras;
  const reported = optionalCount(extras.wasm?.threads) ?? optionalCount(extras.threads);
  if (reported !== undefined) return reported;
  const isolated = options.crossOriginIsolated ?? optionalBoolean(extras.crossOriginIsolated);
  if (isolated !== true) return 1;
  return Math.max(1, report.cores);
}

const ms = (n: number): string => `${Math.round(n)} ms`;

/**
 * What the wasm engine will do with a CPU model's weights (src/engines/wasm.ts applies the same rule):
 * widen them to F32 when the model opts in and the device reports the memory, else keep the file.
 */
function cpuWeightsNote(model: CatalogModel, deviceMemoryGB: number | undefined): string {
  if (model.cpuWiden !== 'f32') return '';
  const problem = cpuWidenProblem(model.memoryBytes, deviceMemoryGB);
  return problem
    ? ` in Q8_0 (about 1.5x slower: ${problem})`
    : ' with its weights widened to F32 (about 1.5x faster than Q8_0 in llama.cpp on wasm)';
}

/**
 * The ghost-text model for a device. Callable with just a report; `measured` steps (if any) move the
 * choice down, never up.
 */
export function chooseGhostTextModel(
  report: CapabilityReport,
  measured: readonly MeasuredStep[] = [],
  options: GhostTextOptions = {},
): GhostTextChoice {
  const steps = new Map<string, number>();
  for (const m of measured) if (Number.isFinite(m.stepMs)) steps.set(m.modelId, m.stepMs);
  const threads = cpuThreads(report, options);
  const isolated =
    options.crossOriginIsolated ??
    optionalBoolean((report as CapabilityReport & ReportExtras).crossOriginIsolated);

  // The ladder, largest first: the GPU models (when a real GPU takes them), then the CPU ones.
  const ladder: { model: CatalogModel; device: 'gpu' | 'cpu'; why: string }[] = [];
  const gpu = report.webgpu;
  let gpuNote: string | undefined;
  if (!gpu.available) gpuNote = `no usable WebGPU (${gpu.reason ?? 'no adapter'})`;
  else if (gpu.isFallbackAdapter)
    gpuNote = 'the WebGPU adapter is a software fallback (it computes on the CPU)';
  else {
    const fit = chooseEngine(report, {
      prefer: 'webllm',
      allowChromeAi: false,
      size: options.size ?? '1B',
      ...(options.cachedModelIds ? { cachedModelIds: options.cachedModelIds } : {}),
    });
    if (fit.engine === 'webllm' && fit.model) {
      const model = webllmVariant(fit.model.id.includes('-3B-') ? '3B' : '1B', gpu.shaderF16);
      const asked3B = options.size === '3B' && model.size === '1B';
      const rejected3B = fit.rejected.find((r) => r.modelId.includes('-3B-'))?.reason;
      ladder.push({
        model,
        device: 'gpu',
        why: `a real GPU (${[gpu.vendor, gpu.architecture].filter(Boolean).join(' ') || 'WebGPU'}) runs Llama 3.2 ${model.size} on WebLLM at up to 80% of native speed${asked3B ? `; 3B does not fit: ${rejected3B ?? 'not enough memory'}` : ''}`,
      });
      if (model.size === '3B')
        ladder.push({
          model: webllmVariant('1B', gpu.shaderF16),
          device: 'gpu',
          why: 'Llama 3.2 1B on the GPU',
        });
    } else {
      gpuNote = `WebGPU cannot take Llama 3.2: ${fit.rejected.find((r) => r.engine === 'webllm')?.reason ?? fit.reason}`;
    }
  }
  const cpuWhy = (model: CatalogModel): string => {
    const weights = cpuWeightsNote(model, report.deviceMemoryGB);
    return threads > 1
      ? `the CPU (${threads} threads) runs the small SmolLM2 model${weights}; Llama 3.2 1B would take seconds a suggestion there`
      : `the CPU on 1 thread${isolated === false || isolated === undefined ? ' (this page is not cross-origin isolated, so the engine gets no extra threads)' : ''} runs only the smallest model${weights}, at about twice the 2-thread step`;
  };
  const bySize = [...GHOST_TEXT_GGUF_MODELS].sort((a, b) => b.shape.params - a.shape.params);
  const smallest = bySize[bySize.length - 1] ?? SMOLLM2_135M_MODEL;
  // One thread: only the smallest model is on the CPU ladder at all.
  const cpuModels = threads > 1 ? bySize : [smallest];
  for (const model of cpuModels) ladder.push({ model, device: 'cpu', why: cpuWhy(model) });

  // Where the device starts: the first GPU rung, else the small CPU model.
  let start = ladder.findIndex((r) => r.device === 'gpu');
  if (start < 0) start = ladder.findIndex((r) => r.model.id === SMOLLM2_135M_MODEL.id);
  if (start < 0) start = ladder.length - 1;

  // Measurements move down only: skip every rung measured above the budget.
  const slower: string[] = [];
  let index = start;
  while (index < ladder.length - 1) {
    const step = steps.get(ladder[index]!.model.id);
    if (step === undefined || step <= GHOST_TEXT_BUDGET_MS) break;
    slower.push(`${ladder[index]!.model.label} measured ${ms(step)} a step`);
    index += 1;
  }
  const pick = ladder[index]!;
  const pickStep = steps.get(pick.model.id);
  const parts = [pick.why];
  if (gpuNote && pick.device === 'cpu') parts.unshift(gpuNote);
  if (pick.device === 'cpu' && !report.wasm.available)
    parts.push(`but ${report.wasm.reason ?? 'WebAssembly is unavailable'}, so it cannot run here`);
  if (slower.length) parts.push(`moved down: ${slower.join(', ')} (budget ${ms(GHOST_TEXT_BUDGET_MS)})`);
  if (pickStep !== undefined)
    parts.push(
      pickStep <= GHOST_TEXT_BUDGET_MS
        ? `measured ${ms(pickStep)} a step here`
        : `measured ${ms(pickStep)} a step here, above the ${ms(GHOST_TEXT_BUDGET_MS)} budget, and no smaller model is left`,
    );
  const sentence = parts.join('; ');
  return {
    model: pick.model,
    engine: pick.model.engine,
    reason: `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`,
    device: pick.device,
    ...(pick.device === 'cpu' ? { threads } : {}),
    ...(pickStep !== undefined ? { measuredStepMs: pickStep } : {}),
  };
}

/**
 * A ghost-text step estimated from an engine's measured speed: `newTokens` typed tokens evaluated (with
 * prefix reuse only those) and `generated` tokens decoded, the bench's "keystroke to the 4th token".
 * The speed is what the loaded weights measured, so a model the engine widened to F32 on the CPU is
 * estimated at its widened speed (and one kept in Q8_0 at its slower one) with no rule here.
 */
export function estimateStepMs(speed: EngineSpeed, newTokens = 4, generated = 4): number | undefined {
  if (!(speed.prefillTokPerSec > 0) || !(speed.decodeTokPerSec > 0)) return undefined;
  return (newTokens / speed.prefillTokPerSec + generated / speed.decodeTokPerSec) * 1000;
}
