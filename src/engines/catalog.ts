/**
 * The models tier-assist offers, with sizes known before any download.
 *
 * WebLLM entries mirror @mlc-ai/web-llm 0.2.86's prebuilt app config (model id, weights repository,
 * model library `v0_2_86/base/...-webgpu.wasm`, `vram_required_MB`). Download sizes are the weights
 * shards' total on the mlc-ai Hugging Face repositories (q4f16_1 and q4f32_1 store the same 4-bit
 * weights, so their downloads are the same size; only the VRAM differs). The 1B GGUF is bartowski's
 * Llama-3.2-1B-Instruct Q4_K_M (807,694,464 bytes).
 *
 * Every entry says what it is for ({@link ModelPurpose}) and its shape ({@link ModelShape}: parameters,
 * layers), so src/engines/defaults.ts can reason about speed: on this project's 2-core CPU a ghost-text
 * step (64-token prompt to the 4th token, no prefix reuse, wllama 3.13, Q8_0) took 2.2 s for the
 * 135M shape, 9.5 s for 0.5B and 20 s for 1B on 2 threads, twice that on one (docs/benchmarks.md).
 * The small GGUFs below exist so the CPU has a ghost-text model that fits 200 ms: with prefix reuse
 * and its weights widened to F32 on the device (`cpuWiden`), the 135M step is about 200 ms.
 *
 * Every URL can be overridden for self-hosting with {@link withModelUrls}; WebLLM model URLs must
 * contain `/resolve/<revision>/` (web-llm appends `resolve/main/` otherwise).
 */
import type { ModelDescriptor } from './types.ts';

const MB = 1024 * 1024;

/** What a catalog model is meant for: ghost text (continuing what is typed) and/or chat answers. */
export type ModelPurpose = 'ghost-text' | 'chat';

/** The model's shape: what its compute per token (and so its speed on a device) follows from. */
export interface ModelShape {
  /** Parameters, e.g. 134_515_008 for SmolLM2-135M. */
  params: number;
  layers: number;
}

/** A model the catalog offers: a descriptor plus what it is for and its shape. */
export interface CatalogModel extends ModelDescriptor {
  purpose: readonly ModelPurpose[];
  shape: ModelShape;
}

/** web-llm 0.2.86 model libraries (built per web-llm version; keep in step with the pinned package). */
export const WEBLLM_LIB_PREFIX =
  'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/';

/** A WebLLM model in the catalog (quantization and whether it needs the `shader-f16` feature). */
export interface WebLLMModel extends CatalogModel {
  engine: 'webllm';
  quantization: 'q4f16_1' | 'q4f32_1';
  needsShaderF16: boolean;
  /** Parameter count class, for "1B by default, 3B selectable". */
  size: '1B' | '3B';
  contextWindow: number;
}

function webllm(
  size: '1B' | '3B',
  quantization: 'q4f16_1' | 'q4f32_1',
  downloadMB: number,
  vramMB: number,
): WebLLMModel {
  const id = `Llama-3.2-${size}-Instruct-${quantization}-MLC`;
  return {
    id,
    label: `Llama 3.2 ${size} Instruct (${quantization === 'q4f16_1' ? 'q4f16, GPU' : 'q4f32, GPU'})`,
    sizeBytes: Math.round(downloadMB * MB),
    memoryBytes: Math.round(vramMB * MB),
    engine: 'webllm',
    url: `https://huggingface.co/mlc-ai/${id}/resolve/main/`,
    libUrl: `${WEBLLM_LIB_PREFIX}Llama-3.2-${size}-Instruct-${quantization}_cs1k-webgpu.wasm`,
    quantization,
    needsShaderF16: quantization === 'q4f16_1',
    size,
    contextWindow: 4096,
    purpose: ['ghost-text', 'chat'],
    // Llama 3.2 1B: dim 2048, 16 layers; 3B: dim 3072, 28 layers (Meta's model cards).
    shape: size === '1B' ? { params: 1_235_814_400, layers: 16 } : { params: 3_212_749_824, layers: 28 },
  };
}

export const WEBLLM_MODELS: readonly WebLLMModel[] = [
  webllm('1B', 'q4f16_1', 672, 879.04),
  webllm('1B', 'q4f32_1', 672, 1128.82),
  webllm('3B', 'q4f16_1', 1690, 2263.69),
  webllm('3B', 'q4f32_1', 1690, 2951.51),
];

/**
 * Llama 3.2 1B Instruct as GGUF for the WebAssembly engine (overridable URL). A chat model on the CPU:
 * as ghost text it takes ~20 s a step on 2 threads here (41 s on one), so it is never the automatic
 * ghost-text choice on a CPU (src/engines/defaults.ts).
 */
export const DEFAULT_GGUF_MODEL: CatalogModel = {
  id: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
  label: 'Llama 3.2 1B Instruct (Q4_K_M, CPU)',
  sizeBytes: 807_694_464,
  // weights + 2k-token KV cache + compute buffers, measured order for llama.cpp on CPU
  memoryBytes: 1_100 * MB,
  engine: 'wasm',
  url: 'https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
  purpose: ['chat'],
  shape: { params: 1_235_814_400, layers: 16 },
};

