/**
 * Generates Llama GGUF (v3) models whose greedy continuation is known in advance, so tests can run
 * the real wllama (llama.cpp in WebAssembly) without downloading weights, and benchmarks can run
 * real-size shapes (Llama 3.2 1B/3B, SmolLM2) with synthetic weights.
 *
 * How the model behaves (the contract tests rely on):
 * - Tokenizer: Llama-3 style byte-level BPE (`tokenizer.ggml.model = gpt2`, pre `llama-bpe`) with all
 *   256 byte tokens, no merges, and the Llama-3 control tokens `<|begin_of_text|>`, `<|end_of_text|>`,
 *   `<|start_header_id|>`, `<|end_header_id|>`, `<|eot_id|>`. A Llama-3 chat template is embedded.
 *   With no merges, N ASCII bytes of prompt are exactly N tokens.
 * - The transformer blocks contribute nothing (attention and FFN output projections are zero), so the
 *   next token depends only on the current one (a bigram machine). Every byte and control token leads
 *   to the first token of `reply`; the reply is cut into unique 2+ character pieces
 *   ({@link replyPieces}), each its own token that leads to the next; the last one leads to `<|eot_id|>`.
 *   (Caveat: a prompt whose last pre-tokenized word equals one of those pieces continues from there.)
 * - So, with greedy sampling, **any** prompt (chat or raw completion) continues with exactly `reply`
 *   and then stops (finish reason `stop`). With `loop: true` the reply repeats forever instead (the
 *   engine stops on `maxTokens`, finish reason `length`): useful for abort and throughput tests.
 * - The chosen token's logit is `confidence` (default 16) and every other logit is 0, so logprobs of
 *   the reply tokens are close to 0 (p ~ 0.9999 with the default).
 * - `tied: true` leaves out `output.weight` (llama.cpp then reuses `token_embd.weight`, as the real
 *   Llama 3.2 1B/3B and SmolLM2 files do). Scores are then a symmetric form of two tokens' embeddings,
 *   which cannot encode a reply cycle, so a tied model answers every prompt with {@link TIED_FILLER}
 *   repeated forever: it never emits an end-of-generation token (decode benchmarks get their N tokens).
 *
 * Weight types: `f32`, `f16`, `q8_0`, `q4_0` (ggml blocks of 32: fp16 d + 16 bytes of nibbles) and `q4_k`
 * (super-blocks of 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles),
 * laid out as in ggml-common.h. Q4_K needs rows of a multiple of 256; tensors whose rows are not
 * (e.g. SmolLM2's 576-wide ones) fall back to Q4_0, as llama.cpp's quantizer falls back to a 32-block
 * type for them.
 *
 * `synthetic: true` fills the projections that feed nothing (q, k, v, gate, up) with cheap pseudo-random
 * blocks instead of zeros: speed depends on shape and weight type, not on values, and the bigram
 * behaviour is unchanged because the output projections stay zero.
 *
 * `makeTinyLlamaGguf()` (default reply {@link TINY_REPLY}) is ~100-150 KB and runs at hundreds of
 * tokens/s with one thread. `makeLlamaGguf({ dim: 288, layers: 6, heads: 6, ff: 768, vocab: 32000,
 * type: 'q8_0' })` gives a ~26 MB stories15M-shaped model for benchmarks (same reply behaviour).
 * Real sizes (hundreds of MB to GB) are written with {@link writeLlamaGgufFile}, which streams to a
 * file without holding the model in memory (scripts/lib/bench-models.ts caches them).
 */

// Type only: the module itself is imported lazily in writeLlamaGgufFile (browser tests import this file).
import type * as NodeFs from 'node:fs/promises';

/** What `makeTinyLlamaGguf()` answers to any prompt. */
export const TINY_REPLY = 'Hello from tiny llama.';

/** The byte a `tied: true` model repeats after any prompt. */
export const TIED_FILLER = 'x';

export type GgufWeightType = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'q4_k';

