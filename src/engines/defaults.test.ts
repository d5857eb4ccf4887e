import { describe, expect, it } from 'vitest';
import {
  CATALOG,
  DEFAULT_GGUF_MODEL,
  GHOST_TEXT_GGUF_MODELS,
  SMOLLM2_135M_MODEL,
  SMOLLM2_360M_MODEL,
} from './catalog.ts';
import { chooseGhostTextModel, estimateStepMs, GHOST_TEXT_BUDGET_MS } from './defaults.ts';
import type { CapabilityReport } from './probe.ts';

const GB = 1024 ** 3;

type Gpu = Partial<CapabilityReport['webgpu']>;

function report(gpu: Gpu | 'none' = 'none', extra: Partial<CapabilityReport> = {}): CapabilityReport {
  return {
    webgpu:
      gpu === 'none'
        ? {
            available: false,
            shaderF16: false,
            maxStorageBufferBindingSize: 0,
            maxBufferSize: 0,
            isFallbackAdapter: false,
            reason: 'this browser has no WebGPU (navigator.gpu is missing)',
          }
        : {
            available: true,
            shaderF16: true,
            maxStorageBufferBindingSize: 2 * GB,
            maxBufferSize: 2 * GB,
            isFallbackAdapter: false,
            vendor: 'nvidia',
            ...gpu,
          },
    storage: { quotaBytes: 100 * GB, usageBytes: 0, availableBytes: 100 * GB, persisted: false, known: true },
    deviceMemoryGB: 8,
    cores: 2,
    promptApi: 'absent',
    wasm: { available: true },
    ...extra,
  };
}

/** A report with the cross-origin-isolation field another part of the probe may add. */
const isolated = (r: CapabilityReport, value: boolean) => ({ ...r, crossOriginIsolated: value });

describe('catalog for ghost text', () => {
  it('has real GGUF ghost-text models for the CPU with their download URLs, purpose and shape', () => {
    expect(GHOST_TEXT_GGUF_MODELS.map((m) => m.id)).toEqual([
      'smollm2-135m-instruct-q8_0.gguf',
      'smollm2-360m-instruct-q8_0.gguf',
    ]);
    for (const m of GHOST_TEXT_GGUF_MODELS) {
      expect(m.engine).toBe('wasm');
      expect(m.url).toBe(
        `https://huggingface.co/HuggingFaceTB/${m === SMOLLM2_135M_MODEL ? 'SmolLM2-135M' : 'SmolLM2-360M'}-Instruct-GGUF/resolve/main/${m.id}`,
      );
      expect(m.purpose).toContain('ghost-text');
    }
    expect(SMOLLM2_135M_MODEL.sizeBytes).toBe(145_000_000);
    expect(SMOLLM2_360M_MODEL.sizeBytes).toBe(386_000_000);
    expect(SMOLLM2_135M_MODEL.shape).toEqual({ params: 134_515_008, layers: 30 });
    // Every catalog entry says what it is for and how big it is, for the speed reasoning.
    for (const m of CATALOG) {
      expect(m.purpose.length).toBeGreaterThan(0);
      expect(m.shape.layers).toBeGreaterThanOrEqual(0);
    }
    expect(DEFAULT_GGUF_MODEL.purpose).toEqual(['chat']);
  });
});

