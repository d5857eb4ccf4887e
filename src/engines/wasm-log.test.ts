import { describe, expect, it } from 'vitest';
import { LlamaLog, describePlacement, parseLlamaLog } from './wasm-log.ts';

// Lines as wllama 3.13 / llama.cpp b12211 print them (the CPU ones captured in Chromium here).
const CPU_LOAD = [
  'Multithread enabled: false, pthreadPoolSize: 0',
  'load_tensors: loading model tensors, this can take a while... (load_mode = none)',
  'load_tensors:          CPU model buffer size =     0.11 MiB',
];
const THREADED = ['Multithread enabled: true, pthreadPoolSize: 2', ...CPU_LOAD.slice(1)];
const GPU_LOAD = [
  'Multithread enabled: true, pthreadPoolSize: 2',
  'llama_model_load_from_file_impl: using device WebGPU (WebGPU) (unknown id) - 4096 MiB free',
  'load_tensors: offloading 16 repeating layers to GPU',
  'load_tensors: offloading output layer to GPU',
  'load_tensors: offloaded 17/17 layers to GPU',
];

describe('parseLlamaLog', () => {
  it('reads threads from the worker line and from llama.cpp when it prints them', () => {
    expect(parseLlamaLog(CPU_LOAD).threads).toBe(1);
    expect(parseLlamaLog(THREADED).threads).toBe(2);
    expect(
      parseLlamaLog([...THREADED, 'system_info: n_threads = 3 (n_threads_batch = 3) / 4 | CPU : ']).threads,
    ).toBe(3);
  });

  it('reads offloaded layers and the device; none without a GPU device', () => {
    expect(parseLlamaLog(GPU_LOAD)).toMatchObject({
      gpuLayers: 17,
      totalLayers: 17,
      gpuDevice: 'WebGPU (WebGPU)',
    });
    expect(parseLlamaLog(CPU_LOAD).gpuLayers).toBeUndefined();
  });

  it('keeps a WebGPU failure llama.cpp logged', () => {
    const lines = [
      "ggml_webgpu: Failed to get a device: Failed to execute 'requestDevice' on 'GPUAdapter': Unsupported feature: shader-f16",
    ];
    expect(parseLlamaLog(lines).gpuError).toMatch(/^Failed to get a device: .*shader-f16/);
  });
});

describe('describePlacement', () => {
  const swiftshader =
    "the WebGPU adapter (SwiftShader, a software fallback) lacks shader-f16, which llama.cpp's WebGPU backend needs";

  it('CPU on one thread in a page that is not isolated: says it is slower and why, then why not the GPU', () => {
    const p = describePlacement(parseLlamaLog(CPU_LOAD), {
      modelLayers: 16,
      askedThreads: 1,
      isolated: false,
      gpuAsked: false,
      whyNotGpu: swiftshader,
    });
    expect(p).toMatchObject({ device: 'cpu', threads: 1, gpuLayers: 0, totalLayers: 16 });
    expect(p.note).toBe(
      `CPU, 1 thread: this page is not cross-origin isolated, so the engine runs about half as fast as it could (see docs/isolation.md); not on the GPU: ${swiftshader}`,
    );
  });

  it('CPU on two threads: the note is only why not the GPU', () => {
    const p = describePlacement(parseLlamaLog(THREADED), {
      askedThreads: 2,
      isolated: true,
      gpuAsked: true,
      whyNotGpu: swiftshader,
    });
    expect(p.threads).toBe(2);
    expect(p.note).toBe(`CPU, 2 threads: ${swiftshader}`);
  });

  it('the log wins over what was asked', () => {
    const p = describePlacement(parseLlamaLog(CPU_LOAD), { askedThreads: 4, isolated: true, gpuAsked: true });
    expect(p.threads).toBe(1);
    expect(p.note).toMatch(/^CPU, 1 thread: llama\.cpp's WebGPU backend took no layers$/);
  });

  it('all layers on the GPU, or some', () => {
    const all = describePlacement(parseLlamaLog(GPU_LOAD), {
      askedThreads: 2,
      isolated: true,
      gpuAsked: true,
    });
    expect(all).toMatchObject({
      device: 'gpu',
      gpuLayers: 17,
      totalLayers: 17,
      note: 'GPU: 17/17 layers on WebGPU',
    });
    const some = describePlacement(parseLlamaLog(['load_tensors: offloaded 10/17 layers to GPU']), {
      askedThreads: 1,
      isolated: false,
      gpuAsked: true,
    });
    expect(some.note).toBe('GPU and CPU: 10/17 layers on WebGPU, the rest on the CPU with 1 thread');
  });

  it('a logged WebGPU failure is the reason, over the prediction', () => {
    const p = describePlacement(parseLlamaLog(['ggml_webgpu: Device lost! Reason: 4, Message: gone']), {
      askedThreads: 2,
      isolated: true,
      gpuAsked: true,
      whyNotGpu: 'predicted',
    });
    expect(p.note).toBe(
      "CPU, 2 threads: llama.cpp's WebGPU backend failed (Device lost! Reason: 4, Message: gone)",
    );
    // Not asked for the GPU: wllama hid the adapter, and the line that says so is no failure.
    const cpuOnly = describePlacement(
      parseLlamaLog([
        'ggml_webgpu: Failed to get an adapter: WebGPU not available on this browser (requestAdapter returned null)',
      ]),
      {
        askedThreads: 2,
        isolated: true,
        gpuAsked: false,
        whyNotGpu: 'GGUF on WebGPU is turned off in the settings',
      },
    );
    expect(cpuOnly.note).toBe('CPU, 2 threads: GGUF on WebGPU is turned off in the settings');
  });
});

describe("the file's weight type", () => {
  it('reads what llama.cpp printed, guessed or not', () => {
    expect(parseLlamaLog(['print_info: file type   = all F32']).fileType).toBe('all F32');
    expect(parseLlamaLog(['print_info: file type   = Q8_0']).fileType).toBe('Q8_0');
    expect(parseLlamaLog(['print_info: file type   = (guessed) Q8_0']).fileType).toBe('Q8_0');
    expect(parseLlamaLog(['llama_model_loader: - type q8_0:   9 tensors']).fileType).toBeUndefined();
  });
});

describe('LlamaLog', () => {
  it('captures string arguments line by line, bounded, without printing unless asked', () => {
    const log = new LlamaLog(false, 3);
    log.logger.debug('a\nb');
    log.logger.log({ object: true });
    log.logger.warn('c', 'd');
    log.logger.error('e');
    expect(log.lines).toEqual(['b', 'c d', 'e']);
    log.clear();
    expect(log.lines).toEqual([]);
  });
});