export interface LlamaGgufOptions {
  /** The text the model emits after any prompt (default {@link TINY_REPLY}). */
  reply?: string;
  /** Repeat `reply` forever instead of ending with `<|eot_id|>`. */
  loop?: boolean;
  /** Residual width; must leave room for one slot per reply piece + 1 (default: the smallest fit, >= 32). */
  dim?: number;
  layers?: number;
  heads?: number;
  /** Key/value heads (defaults to `heads`). */
  kvHeads?: number;
  /** FFN hidden size (default 2 * dim). */
  ff?: number;
  /** Total vocabulary size; padded with unused tokens up to this (default: just what is needed). */
  vocab?: number;
  /** Weight type of the 2-D tensors. */
  type?: GgufWeightType;
  /** No `output.weight`: the output reuses the token embeddings (see the file comment). */
  tied?: boolean;
  /** Pseudo-random q/k/v/gate/up blocks instead of zeros (same behaviour, cheap to write). */
  synthetic?: boolean;
  /** Logit of the chosen next token (others are 0). */
  confidence?: number;
  contextLength?: number;
  /** `general.name`. */
  name?: string;
}

export const CONTROL_TOKENS = [
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|start_header_id|>',
  '<|end_header_id|>',
  '<|eot_id|>',
] as const;

/** Llama-3 chat template (the parts llama.cpp's jinja engine needs; no tool calling). */
export const LLAMA3_CHAT_TEMPLATE =
  "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

/** A deterministic tiny Llama GGUF; see the file comment for what it generates. */
export function makeTinyLlamaGguf(options: LlamaGgufOptions = {}): Uint8Array {
  return makeLlamaGguf(options);
}

// ---- GGUF writer ---------------------------------------------------------------------------------

const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
/** ggml_type ids (ggml.h). */
const GGML_TYPE: Record<GgufWeightType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 8, q4_k: 12 };
/** Values per block and bytes per block of each type (ggml-common.h). */
const BLOCK: Record<GgufWeightType, { values: number; bytes: number }> = {
  f32: { values: 1, bytes: 4 },
  f16: { values: 1, bytes: 2 },
  q8_0: { values: 32, bytes: 34 },
  q4_0: { values: 32, bytes: 18 },
  q4_k: { values: 256, bytes: 144 },
};
const ALIGN = 32;
/** Tensor data is handed out in chunks of about this many bytes. */
const CHUNK_BYTES = 4 * 1024 * 1024;

type KvValue =
  | { t: 'u32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'strs'; v: string[] }
  | { t: 'i32s'; v: number[] }
  | { t: 'f32s'; v: number[] };

interface TensorSpec {
  name: string;
  /** ggml order: ne0 (fastest) first. */
  dims: number[];
  type: GgufWeightType;
  /**
   * Contents: `zeros`, `random` (pseudo-random blocks), or `rows`: fill one row of ne0 values
   * (given zeroed) per row index; rows are quantized one by one, so big tensors never exist in full.
   */
  fill: 'zeros' | 'random' | ((row: number, out: Float32Array) => void);
}

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private readonly enc = new TextEncoder();

  get length(): number {
    return this.size;
  }
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.bytes(b);
  }
  i32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.bytes(b);
  }
  u64(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.bytes(b);
  }
  f32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes(b);
  }
  str(s: string): void {
    const b = this.enc.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(align: number): void {
    const rem = this.size % align;
    if (rem !== 0) this.bytes(new Uint8Array(align - rem));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

function writeKv(w: Writer, key: string, value: KvValue): void {
  w.str(key);
  switch (value.t) {
    case 'u32':
      w.u32(GGUF_TYPE.UINT32);
      w.u32(value.v);
      break;
    case 'f32':
      w.u32(GGUF_TYPE.FLOAT32);
      w.f32(value.v);
      break;
    case 'bool':
      w.u32(GGUF_TYPE.BOOL);
      w.bytes(new Uint8Array([value.v ? 1 : 0]));
      break;
    case 'str':
      w.u32(GGUF_TYPE.STRING);
      w.str(value.v);
      break;
    case 'strs':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.STRING);
      w.u64(value.v.length);
      for (const s of value.v) w.str(s);
      break;
    case 'i32s':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.INT32);
      w.u64(value.v.length);
      for (const n of value.v) w.i32(n);
      break;
    case 'f32s':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.FLOAT32);
      w.u64(value.v.length);
      for (const n of value.v) w.f32(n);
      break;
  }
}