describe('chooseGhostTextModel', () => {
  it('on a real GPU picks Llama 3.2 1B on WebLLM, with the variant the adapter supports', () => {
    const choice = chooseGhostTextModel(report({ shaderF16: true }));
    expect(choice.engine).toBe('webllm');
    expect(choice.model.id).toBe('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(choice.device).toBe('gpu');
    expect(choice.reason).toMatch(/real GPU \(nvidia\)/);
    expect(chooseGhostTextModel(report({ shaderF16: false })).model.id).toBe(
      'Llama-3.2-1B-Instruct-q4f32_1-MLC',
    );
  });

  it('takes 3B when asked and it fits, and says why it stays on 1B when it does not', () => {
    expect(chooseGhostTextModel(report({}), [], { size: '3B' }).model.id).toBe(
      'Llama-3.2-3B-Instruct-q4f16_1-MLC',
    );
    const small = chooseGhostTextModel(report({}, { deviceMemoryGB: 4 }), [], { size: '3B' });
    expect(small.model.id).toBe('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(small.reason).toMatch(/3B does not fit: needs ~2\.2 GB of GPU memory/);
  });

  it('on a software (fallback) adapter or without WebGPU runs the small GGUF on the CPU', () => {
    for (const r of [report({ isFallbackAdapter: true, shaderF16: false }), report('none')]) {
      const choice = chooseGhostTextModel(isolated(r, true));
      expect(choice.model).toBe(SMOLLM2_135M_MODEL);
      expect(choice.engine).toBe('wasm');
      expect(choice.device).toBe('cpu');
      expect(choice.threads).toBe(2);
    }
    expect(chooseGhostTextModel(report({ isFallbackAdapter: true })).reason).toMatch(/software fallback/);
  });

  it('on the CPU says the small model runs widened to F32, or in Q8_0 when the device lacks the memory', () => {
    const roomy = chooseGhostTextModel(isolated(report('none'), true));
    expect(SMOLLM2_135M_MODEL.cpuWiden).toBe('f32');
    expect(roomy.reason).toMatch(/SmolLM2 model with its weights widened to F32/);
    const small = chooseGhostTextModel(isolated(report('none', { deviceMemoryGB: 1 }), true));
    expect(small.model).toBe(SMOLLM2_135M_MODEL);
    expect(small.reason).toMatch(
      /in Q8_0 \(about 1\.5x slower: F32 weights would need 620 MB and the device reports 1 GB/,
    );
    const oneThread = chooseGhostTextModel(isolated(report('none'), false));
    expect(oneThread.reason).toMatch(
      /smallest model with its weights widened to F32.*twice the 2-thread step/,
    );
  });

  it('callable with just a report (the bench): never a 1B model on the CPU', () => {
    const choice = chooseGhostTextModel(report('none'));
    expect(choice.model.id).toBe(SMOLLM2_135M_MODEL.id);
    expect(choice.model.shape.params).toBeLessThan(200_000_000);
  });

  it('one CPU thread (not cross-origin isolated) takes the smallest model and says why it is slower', () => {
    const choice = chooseGhostTextModel(isolated(report('none'), false));
    expect(choice.model).toBe(SMOLLM2_135M_MODEL);
    expect(choice.threads).toBe(1);
    expect(choice.reason).toMatch(/1 thread .*not cross-origin isolated/);
    // Even a 1B measured fast elsewhere is never the one-thread choice, and nothing bigger is.
    const measured = [
      { modelId: DEFAULT_GGUF_MODEL.id, stepMs: 50 },
      { modelId: SMOLLM2_360M_MODEL.id, stepMs: 50 },
    ];
    expect(chooseGhostTextModel(isolated(report('none'), false), measured).model).toBe(SMOLLM2_135M_MODEL);
  });

  it('a GPU model measured above the budget moves down, past every model measured too slow', () => {
    const gpu = isolated(report({ shaderF16: false }), true);
    const oneB = 'Llama-3.2-1B-Instruct-q4f32_1-MLC';
    const down = chooseGhostTextModel(gpu, [{ modelId: oneB, stepMs: 900 }]);
    expect(down.model).toBe(SMOLLM2_360M_MODEL);
    expect(down.reason).toMatch(/moved down: Llama 3\.2 1B Instruct \(q4f32, GPU\) measured 900 ms a step/);
    const further = chooseGhostTextModel(gpu, [
      { modelId: oneB, stepMs: 900 },
      { modelId: SMOLLM2_360M_MODEL.id, stepMs: 450 },
    ]);
    expect(further.model).toBe(SMOLLM2_135M_MODEL);
    // Inside the budget: it stays, and the reason quotes the figure.
    const stays = chooseGhostTextModel(gpu, [{ modelId: oneB, stepMs: 120 }]);
    expect(stays.model.id).toBe(oneB);
    expect(stays.measuredStepMs).toBe(120);
    expect(stays.reason).toMatch(/measured 120 ms a step here/);
  });

  it('never moves up: a fast measurement of a bigger model does not replace the CPU default', () => {
    const cpu = isolated(report('none', { cores: 8 }), true);
    const choice = chooseGhostTextModel(cpu, [{ modelId: SMOLLM2_360M_MODEL.id, stepMs: 90 }]);
    expect(choice.model).toBe(SMOLLM2_135M_MODEL);
    expect(choice.threads).toBe(8);
  });

  it('says so when even the smallest model measured above the budget', () => {
    const choice = chooseGhostTextModel(isolated(report('none'), true), [
      { modelId: SMOLLM2_135M_MODEL.id, stepMs: 2200 },
    ]);
    expect(choice.model).toBe(SMOLLM2_135M_MODEL);
    expect(choice.reason).toMatch(/2200 ms a step here, above the 200 ms budget, and no smaller model/);
  });

  it('reads a thread count the probe reports instead of guessing from isolation', () => {
    const r = { ...report('none', { cores: 8 }), wasm: { available: true, threads: 4 } };
    expect(chooseGhostTextModel(r).threads).toBe(4);
  });
});

describe('estimateStepMs', () => {
  it('turns measured speed into a keystroke-to-4th-token step', () => {
    // 135M on 2 threads here: 30 tok/s prefill, 20 tok/s decode -> 4/30 + 4/20 s.
    expect(estimateStepMs({ prefillTokPerSec: 30, decodeTokPerSec: 20, samples: 3 })).toBeCloseTo(333.3, 0);
    expect(estimateStepMs({ prefillTokPerSec: 400, decodeTokPerSec: 60, samples: 3 })!).toBeLessThanOrEqual(
      GHOST_TEXT_BUDGET_MS,
    );
    expect(estimateStepMs({ prefillTokPerSec: 0, decodeTokPerSec: 20, samples: 0 })).toBeUndefined();
  });
});
