/**
 * The one interface every on-device engine implements (WebLLM on WebGPU, wllama on WebAssembly,
 * Chrome's built-in model, and the fakes tests use). The rest of the code sees only this.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export type EngineKind = 'webllm' | 'wasm' | 'chrome-ai';

/** Download/compile progress, byte-level where the engine allows it. */
export interface LoadProgress {
  phase: 'probe' | 'download' | 'cache-read' | 'compile' | 'ready';
  loadedBytes: number;
  totalBytes: number;
  /** True when the bytes come from the local cache (no network). */
  fromCache: boolean;
  text?: string;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
}

/** A JSON Schema object (draft 2020-12 subset) for constrained output. */
export type JsonSchema = Record<string, unknown>;

export interface GenerateOptions {
  signal?: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Constrain the output to JSON matching this schema; the result's text is the JSON. */
  jsonSchema?: JsonSchema;
  /** Ask for per-token logprobs (engines that cannot give them leave `logprobs` undefined). */
  logprobs?: boolean;
  seed?: number;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
  timings: {
    ttftMs: number;
    totalMs: number;
    decodeTokPerSec: number;
    /** Prompt tokens evaluated per second (only the tokens not reused from the KV cache). */
    prefillTokPerSec?: number;
    /** Prompt tokens reused from the previous call's KV cache (prompt reuse), when the engine says. */
    cachedTokens?: number;
  };
  logprobs?: TokenLogprob[];
  /** The model that produced the text (engine-specific id). */
  model: string;
}

/**
 * The one text-stream type (engines and the gateway client produce it; src/engines/stream.ts builds
 * it): iterate for text deltas; `result` settles once the stream ends, also when nobody iterates.
 */
export interface TextStream<R> extends AsyncIterable<string> {
  readonly result: Promise<R>;
}

/**
 * A streaming generation: iterate for text deltas; `result` settles once the stream ends (also
 * when nobody iterates: engines must drain themselves so a lock is never held by an unread stream).
 * Aborting through `GenerateOptions.signal` ends the iteration and resolves `result` with
 * finishReason 'abort' and the text so far.
 */
export type GenerationStream = TextStream<GenerateResult>;

export interface EngineCapabilities {
  kind: EngineKind;
  /** Constrains decoding to a JSON schema (else: validate + one retry). */
  jsonSchema: boolean;
  logprobs: boolean;
  /** Raw text completion (`complete`) distinct from chat. */
  completion: boolean;
  /** Runs on the GPU. */
  gpu: boolean;
}

export interface ModelDescriptor {
  /** Stable id, e.g. 'Llama-3.2-1B-Instruct-q4f32_1-MLC' or a GGUF URL's file name. */
  id: string;
  /** Human label, e.g. 'Llama 3.2 1B Instruct (q4f32)'. */
  label: string;
  /** Bytes that must be downloaded (known before any download). */
  sizeBytes: number;
  /** Estimated memory (VRAM for WebGPU, RAM for wasm) needed to run it. */
  memoryBytes: number;
  engine: EngineKind;
  /** Where the weights come from (overridable for self-hosting). */
  url?: string;
  /** Model library (.wasm) URL for WebLLM. */
  libUrl?: string;
  /**
   * GGUF on the CPU: widen Q8_0/F16 weights to F32 on the device after download (llama.cpp's wasm
   * int8 kernels are slower than F32 at memory speed; src/engines/gguf-widen.ts). Costs about 3.7x
   * the file in memory; `memoryBytes` counts it.
   */
  cpuWiden?: 'f32';
}

/** Where a loaded model actually runs, as the engine observed it (not as it was asked). */
export interface EnginePlacement {
  device: 'cpu' | 'gpu';
  /** CPU threads the engine computes with (wasm). */
  threads?: number;
  /** Layers llama.cpp (or the GPU library) put on the GPU, of how many, when known. */
  gpuLayers?: number;
  totalLayers?: number;
  /** One sentence for the UI: where it runs and why (e.g. why only one thread, why not the GPU). */
  note: string;
}

/** Speed this device measured on the loaded model (running medians of recent generations). */
export interface EngineSpeed {
  prefillTokPerSec: number;
  decodeTokPerSec: number;
  /** Generations the figures come from. */
  samples: number;
}

/** Label scoring: one label of a closed set chosen without free generation. */
export interface LabelScores {
  label: string;
  /** Every label with its log-probability under the model (higher is likelier), best first. */
  scores: { label: string; logprob: number }[];
  timings: { totalMs: number; promptTokens: number };
}

export interface ClassifyOptions {
  signal?: AbortSignal;
  /** System instruction placed before the text (default: pick the one label that fits). */
  instruction?: string;
}

export interface LocalEngine {
  readonly capabilities: EngineCapabilities;
  /** The loaded model, or undefined before `load` succeeded. */
  readonly model: ModelDescriptor | undefined;
  /** Where the loaded model runs (undefined before load, or when the engine cannot tell). */
  readonly placement?: EnginePlacement | undefined;
  /** Speed measured on this device for the loaded model (undefined until a generation ran). */
  readonly speed?: EngineSpeed | undefined;
  /**
   * Choose one of `labels` for `text` by scoring the label set (one forward pass over the prompt,
   * output constrained to the labels), not by free generation. Engines that cannot leave it out.
   */
  classify?(text: string, labels: readonly string[], options?: ClassifyOptions): Promise<LabelScores>;
  load(model: ModelDescriptor, options?: LoadOptions): Promise<void>;
  chat(messages: ChatMessage[], options?: GenerateOptions): GenerationStream;
  complete(prefix: string, options?: GenerateOptions): GenerationStream;
  unload(): Promise<void>;
}