/** IEEE half from a float (round to nearest; enough for block scales). */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  mant = mant + 0x1000; // round
  if (mant & 0x800000) {
    mant = 0;
    exp += 1;
    if (exp >= 31) return sign | 0x7c00;
  }
  return sign | (exp << 10) | (mant >>> 13);
}

function halfToFloat(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Q8_0: blocks of 32 values: f16 scale d, then 32 int8 with value = d * q. */
function encodeQ8_0(values: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const blocks = values.length / 32;
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(values[b * 32 + i] ?? 0));
    const dHalf = toHalf(amax / 127);
    const d = halfToFloat(dHalf);
    view.setUint16(b * 34, dHalf, true);
    if (d === 0) continue;
    for (let i = 0; i < 32; i++) {
      const q = Math.max(-127, Math.min(127, Math.round((values[b * 32 + i] ?? 0) / d)));
      view.setInt8(b * 34 + 2 + i, q);
    }
  }
}

/**
 * Q4_0 (ggml's reference quantizer): d = (the value of largest magnitude) / -8, q = x / d + 8 in
 * 0..15, value = d * (q - 8). Byte j of the 16 holds element j (low nibble) and element j + 16 (high).
 */
function encodeQ4_0(values: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const blocks = values.length / 32;
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    let max = 0;
    for (let i = 0; i < 32; i++) {
      const v = values[b * 32 + i] ?? 0;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const dHalf = toHalf(max / -8);
    const d = halfToFloat(dHalf);
    const id = d === 0 ? 0 : 1 / d;
    view.setUint16(b * 18, dHalf, true);
    const q = (i: number): number => Math.min(15, Math.floor((values[b * 32 + i] ?? 0) * id + 8.5));
    for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = q(j) | (q(j + 16) << 4);
  }
}

/** Pack eight 6-bit scales and mins into 12 bytes (the inverse of ggml's get_scale_min_k4). */
function packScalesK4(sc: number[], m: number[], out: Uint8Array, at: number): void {
  for (let j = 0; j < 4; j++) {
    out[at + j] = (sc[j] ?? 0) & 63;
    out[at + j + 4] = (m[j] ?? 0) & 63;
  }
  for (let j = 4; j < 8; j++) {
    const s = sc[j] ?? 0;
    const mm = m[j] ?? 0;
    out[at + j + 4] = (s & 0xf) | ((mm & 0xf) << 4);
    out[at + j - 4] = (out[at + j - 4] ?? 0) | ((s >> 4) << 6);
    out[at + j] = (out[at + j] ?? 0) | ((mm >> 4) << 6);
  }
}

/**
 * Q4_K: per super-block of 256, eight sub-blocks of 32 with value = d * sc * q - dmin * m (sc, m 6-bit,
 * q 4-bit). Sub-blocks 2c and 2c+1 share bytes qs[32c .. 32c+31]: low nibbles, then high nibbles.
 * A plain min/max quantizer (not ggml's weighted search): exact for the sparse rows this file writes.
 */
function encodeQ4_K(values: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const blocks = values.length / 256;
  for (let b = 0; b < blocks; b++) {
    const base = b * 256;
    const scales: number[] = [];
    const mins: number[] = [];
    for (let s = 0; s < 8; s++) {
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < 32; i++) {
        const v = values[base + s * 32 + i] ?? 0;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      scales.push((hi - lo) / 15);
      mins.push(-lo);
    }
    const dHalf = toHalf(Math.max(...scales) / 63);
    const dminHalf = toHalf(Math.max(...mins) / 63);
    const d = halfToFloat(dHalf);
    const dmin = halfToFloat(dminHalf);
    const sc = scales.map((x) => (d === 0 ? 0 : Math.min(63, Math.round(x / d))));
    const m = mins.map((x) => (dmin === 0 ? 0 : Math.min(63, Math.round(x / dmin))));
    const at = b * 144;
    view.setUint16(at, dHalf, true);
    view.setUint16(at + 2, dminHalf, true);
    packScalesK4(sc, m, out, at + 4);
    for (let s = 0; s < 8; s++) {
      const step = d * (sc[s] ?? 0);
      const offset = dmin * (m[s] ?? 0);
      for (let i = 0; i < 32; i++) {
        const v = values[base + s * 32 + i] ?? 0;
        const q = step === 0 ? 0 : Math.max(0, Math.min(15, Math.round((v + offset) / step)));
        const byte = at + 16 + (s >> 1) * 32 + i;
        out[byte] = (out[byte] ?? 0) | (s % 2 === 0 ? q : q << 4);
      }
    }
  }
}

