/**
 * How many CPU threads the wasm engine asks llama.cpp for. Kept apart from wasm.ts so the probe can
 * report it without loading wllama.
 *
 * Threads need SharedArrayBuffer, which only cross-origin-isolated documents get (docs/isolation.md).
 * Measured on this project's 2-core machine (issue 13): 2 threads run wasm about twice as fast as 1,
 * so an isolated page uses every core (at most 8: llama.cpp's wasm kernels stop scaling well beyond).
 */

/** Cap on threads in an isolated page. */
export const MAX_WASM_THREADS = 8;

export function defaultWasmThreads(
  isolated: boolean = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  cores: number = globalThis.navigator?.hardwareConcurrency ?? 1,
): number {
  if (!isolated) return 1;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores)));
}
