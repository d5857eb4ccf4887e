/**
 * The capability probe in real Firefox ESR (the firefox-browser project): no WebGPU and no Prompt API,
 * so the choice is the wasm engine, and each rejected option carries the reason <tier-assist>'s panel
 * and the extension's options page show ("Why").
 */
import { describe, expect, it } from 'vitest';
import { chooseEngine, probeCapabilities } from '../../src/engines/probe.ts';

describe('capability probe in Firefox', () => {
  it('finds no WebGPU and no Prompt API, picks wasm, and says why the others are out', async () => {
    expect(navigator.userAgent).toMatch(/Firefox\//);
    const report = await probeCapabilities();
    expect(report.webgpu.available).toBe(false);
    expect(report.wasm.available).toBe(true);
    expect(report.promptApi).toBe('absent');
    expect(report.storage.known).toBe(true);

    const choice = chooseEngine(report);
    expect(choice.engine).toBe('wasm');
    expect(choice.rejected.find((r) => r.engine === 'chrome-ai')?.reason).toBe(
      'the Prompt API (LanguageModel) is not in this browser',
    );
    expect(choice.rejected.find((r) => r.engine === 'webllm')?.reason).toMatch(/WebGPU/);
    expect(choice.reason).not.toBe('');
  });
});