function rowBytes(type: GgufWeightType, ne0: number): number {
  return (ne0 / BLOCK[type].values) * BLOCK[type].bytes;
}

function encodeRow(values: Float32Array, type: GgufWeightType, out: Uint8Array): void {
  if (type === 'f32') out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  else if (type === 'f16') {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < values.length; i++) view.setUint16(2 * i, toHalf(values[i] ?? 0), true);
  } else if (type === 'q8_0') encodeQ8_0(values, out);
  else if (type === 'q4_0') encodeQ4_0(values, out);
  else encodeQ4_K(values, out);
}

/** Small deterministic PRNG (xorshift32) for synthetic blocks. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const randomPools = new Map<GgufWeightType, Uint8Array>();

/** ~1 MB of valid pseudo-random blocks of a type (small scales, so activations stay finite). */
function randomPool(type: GgufWeightType): Uint8Array {
  const cached = randomPools.get(type);
  if (cached) return cached;
  const { bytes } = BLOCK[type];
  const count = Math.floor((1 << 20) / bytes);
  const pool = new Uint8Array(count * bytes);
  const view = new DataView(pool.buffer);
  const next = xorshift(0x9e3779b9 + GGML_TYPE[type]);
  for (let i = 0; i < pool.length; i++) pool[i] = next() & 0xff;
  for (let b = 0; b < count; b++) {
    const at = b * bytes;
    if (type === 'f32') view.setFloat32(at, ((next() % 2001) - 1000) / 50_000, true);
    else if (type === 'f16') view.setUint16(at, toHalf(((next() % 2001) - 1000) / 50_000), true);
    else view.setUint16(at, toHalf(0.002 + (next() % 100) / 50_000), true); // d
    if (type === 'q4_k') view.setUint16(at + 2, toHalf(0.001 + (next() % 100) / 100_000), true); // dmin
  }
  randomPools.set(type, pool);
  return pool;
}

function tensorBytes(spec: TensorSpec): number {
  const rows = spec.dims.slice(1).reduce((a, b) => a * b, 1);
  return rows * rowBytes(spec.type, spec.dims[0] ?? 0);
}

/** The bytes of one tensor, in chunks of about {@link CHUNK_BYTES}, with no padding. */
function* tensorChunks(spec: TensorSpec): Generator<Uint8Array> {
  const ne0 = spec.dims[0] ?? 0;
  const rows = spec.dims.slice(1).reduce((a, b) => a * b, 1);
  const perRow = rowBytes(spec.type, ne0);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / perRow));
  const fill = spec.fill;
  if (fill === 'zeros' || fill === 'random') {
    // Zero scales make every value zero whatever the nibbles; one shared buffer serves all chunks.
    const total = rows * perRow;
    if (fill === 'zeros') {
      const zero = new Uint8Array(Math.min(total, rowsPerChunk * perRow));
      for (let at = 0; at < total; at += zero.length)
        yield zero.subarray(0, Math.min(zero.length, total - at));
      return;
    }
    const pool = randomPool(spec.type);
    for (let at = 0; at < total; at += pool.length) yield pool.subarray(0, Math.min(pool.length, total - at));
    return;
  }
  const values = new Float32Array(ne0);
  for (let r = 0; r < rows; r += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - r);
    const out = new Uint8Array(n * perRow);
    for (let k = 0; k < n; k++) {
      values.fill(0);
      fill(r + k, values);
      encodeRow(values, spec.type, out.subarray(k * perRow, (k + 1) * perRow));
    }
    yield out;
  }
}

