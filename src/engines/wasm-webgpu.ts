/**
 * What llama.cpp's WebGPU backend, as built into wllama 3.13.0 (llama.cpp b12211-7d7f028), requires
 * before it takes an adapter, so the probe and the wasm engine can predict whether GGUF layers will
 * really run on the GPU. Pure (the adapter and the runtime flags are passed in), so it is unit-tested
 * in Node with injected adapters.
 *
 * Read in the source (ggml/src/ggml-webgpu/ggml-webgpu.cpp) and observed in Chromium by wrapping the
 * worker's `navigator.gpu` (docs/engines.md, "GGUF on WebGPU"):
 * 1. Registration calls `requestAdapter({forceFallbackAdapter: false})` (no powerPreference) in wllama's
 *    worker and registers a device only if the adapter has `shader-f16`. Without it there is no GPU
 *    device at all: `requestDevice` is never called and every layer silently stays on the CPU.
 * 2. With `shader-f16` it requests a second adapter and then a device with `shader-f16` (plus
 *    `subgroups` when the adapter has it) and the adapter's own limits. A failure there aborts the
 *    wasm (GGML_ASSERT), so the engine retries on the CPU.
 * Nothing else is checked: not `isFallbackAdapter`, not `timestamp-query`, no minimum limit (ops whose
 * tensors exceed `maxStorageBufferBindingSize` are left to the CPU one by one).
 * wllama adds one more condition: its main build needs JSPI (`WebAssembly.Suspending`) and 64-bit wasm
 * memory; without them it switches to its "compat" build, which this project does not ship.
 */
import type { AdapterLike } from './probe.ts';

/** The prediction for GGUF on WebGPU on this browser's adapter. */
export interface GgufWebgpuVerdict {
  /** llama.cpp's WebGPU backend will take the adapter (layers can be offloaded). */
  accepted: boolean;
  /**
   * Offload by default (`gpu: 'auto'`): accepted and a hardware adapter. A software fallback adapter
   * (SwiftShader) computes on the CPU, slower than the wasm CPU path, so 'auto' keeps the CPU there.
   */
  recommended: boolean;
  /** One clause for the UI, e.g. "the WebGPU adapter (SwiftShader, a software fallback) lacks shader-f16, ...". */
  reason: string;
  /** Short adapter name for notes, e.g. "SwiftShader, a software fallback". */
  adapter?: string;
}

export interface WasmRuntimeFlags {
  /** `navigator.gpu` exists. */
  gpu: boolean;
  /** `WebAssembly.Suspending` (JSPI) exists. */
  jspi: boolean;
  /** 64-bit wasm memory works. */
  memory64: boolean;
}

/** The feature llama.cpp's WebGPU backend requires of the adapter. */
export const GGML_WEBGPU_REQUIRED_FEATURE = 'shader-f16';

/** A short human name for an adapter: "SwiftShader, a software fallback", "nvidia ampere", ... */
export function adapterName(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  const fallback = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const arch = info.architecture ?? '';
  const base = /swiftshader/i.test(`${arch} ${info.description ?? ''}`)
    ? 'SwiftShader'
    : info.description || [info.vendor, arch].filter(Boolean).join(' ') || 'unnamed adapter';
  return fallback ? `${base}, a software fallback` : base;
}

/** Predict whether llama.cpp's WebGPU backend (wllama 3.13) accepts this adapter, and why. */
export function predictGgufWebgpu(
  adapter: AdapterLike | null | undefined,
  runtime: WasmRuntimeFlags,
  requestError?: string,
): GgufWebgpuVerdict {
  const refuse = (reason: string, name?: string): GgufWebgpuVerdict => ({
    accepted: false,
    recommended: false,
    reason,
    ...(name ? { adapter: name } : {}),
  });
  if (!runtime.gpu) return refuse('this browser has no WebGPU');
  if (!runtime.jspi || !runtime.memory64) {
    const missing = [
      !runtime.jspi ? 'JSPI (WebAssembly.Suspending)' : '',
      !runtime.memory64 ? '64-bit wasm memory' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return refuse(`this browser lacks ${missing}, which wllama's WebGPU build needs`);
  }
  if (requestError) return refuse(`requesting a WebGPU adapter failed (${requestError})`);
  if (!adapter)
    return refuse('there is no WebGPU adapter (GPU blocked, disabled, or hardware acceleration off)');
  const name = adapterName(adapter);
  if (!adapter.features.has(GGML_WEBGPU_REQUIRED_FEATURE)) {
    return refuse(
      `the WebGPU adapter (${name}) lacks ${GGML_WEBGPU_REQUIRED_FEATURE}, which llama.cpp's WebGPU backend needs`,
      name,
    );
  }
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  if (fallback) {
    return {
      accepted: true,
      recommended: false,
      reason: `the WebGPU adapter (${name}) computes on the CPU, slower than the WebAssembly CPU path`,
      adapter: name,
    };
  }
  return {
    accepted: true,
    recommended: true,
    reason: `the WebGPU adapter (${name}) has ${GGML_WEBGPU_REQUIRED_FEATURE}, which llama.cpp's WebGPU backend needs`,
    adapter: name,
  };
}

/** JSPI and 64-bit memory as wllama tests them (its main build needs both). */
export function detectWasmRuntime(): Omit<WasmRuntimeFlags, 'gpu'> {
  const wasm = (globalThis as { WebAssembly?: { Suspending?: unknown } }).WebAssembly;
  let memory64 = false;
  try {
    const Memory = WebAssembly.Memory as unknown as new (d: { address: string; initial: bigint }) => unknown;
    new Memory({ address: 'i64', initial: 1n });
    memory64 = true;
  } catch {
    memory64 = false;
  }
  return { jspi: typeof wasm?.Suspending === 'function', memory64 };
}

/** The GPU global as llama.cpp's backend asks it: `requestAdapter` with no power preference. */
export interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

/** This document's `navigator.gpu` (pages, workers and extension documents), if any. */
export function navigatorGpu(): GpuLike | undefined {
  return (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
}

/** Ask for the adapter the way the backend will (no power preference), and predict. */
export async function checkGgufWebgpu(
  gpu: GpuLike | undefined,
  runtime: Omit<WasmRuntimeFlags, 'gpu'> = detectWasmRuntime(),
): Promise<GgufWebgpuVerdict> {
  const flags = { ...runtime, gpu: gpu !== undefined };
  if (!gpu || !flags.jspi || !flags.memory64) return predictGgufWebgpu(undefined, flags);
  try {
    return predictGgufWebgpu(await gpu.requestAdapter({ forceFallbackAdapter: false }), flags);
  } catch (error) {
    return predictGgufWebgpu(undefined, flags, error instanceof Error ? error.message : String(error));
  }
}