/**
 * SmolLM2-135M Instruct, Q8_0, from Hugging Face's own GGUF repository: the ghost-text model for a CPU.
 * A base (non-instruct) model continues text a little more naturally, but Hugging Face publishes GGUF
 * files only for the Instruct variants (base-model GGUFs are third-party conversions), and ghost text
 * runs it through raw completion (`complete()`, no chat template), where the Instruct model continues
 * the text as it stands; a self-hosted base GGUF can still be set as a custom URL. Shape: dim 576, 30
 * layers, 9 heads, 3 KV heads, FFN 1536, vocab 49152 (its config.json). Size: the repository lists the
 * file as 145 MB; no exact byte count was found, so this is the listed figure (decimal MB). The model
 * cache sizes the download from the response itself; this number is what the UI shows before it.
 *
 * On the CPU the engine widens its weights to F32 after the download (`cpuWiden`, gguf-widen.ts):
 * llama.cpp's wasm int8 kernels are slow, and on this project's 2-core CPU the ghost-text step took
 * 196 ms in F32 against 304 ms in Q8_0 (2 threads). The download stays 145 MB; memory is the F32 size.
 */
export const SMOLLM2_135M_MODEL: CatalogModel = {
  id: 'smollm2-135m-instruct-q8_0.gguf',
  label: 'SmolLM2 135M Instruct (Q8_0, CPU)',
  sizeBytes: 145_000_000,
  // F32 weights (134.5M x 4 bytes = 513 MB) + 2k-token KV cache (30 layers x 3 KV heads x 64 x 2 x
  // f16 = 45 MB) + compute buffers
  memoryBytes: 620 * MB,
  engine: 'wasm',
  cpuWiden: 'f32',
  url: 'https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q8_0.gguf',
  purpose: ['ghost-text'],
  shape: { params: 134_515_008, layers: 30 },
};

/**
 * SmolLM2-360M Instruct, Q8_0, from Hugging Face's own GGUF repository: the mid-size CPU model (better
 * text, ~2.7x the compute per token of 135M, so about 2.7x the step; chosen for ghost text only when a
 * device measured it inside the budget, or by hand). Shape: dim 960, 32 layers, 15 heads, 5 KV heads,
 * FFN 2560, vocab 49152. Size: listed as 386 MB on the repository (and on bartowski's Q8_0); no exact
 * byte count was found, so this is the listed figure (decimal MB). Widened to F32 on the CPU like the
 * 135M model, where the device has the memory.
 */
export const SMOLLM2_360M_MODEL: CatalogModel = {
  id: 'smollm2-360m-instruct-q8_0.gguf',
  label: 'SmolLM2 360M Instruct (Q8_0, CPU)',
  sizeBytes: 386_000_000,
  // F32 weights (361.8M x 4 bytes = 1380 MB) + 2k-token KV cache (32 x 5 x 64 x 2 x f16 = 80 MB) + buffers
  memoryBytes: 1_540 * MB,
  engine: 'wasm',
  cpuWiden: 'f32',
  url: 'https://huggingface.co/HuggingFaceTB/SmolLM2-360M-Instruct-GGUF/resolve/main/smollm2-360m-instruct-q8_0.gguf',
  purpose: ['ghost-text', 'chat'],
  shape: { params: 361_821_120, layers: 32 },
};

/** The GGUF models for ghost text on the CPU, smallest first. */
export const GHOST_TEXT_GGUF_MODELS: readonly CatalogModel[] = [SMOLLM2_135M_MODEL, SMOLLM2_360M_MODEL];

/**
 * Published SHA-256 of {@link DEFAULT_GGUF_MODEL}'s file (for operators who self-host it; the model cache
 * itself checks per-chunk hashes it records while downloading, not a whole-file hash).
 */
export const DEFAULT_GGUF_SHA256 = '6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83';

/** Chrome's built-in model: nothing to download through us (Chrome manages it). */
export const CHROME_AI_MODEL: CatalogModel = {
  id: 'chrome-built-in',
  label: "Chrome's built-in model (Gemini Nano)",
  sizeBytes: 0,
  memoryBytes: 0,
  engine: 'chrome-ai',
  purpose: ['chat'],
  // Chrome does not publish Gemini Nano's shape; 0 = unknown (never chosen for ghost text).
  shape: { params: 0, layers: 0 },
};

export const CATALOG: readonly CatalogModel[] = [
  ...WEBLLM_MODELS,
  ...GHOST_TEXT_GGUF_MODELS,
  DEFAULT_GGUF_MODEL,
  CHROME_AI_MODEL,
];

/** The WebLLM variant for an adapter: q4f16_1 needs `shader-f16`, else q4f32_1. */
export function webllmVariant(size: '1B' | '3B', shaderF16: boolean): WebLLMModel {
  const quantization = shaderF16 ? 'q4f16_1' : 'q4f32_1';
  const found = WEBLLM_MODELS.find((m) => m.size === size && m.quantization === quantization);
  if (!found) throw new Error(`no ${size} ${quantization} model in the catalog`);
  return found;
}

/**
 * Self-hosting: point a model at other URLs. WebLLM model URLs get `/resolve/main/` appended when
 * they have no `/resolve/<x>/` segment (what web-llm would otherwise do silently); relative URLs
 * are resolved against `base` (web-llm throws on relative URLs).
 */
export function withModelUrls<T extends ModelDescriptor>(
  model: T,
  urls: { url?: string; libUrl?: string },
  base?: string,
): T {
  const abs = (u: string): string => new URL(u, base ?? globalThis.location?.href).href;
  const next: T = { ...model };
  if (urls.url !== undefined) {
    let url = abs(urls.url);
    if (model.engine === 'webllm' && !/\/resolve\/[^/]+\//.test(url)) {
      url = `${url.replace(/\/+$/, '')}/resolve/main/`;
    }
    next.url = url;
  }
  if (urls.libUrl !== undefined) next.libUrl = abs(urls.libUrl);
  return next;
}

export function findModel(id: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.id === id);
}