/** GPT-2 byte-to-unicode map (the byte-level alphabet Llama-3's BPE vocabulary is written in). */
export function byteToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const map: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (keep.includes(b)) map[b] = String.fromCodePoint(b);
    else map[b] = String.fromCodePoint(256 + extra++);
  }
  return map;
}

/**
 * How a reply is cut into tokens: llama.cpp needs every token text to be unique, and single
 * characters are already byte tokens, so each reply token is 2+ characters and unique (greedy).
 */
export function replyPieces(reply: string): string[] {
  const chars = [...reply];
  if (chars.length < 2) throw new Error('makeLlamaGguf: reply must have at least 2 characters');
  const used = new Set<string>();
  const pieces: string[] = [];
  let i = 0;
  while (i < chars.length) {
    let len = 2;
    while (i + len <= chars.length && used.has(chars.slice(i, i + len).join(''))) len++;
    if (i + len > chars.length) {
      // The rest cannot form a new unique piece: append it to the previous one.
      const last = pieces.pop() ?? '';
      used.delete(last);
      const merged = last + chars.slice(i).join('');
      if (used.has(merged)) throw new Error(`makeLlamaGguf: cannot cut "${reply}" into unique tokens`);
      pieces.push(merged);
      used.add(merged);
      break;
    }
    const piece = chars.slice(i, i + len).join('');
    pieces.push(piece);
    used.add(piece);
    i += len;
  }
  return pieces;
}

/** A GGUF laid out but not yet encoded: its header bytes and its tensors in file order. */
export interface GgufPlan {
  header: Uint8Array;
  tensors: { name: string; type: GgufWeightType; dims: number[]; bytes: number }[];
  /** Total file size in bytes. */
  sizeBytes: number;
  /** The tensor data, in file order with alignment padding, in chunks of a few MB. */
  chunks(): Generator<Uint8Array>;
}

/** The type a 2-D tensor with rows of `ne0` values gets: Q4_K falls back to Q4_0 off 256-multiples. */
function typeFor(type: GgufWeightType, ne0: number): GgufWeightType {
  return type === 'q4_k' && ne0 % 256 !== 0 ? 'q4_0' : type;
}

