import { describe, expect, it } from 'vitest';
import { DEFAULT_GGUF_MODEL, WEBLLM_MODELS, webllmVariant, withModelUrls } from './catalog.ts';
import { chooseEngine, probeCapabilities, type AdapterLike, type ProbeEnvironment } from './probe.ts';

const GB = 1024 ** 3;

function adapter(
  features: string[],
  binding = 2 * GB,
  fallback = false,
  info: { vendor?: string; architecture?: string } = { vendor: 'test', architecture: 'x' },
): AdapterLike {
  return {
    features: new Set(features),
    limits: { maxStorageBufferBindingSize: binding, maxBufferSize: binding },
    info: { ...info, isFallbackAdapter: fallback },
  };
}

function env(over: Partial<ProbeEnvironment> = {}): ProbeEnvironment {
  return {
    gpu: { requestAdapter: async () => adapter(['shader-f16']) },
    storage: { estimate: async () => ({ quota: 50 * GB, usage: 1 * GB }), persisted: async () => false },
    deviceMemory: 8,
    hardwareConcurrency: 8,
    languageModel: undefined,
    wasmSimd: true,
    // No JSPI: keeps GGUF on WebGPU out of the WebLLM tests; the GGUF tests below turn it on.
    wasmJspi: false,
    wasmMemory64: true,
    ...over,
  };
}

describe('probeCapabilities', () => {
  it('reads adapter features, limits, storage and the Prompt API', async () => {
    const report = await probeCapabilities(
      env({ languageModel: { availability: async () => 'downloadable' } }),
    );
    expect(report.webgpu).toMatchObject({
      available: true,
      shaderF16: true,
      maxStorageBufferBindingSize: 2 * GB,
    });
    expect(report.storage).toMatchObject({ quotaBytes: 50 * GB, availableBytes: 49 * GB, known: true });
    expect(report.promptApi).toBe('downloadable');
    expect(report.wasm.available).toBe(true);
  });

  it('explains a missing WebGPU and asks for persistence only when told to', async () => {
    let asked = 0;
    const e = env({
      gpu: undefined,
      storage: {
        estimate: async () => ({ quota: GB, usage: 0 }),
        persist: async () => {
          asked++;
          return true;
        },
      },
    });
    const quiet = await probeCapabilities(e);
    expect(quiet.webgpu.available).toBe(false);
    expect(quiet.webgpu.reason).toMatch(/navigator\.gpu/);
    expect(asked).toBe(0);
    const persisted = await probeCapabilities(e, { requestPersist: true });
    expect(asked).toBe(1);
    expect(persisted.storage.persisted).toBe(true);
    const nullAdapter = await probeCapabilities(env({ gpu: { requestAdapter: async () => null } }));
    expect(nullAdapter.webgpu.reason).toMatch(/no WebGPU adapter/);
  });
});

