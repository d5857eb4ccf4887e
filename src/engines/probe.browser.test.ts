/** The probe against the real Chromium of the test harness (launched with --enable-unsafe-webgpu). */
import { describe, expect, it } from 'vitest';
import { chooseEngine, probeCapabilities } from './probe.ts';

describe('capability probe in Chromium with SwiftShader WebGPU', () => {
  it('finds the real adapter without shader-f16 and picks q4f32_1 (or says why not)', async () => {
    const report = await probeCapabilities();
    expect(report.webgpu.available).toBe(true);
    expect(report.webgpu.shaderF16).toBe(false);
    expect(report.webgpu.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.storage.known).toBe(true);
    expect(report.storage.quotaBytes).toBeGreaterThan(0);
    expect(report.wasm.available).toBe(true);
    // Chromium 156 ships the LanguageModel global, but no model on this machine.
    expect(['absent', 'unavailable']).toContain(report.promptApi);

    const choice = chooseEngine(report);
    if (choice.engine === 'webllm') {
      expect(choice.model?.id).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
      expect(choice.reason).toMatch(/no shader-f16/);
    } else {
      const webllm = choice.rejected.find((r) => r.engine === 'webllm');
      expect(webllm?.modelId).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
      expect(webllm?.reason).toMatch(/memory|storage/);
    }
    expect(choice.rejected.find((r) => r.engine === 'chrome-ai')?.reason).toMatch(/Prompt API|not supported/);
  });

  it("predicts that llama.cpp's WebGPU backend refuses SwiftShader, so GGUF is never offered on the GPU here", async () => {
    const report = await probeCapabilities();
    // Chromium here has JSPI and 64-bit wasm memory: the only missing piece is the adapter's shader-f16.
    expect(report.ggufWebgpu).toEqual({
      accepted: false,
      recommended: false,
      adapter: 'SwiftShader, a software fallback',
      reason:
        "the WebGPU adapter (SwiftShader, a software fallback) lacks shader-f16, which llama.cpp's WebGPU backend needs",
    });
    const choice = chooseEngine(report, { prefer: 'wasm' });
    expect(choice.engine).toBe('wasm');
    expect(choice.device).toBe('cpu');
    expect(choice.reason).toMatch(/not on the GPU: .*lacks shader-f16/);
    const auto = chooseEngine(report);
    expect(auto.engine === 'wasm' && auto.device === 'gpu').toBe(false);
  });
});