/** Lay out a Llama GGUF with the behaviour described in the file comment (nothing encoded yet). */
export function planLlamaGguf(options: LlamaGgufOptions = {}): GgufPlan {
  const reply = options.reply ?? TINY_REPLY;
  const chars = replyPieces(reply);
  const slots = chars.length + 1;
  const dim = options.dim ?? Math.max(32, Math.ceil((slots + 1) / 16) * 16);
  if (slots > dim) throw new Error(`makeLlamaGguf: reply of ${chars.length} chars needs dim >= ${slots}`);
  const heads = options.heads ?? 2;
  const kvHeads = options.kvHeads ?? heads;
  const layers = options.layers ?? 1;
  const ff = options.ff ?? 2 * dim;
  const type = options.type ?? 'f32';
  const tied = options.tied === true;
  const confidence = options.confidence ?? 16;
  if (dim % heads !== 0 || (dim / heads) % 2 !== 0) throw new Error('makeLlamaGguf: dim/heads must be even');
  if (heads % kvHeads !== 0) throw new Error('makeLlamaGguf: heads must be a multiple of kvHeads');
  if (type !== 'f32' && type !== 'f16' && (dim % 32 !== 0 || ff % 32 !== 0))
    throw new Error(`makeLlamaGguf: ${type} needs dim and ff divisible by 32`);

  // Vocabulary: reply tokens first (so the byte tokens, listed later, win the text -> id lookup used
  // when tokenizing prompts), then the 256 bytes, then the control tokens, then padding.
  const b2u = byteToUnicode();
  const enc = new TextEncoder();
  const tokens: string[] = [];
  const types: number[] = [];
  for (const piece of chars) {
    tokens.push([...enc.encode(piece)].map((b) => b2u[b]).join(''));
    types.push(1);
  }
  const byteBase = tokens.length;
  for (let b = 0; b < 256; b++) {
    tokens.push(b2u[b] ?? '');
    types.push(1);
  }
  const controlBase = tokens.length;
  for (const t of CONTROL_TOKENS) {
    tokens.push(t);
    types.push(3);
  }
  const vocab = Math.max(options.vocab ?? 0, tokens.length);
  for (let i = tokens.length; i < vocab; i++) {
    tokens.push(`<|reserved_${i}|>`);
    types.push(5); // unused
  }
  const bos = controlBase;
  const eos = controlBase + 1;
  const eot = controlBase + 4;
  const filler = byteBase + TIED_FILLER.charCodeAt(0);

  // Slot of each token: reply token k -> slot k + 1; everything else -> slot 0.
  const slotOf = (t: number): number => (t < chars.length ? t + 1 : 0);
  // Successor of each slot: slot 0 -> reply[0]; reply k -> reply k+1; last -> eot (or reply[0]).
  const successorOfSlot = (s: number): number => {
    if (s === 0) return 0;
    const k = s - 1;
    if (k + 1 < chars.length) return k + 1;
    return options.loop ? 0 : eot;
  };
  // Output row j holds `scale` at every slot whose successor is j.
  const slotsLeadingTo = new Map<number, number[]>();
  for (let s = 0; s < slots; s++) {
    const j = successorOfSlot(s);
    slotsLeadingTo.set(j, [...(slotsLeadingTo.get(j) ?? []), s]);
  }

  const kvDim = (dim / heads) * kvHeads;
  const ones = (_row: number, out: Float32Array): void => {
    out.fill(1);
  };
  const feeds = options.synthetic ? 'random' : 'zeros';
  const t2 = (ne0: number): GgufWeightType => typeFor(type, ne0);
  const tensors: TensorSpec[] = [
    {
      name: 'token_embd.weight',
      dims: [dim, vocab],
      type: t2(dim),
      // Tied: every token points along slot 0, the filler most strongly, so it wins every step.
      fill: tied
        ? (t, out) => {
            out[0] = t === filler ? 1 : 1 / 16;
          }
        : (t, out) => {
            out[slotOf(t)] = 1;
          },
    },
    {
      name: 'output_norm.weight',
      dims: [dim],
      type: 'f32',
      fill: tied ? (_row, out) => out.fill(confidence / Math.sqrt(dim)) : ones,
    },
  ];
  if (!tied) {
    tensors.push({
      name: 'output.weight',
      dims: [dim, vocab],
      type: t2(dim),
      fill: (j, out) => {
        // logits[j] = sum_i W[j, i] * x[i], x = sqrt(dim) * e_slot after RMS norm.
        const scale = confidence / Math.sqrt(dim);
        for (const s of slotsLeadingTo.get(j) ?? []) out[s] = scale;
      },
    });
  }
  for (let l = 0; l < layers; l++) {
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, dims: [dim], type: 'f32', fill: ones },
      { name: `blk.${l}.attn_q.weight`, dims: [dim, dim], type: t2(dim), fill: feeds },
      { name: `blk.${l}.attn_k.weight`, dims: [dim, kvDim], type: t2(dim), fill: feeds },
      { name: `blk.${l}.attn_v.weight`, dims: [dim, kvDim], type: t2(dim), fill: feeds },
      { name: `blk.${l}.attn_output.weight`, dims: [dim, dim], type: t2(dim), fill: 'zeros' },
      { name: `blk.${l}.ffn_norm.weight`, dims: [dim], type: 'f32', fill: ones },
      { name: `blk.${l}.ffn_gate.weight`, dims: [dim, ff], type: t2(dim), fill: feeds },
      { name: `blk.${l}.ffn_up.weight`, dims: [dim, ff], type: t2(dim), fill: feeds },
      { name: `blk.${l}.ffn_down.weight`, dims: [ff, dim], type: t2(ff), fill: 'zeros' },
    );
  }

  const kv: [string, KvValue][] = [
    ['general.architecture', { t: 'str', v: 'llama' }],
    ['general.name', { t: 'str', v: options.name ?? 'tier-assist tiny llama' }],
    ['general.alignment', { t: 'u32', v: ALIGN }],
    ['llama.context_length', { t: 'u32', v: options.contextLength ?? 2048 }],
    ['llama.embedding_length', { t: 'u32', v: dim }],
    ['llama.block_count', { t: 'u32', v: layers }],
    ['llama.feed_forward_length', { t: 'u32', v: ff }],
    ['llama.attention.head_count', { t: 'u32', v: heads }],
    ['llama.attention.head_count_kv', { t: 'u32', v: kvHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
    ['llama.rope.dimension_count', { t: 'u32', v: dim / heads }],
    ['llama.rope.freq_base', { t: 'f32', v: 10000 }],
    ['llama.vocab_size', { t: 'u32', v: vocab }],
    ['tokenizer.ggml.model', { t: 'str', v: 'gpt2' }],
    ['tokenizer.ggml.pre', { t: 'str', v: 'llama-bpe' }],
    ['tokenizer.ggml.tokens', { t: 'strs', v: tokens }],
    ['tokenizer.ggml.token_type', { t: 'i32s', v: types }],
    ['tokenizer.ggml.merges', { t: 'strs', v: [] }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: bos }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: eos }],
    ['tokenizer.ggml.eot_token_id', { t: 'u32', v: eot }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
    ['tokenizer.chat_template', { t: 'str', v: LLAMA3_CHAT_TEMPLATE }],
  ];

  const w = new Writer();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, value] of kv) writeKv(w, key, value);
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE[t.type]);
    w.u64(offset);
    offset += Math.ceil(tensorBytes(t) / ALIGN) * ALIGN;
  }
  w.pad(ALIGN);
  const header = w.concat();
  return {
    header,
    tensors: tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims, bytes: tensorBytes(t) })),
    sizeBytes: header.byteLength + offset,
    *chunks() {
      for (const t of tensors) {
        yield* tensorChunks(t);
        const rem = tensorBytes(t) % ALIGN;
        if (rem !== 0) yield new Uint8Array(ALIGN - rem);
      }
    },
  };
}