describe('chooseEngine', () => {
  it('picks WebLLM q4f16_1 when the adapter has shader-f16', async () => {
    const choice = chooseEngine(await probeCapabilities(env()));
    expect(choice.engine).toBe('webllm');
    expect(choice.model?.id).toBe('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(choice.downloadBytes).toBe(choice.model?.sizeBytes);
    expect(choice.rejected.find((r) => r.engine === 'chrome-ai')?.reason).toMatch(/Prompt API/);
    expect(choice.rejected.find((r) => r.engine === 'wasm')?.reason).toMatch(/preferred/);
  });

  it('picks q4f32_1 without shader-f16 and notes a software adapter', async () => {
    const choice = chooseEngine(
      await probeCapabilities(env({ gpu: { requestAdapter: async () => adapter([], GB, true) } })),
    );
    expect(choice.model?.id).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(choice.reason).toMatch(/no shader-f16/);
    expect(choice.reason).toMatch(/software adapter/);
  });

  it('falls back to wasm without WebGPU, with the reason', async () => {
    const choice = chooseEngine(await probeCapabilities(env({ gpu: undefined })));
    expect(choice.engine).toBe('wasm');
    expect(choice.model).toEqual(DEFAULT_GGUF_MODEL);
    expect(choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/WebGPU unavailable/);
  });

  it('rejects models that do not fit the storage, with needed and free sizes', async () => {
    const small = env({ storage: { estimate: async () => ({ quota: 700 * 1024 ** 2, usage: 0 }) } });
    const choice = chooseEngine(await probeCapabilities(small));
    // 672 MB of WebLLM weights do not fit in 90% of 700 MB; neither does the 770 MB GGUF.
    expect(choice.engine).toBeUndefined();
    expect(choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(
      /needs 672 MB of storage, only 700 MB free/,
    );
    expect(choice.reason).toMatch(/remote tiers/);
    // ...unless the model is already cached.
    const cached = chooseEngine(await probeCapabilities(small), {
      cachedModelIds: ['Llama-3.2-1B-Instruct-q4f16_1-MLC'],
    });
    expect(cached.engine).toBe('webllm');
    expect(cached.downloadBytes).toBe(0);
  });

  it('rejects on device memory, takes 3B only when asked and it fits', async () => {
    const lowRam = chooseEngine(await probeCapabilities(env({ deviceMemory: 1 })));
    expect(lowRam.engine).toBeUndefined();
    expect(lowRam.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/device reports 1 GB/);
    const big = chooseEngine(await probeCapabilities(env()), { size: '3B' });
    expect(big.model?.id).toBe('Llama-3.2-3B-Instruct-q4f16_1-MLC');
    const mid = chooseEngine(await probeCapabilities(env({ deviceMemory: 4 })), { size: '3B' });
    expect(mid.model?.id).toBe('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(mid.rejected[1]?.modelId).toBe('Llama-3.2-3B-Instruct-q4f16_1-MLC');
  });

  it("prefers Chrome's ready built-in model, unless turned off or another engine is preferred", async () => {
    const e = env({ languageModel: { availability: async () => 'available' } });
    expect(chooseEngine(await probeCapabilities(e)).engine).toBe('chrome-ai');
    expect(chooseEngine(await probeCapabilities(e), { allowChromeAi: false }).engine).toBe('webllm');
    expect(chooseEngine(await probeCapabilities(e), { prefer: 'wasm' }).engine).toBe('wasm');
  });
});

/** A browser where wllama's WebGPU build runs (JSPI, 64-bit memory), with this adapter. */
function ggufEnv(a: AdapterLike | null, over: Partial<ProbeEnvironment> = {}): ProbeEnvironment {
  return env({ gpu: { requestAdapter: async () => a }, wasmJspi: true, wasmMemory64: true, ...over });
}

describe("GGUF on WebGPU: predicting what llama.cpp's WebGPU backend accepts", () => {
  it('a hardware adapter with shader-f16 is accepted, and GGUF on WebGPU is chosen over WebLLM, saying why', async () => {
    const report = await probeCapabilities(ggufEnv(adapter(['shader-f16'])));
    expect(report.ggufWebgpu).toMatchObject({ accepted: true, recommended: true });
    const choice = chooseEngine(report);
    expect(choice.engine).toBe('wasm');
    expect(choice.device).toBe('gpu');
    expect(choice.model).toEqual(DEFAULT_GGUF_MODEL);
    expect(choice.reason).toMatch(/GGUF on WebGPU: .*has shader-f16.*faster than WebLLM/);
    expect(choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/preferred/);
    expect(choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/on WebGPU/);
  });

  it('without shader-f16 the backend refuses, whatever else the adapter has; WebLLM stays the GPU path', async () => {
    const others = ['subgroups', 'timestamp-query', 'subgroup-size-control', 'float32-filterable'];
    const report = await probeCapabilities(ggufEnv(adapter(others)));
    expect(report.ggufWebgpu?.accepted).toBe(false);
    expect(report.ggufWebgpu?.reason).toBe(
      "the WebGPU adapter (test x) lacks shader-f16, which llama.cpp's WebGPU backend needs",
    );
    const choice = chooseEngine(report);
    expect(choice.engine).toBe('webllm');
    expect(choice.device).toBe('gpu');
    expect(choice.model?.id).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(choice.reason).toMatch(/not GGUF on WebGPU: .*lacks shader-f16/);
    expect(choice.rejected.find((r) => r.engine === 'wasm')?.reason).toMatch(/preferred/);
  });

  it('shader-f16 is the only feature it needs: subgroups and timestamp-query are optional', async () => {
    for (const features of [['shader-f16'], ['shader-f16', 'subgroups'], ['shader-f16', 'timestamp-query']]) {
      const report = await probeCapabilities(ggufEnv(adapter(features)));
      expect(report.ggufWebgpu?.accepted, features.join(',')).toBe(true);
    }
    for (const features of [[], ['subgroups'], ['timestamp-query'], ['subgroups', 'timestamp-query']]) {
      const report = await probeCapabilities(ggufEnv(adapter(features)));
      expect(report.ggufWebgpu?.accepted, features.join(',')).toBe(false);
    }
  });

  it('SwiftShader (fallback, no shader-f16) is refused with the reason the UI shows; never "GPU"', async () => {
    const swiftshader = adapter(['subgroups'], GB, true, { vendor: 'google', architecture: 'swiftshader' });
    const report = await probeCapabilities(ggufEnv(swiftshader));
    expect(report.ggufWebgpu).toMatchObject({ accepted: false, recommended: false });
    expect(report.ggufWebgpu?.reason).toBe(
      "the WebGPU adapter (SwiftShader, a software fallback) lacks shader-f16, which llama.cpp's WebGPU backend needs",
    );
    const cpuOnly = chooseEngine(report, { prefer: 'wasm' });
    expect(cpuOnly.engine).toBe('wasm');
    expect(cpuOnly.device).toBe('cpu');
    expect(cpuOnly.reason).toMatch(/CPU.*not on the GPU: .*SwiftShader.*lacks shader-f16/);
  });

  it('a fallback adapter with shader-f16 would be accepted by the backend, but auto keeps the CPU', async () => {
    const report = await probeCapabilities(ggufEnv(adapter(['shader-f16'], GB, true)));
    expect(report.ggufWebgpu).toMatchObject({ accepted: true, recommended: false });
    expect(report.ggufWebgpu?.reason).toMatch(/software fallback\) computes on the CPU/);
    expect(chooseEngine(report).engine).toBe('webllm');
    expect(chooseEngine(report, { prefer: 'wasm' }).device).toBe('cpu');
  });

  it("without JSPI or 64-bit wasm memory wllama's WebGPU build does not run", async () => {
    const a = adapter(['shader-f16']);
    const noJspi = await probeCapabilities(ggufEnv(a, { wasmJspi: false }));
    expect(noJspi.ggufWebgpu?.accepted).toBe(false);
    expect(noJspi.ggufWebgpu?.reason).toMatch(/JSPI/);
    const noMem64 = await probeCapabilities(ggufEnv(a, { wasmMemory64: false }));
    expect(noMem64.ggufWebgpu?.reason).toMatch(/64-bit wasm memory/);
    const noGpu = await probeCapabilities(ggufEnv(a, { gpu: undefined }));
    expect(noGpu.ggufWebgpu?.reason).toBe('this browser has no WebGPU');
  });

  it('asks for the adapter the way the backend does (no power preference), and reports a failing request', async () => {
    const asked: unknown[] = [];
    await probeCapabilities(
      ggufEnv(null, {
        gpu: {
          requestAdapter: async (o) => {
            asked.push(o);
            return adapter(['shader-f16']);
          },
        },
      }),
    );
    expect(asked).toContainEqual({ forceFallbackAdapter: false });
    const failing = await probeCapabilities(
      ggufEnv(null, {
        gpu: {
          requestAdapter: async () => {
            throw new Error('GPU process crashed');
          },
        },
      }),
    );
    expect(failing.ggufWebgpu?.reason).toMatch(/GPU process crashed/);
  });

  it('ggufGpu: off keeps GGUF on the CPU and says so', async () => {
    const report = await probeCapabilities(ggufEnv(adapter(['shader-f16'])));
    const choice = chooseEngine(report, { ggufGpu: 'off' });
    expect(choice.engine).toBe('webllm');
    expect(choice.reason).toMatch(/GGUF on WebGPU is turned off/);
    expect(chooseEngine(report, { ggufGpu: 'off', prefer: 'wasm' }).device).toBe('cpu');
  });

  it('reports the threads the wasm engine will get: all cores when isolated, else 1', async () => {
    const isolated = await probeCapabilities(env({ crossOriginIsolated: true, hardwareConcurrency: 2 }));
    expect(isolated.wasm.threads).toBe(2);
    expect(isolated.crossOriginIsolated).toBe(true);
    const plain = await probeCapabilities(env({ crossOriginIsolated: false, hardwareConcurrency: 8 }));
    expect(plain.wasm.threads).toBe(1);
  });
});

describe('catalog', () => {
  it('has the 1B/3B q4f16_1/q4f32_1 MLC models with web-llm 0.2.86 libraries and VRAM', () => {
    expect(WEBLLM_MODELS.map((m) => m.id)).toEqual([
      'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      'Llama-3.2-1B-Instruct-q4f32_1-MLC',
      'Llama-3.2-3B-Instruct-q4f16_1-MLC',
      'Llama-3.2-3B-Instruct-q4f32_1-MLC',
    ]);
    expect(webllmVariant('1B', true).memoryBytes).toBe(Math.round(879.04 * 1024 * 1024));
    for (const m of WEBLLM_MODELS) {
      expect(m.libUrl).toMatch(/v0_2_86\/base\/.*-webgpu\.wasm$/);
      expect(m.url).toMatch(/\/resolve\/main\/$/);
    }
    expect(DEFAULT_GGUF_MODEL.sizeBytes).toBe(807_694_464);
  });

  it('self-hosted URLs get the /resolve/<x>/ segment web-llm needs and become absolute', () => {
    const m = webllmVariant('1B', false);
    expect(withModelUrls(m, { url: 'https://models.example.com/llama' }).url).toBe(
      'https://models.example.com/llama/resolve/main/',
    );
    expect(withModelUrls(m, { url: 'https://x.test/m/resolve/v2/' }).url).toBe(
      'https://x.test/m/resolve/v2/',
    );
    expect(
      withModelUrls(m, { url: '/models/llama', libUrl: 'lib.wasm' }, 'https://site.test/app/'),
    ).toMatchObject({
      url: 'https://site.test/models/llama/resolve/main/',
      libUrl: 'https://site.test/app/lib.wasm',
    });
  });
});
