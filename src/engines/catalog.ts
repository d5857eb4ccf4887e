/**
 * The models tier-assist offers, with sizes known before any download.
 *
 * WebLLM entries mirror @mlc-ai/web-llm 0.2.86's prebuilt app config (model id, weights repository,
 * model library `v0_2_86/base/...-webgpu.wasm`, `vram_required_MB`). Download sizes are the weights
 * shards' total on the mlc-ai Hugging Face repositories (q4f16_1 and q4f32_1 store the same 4-bit
 * weights, so their downloads are the same size; only the VRAM differs). The GGUF default is
 * bartowski's Llama-3.2-1B-Instruct Q4_K_M (807,694,464 bytes).
 *
 * Every URL can be overridden for self-hosting with {@link withModelUrls}; WebLLM model URLs must
 * contain `/resolve/<revision>/` (web-llm appends `resolve/main/` otherwise).
 */
import type { ModelDescriptor } from './types.ts';

const MB = 1024 * 1024;

/** web-llm 0.2.86 model libraries (built per web-llm version; keep in step with the pinned package). */
export const WEBLLM_LIB_PREFIX =
  'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/';

/** A WebLLM model in the catalog (quantization and whether it needs the `shader-f16` feature). */
export interface WebLLMModel extends ModelDescriptor {
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
  };
}

export const WEBLLM_MODELS: readonly WebLLMModel[] = [
  webllm('1B', 'q4f16_1', 672, 879.04),
  webllm('1B', 'q4f32_1', 672, 1128.82),
  webllm('3B', 'q4f16_1', 1690, 2263.69),
  webllm('3B', 'q4f32_1', 1690, 2951.51),
];

/** Default GGUF for the WebAssembly engine (overridable URL). */
export const DEFAULT_GGUF_MODEL: ModelDescriptor = {
  id: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
  label: 'Llama 3.2 1B Instruct (Q4_K_M, CPU)',
  sizeBytes: 807_694_464,
  // weights + 2k-token KV cache + compute buffers, measured order for llama.cpp on CPU
  memoryBytes: 1_100 * MB,
  engine: 'wasm',
  url: 'https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
};

/**
 * Published SHA-256 of {@link DEFAULT_GGUF_MODEL}'s file (for operators who self-host it; the model cache
 * itself checks per-chunk hashes it records while downloading, not a whole-file hash).
 */
export const DEFAULT_GGUF_SHA256 = '6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83';

/** Chrome's built-in model: nothing to download through us (Chrome manages it). */
export const CHROME_AI_MODEL: ModelDescriptor = {
  id: 'chrome-built-in',
  label: "Chrome's built-in model (Gemini Nano)",
  sizeBytes: 0,
  memoryBytes: 0,
  engine: 'chrome-ai',
};

export const CATALOG: readonly ModelDescriptor[] = [...WEBLLM_MODELS, DEFAULT_GGUF_MODEL, CHROME_AI_MODEL];

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

export function findModel(id: string): ModelDescriptor | undefined {
  return CATALOG.find((m) => m.id === id);
}