/** A Llama GGUF with the behaviour described in the file comment, in memory (small shapes). */
export function makeLlamaGguf(options: LlamaGgufOptions = {}): Uint8Array {
  const plan = planLlamaGguf(options);
  const out = new Uint8Array(plan.sizeBytes);
  out.set(plan.header, 0);
  let at = plan.header.byteLength;
  for (const chunk of plan.chunks()) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Write a Llama GGUF to `path` chunk by chunk (a few MB in memory at any time, whatever the shape),
 * through `path + '.partial'` renamed at the end, so a reader never sees half a file. Node only.
 */
export async function writeLlamaGgufFile(
  path: string,
  options: LlamaGgufOptions = {},
  onProgress?: (writtenBytes: number, totalBytes: number) => void,
): Promise<{ sizeBytes: number }> {
  // Imported here so that browser tests can import this file.
  const fsModule = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsModule)) as NodeFsPromises;
  const plan = planLlamaGguf(options);
  const partial = `${path}.partial`;
  const file = await fs.open(partial, 'w');
  try {
    await file.write(plan.header);
    let written = plan.header.byteLength;
    let reported = 0;
    for (const chunk of plan.chunks()) {
      await file.write(chunk);
      written += chunk.byteLength;
      if (onProgress && written - reported >= 64 * 1024 * 1024) {
        reported = written;
        onProgress(written, plan.sizeBytes);
      }
    }
    if (written !== plan.sizeBytes)
      throw new Error(`GGUF writer: wrote ${written} of ${plan.sizeBytes} bytes`);
  } catch (error) {
    await file.close();
    await fs.rm(partial, { force: true });
    throw error;
  }
  await file.close();
  await fs.rename(partial, path);
  onProgress?.(plan.sizeBytes, plan.sizeBytes);
  return { sizeBytes: plan.sizeBytes };
}

type NodeFsPromises = typeof NodeFs;

/** Token ids of interest in a model built with the same options (for logprob/tokenizer tests). */
export function tinyLlamaTokenIds(options: LlamaGgufOptions = {}): {
  bos: number;
  eos: number;
  eot: number;
  firstByte: number;
} {
  const n = replyPieces(options.reply ?? TINY_REPLY).length;
  return { firstByte: n, bos: n + 256, eos: n + 257, eot: n + 260 };
}
