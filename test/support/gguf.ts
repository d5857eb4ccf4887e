/**
 * Generates tiny Llama GGUF (v3) models whose greedy continuation is known in advance, so tests can
 * run the real wllama (llama.cpp in WebAssembly) without downloading weights.
 *
 * How the model behaves (the contract tests rely on):
 * - Tokenizer: Llama-3 style byte-level BPE (`tokenizer.ggml.model = gpt2`, pre `llama-bpe`) with all
 *   256 byte tokens, no merges, and the Llama-3 control tokens `<|begin_of_text|>`, `<|end_of_text|>`,
 *   `<|start_header_id|>`, `<|end_header_id|>`, `<|eot_id|>`. A Llama-3 chat template is embedded.
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
 *
 * `makeTinyLlamaGguf()` (default reply {@link TINY_REPLY}) is ~100-150 KB and runs at hundreds of
 * tokens/s with one thread. `makeLlamaGguf({ dim: 288, layers: 6, heads: 6, ff: 768, vocab: 32000,
 * type: 'q8_0' })` gives a ~26 MB stories15M-shaped model for benchmarks (same reply behaviour).
 */

/** What `makeTinyLlamaGguf()` answers to any prompt. */
export const TINY_REPLY = 'Hello from tiny llama.';

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
  type?: 'f32' | 'q8_0';
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
const GGML_TYPE = { F32: 0, Q8_0: 8 } as const;
const ALIGN = 32;

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
  type: 'f32' | 'q8_0';
  /** Row-major values (ne0 fastest), or a function giving the value at a flat index (sparse). */
  fill: (out: Float32Array) => void;
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

/** IEEE half from a float (round to nearest; enough for Q8_0 scales). */
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

function encodeTensor(values: Float32Array, type: 'f32' | 'q8_0'): Uint8Array {
  if (type === 'f32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  // Q8_0: blocks of 32 values: f16 scale d, then 32 int8 with value = d * q.
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
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
  return out;
}

function tensorBytes(spec: TensorSpec): number {
  const n = spec.dims.reduce((a, b) => a * b, 1);
  return spec.type === 'f32' ? n * 4 : (n / 32) * 34;
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

/** A Llama GGUF with the reply behaviour described in the file comment. */
export function makeLlamaGguf(options: LlamaGgufOptions = {}): Uint8Array {
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
  const confidence = options.confidence ?? 16;
  if (dim % heads !== 0 || (dim / heads) % 2 !== 0) throw new Error('makeLlamaGguf: dim/heads must be even');
  if (type === 'q8_0' && (dim % 32 !== 0 || ff % 32 !== 0))
    throw new Error('makeLlamaGguf: q8_0 needs dim and ff divisible by 32');

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

  // Slot of each token: reply token k -> slot k + 1; everything else -> slot 0.
  const slotOf = (t: number): number => (t < chars.length ? t + 1 : 0);
  // Successor of each slot: slot 0 -> reply[0]; reply k -> reply k+1; last -> eot (or reply[0]).
  const successorOfSlot = (s: number): number => {
    if (s === 0) return 0;
    const k = s - 1;
    if (k + 1 < chars.length) return k + 1;
    return options.loop ? 0 : eot;
  };
  void byteBase;

  const kvDim = (dim / heads) * kvHeads;
  const ones = (out: Float32Array): void => {
    out.fill(1);
  };
  const zeros = (): void => {};
  const tensors: TensorSpec[] = [
    {
      name: 'token_embd.weight',
      dims: [dim, vocab],
      type,
      fill: (out) => {
        for (let t = 0; t < vocab; t++) out[t * dim + slotOf(t)] = 1;
      },
    },
    { name: 'output_norm.weight', dims: [dim], type: 'f32', fill: ones },
    {
      name: 'output.weight',
      dims: [dim, vocab],
      type,
      fill: (out) => {
        // logits[j] = sum_i W[j, i] * x[i], x = sqrt(dim) * e_slot after RMS norm.
        const scale = confidence / Math.sqrt(dim);
        for (let s = 0; s < slots; s++) out[successorOfSlot(s) * dim + s] = scale;
      },
    },
  ];
  for (let l = 0; l < layers; l++) {
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, dims: [dim], type: 'f32', fill: ones },
      { name: `blk.${l}.attn_q.weight`, dims: [dim, dim], type, fill: zeros },
      { name: `blk.${l}.attn_k.weight`, dims: [dim, kvDim], type, fill: zeros },
      { name: `blk.${l}.attn_v.weight`, dims: [dim, kvDim], type, fill: zeros },
      { name: `blk.${l}.attn_output.weight`, dims: [dim, dim], type, fill: zeros },
      { name: `blk.${l}.ffn_norm.weight`, dims: [dim], type: 'f32', fill: ones },
      { name: `blk.${l}.ffn_gate.weight`, dims: [dim, ff], type, fill: zeros },
      { name: `blk.${l}.ffn_up.weight`, dims: [dim, ff], type, fill: zeros },
      { name: `blk.${l}.ffn_down.weight`, dims: [ff, dim], type, fill: zeros },
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
    w.u32(t.type === 'f32' ? GGML_TYPE.F32 : GGML_TYPE.Q8_0);
    w.u64(offset);
    offset += Math.ceil(tensorBytes(t) / ALIGN) * ALIGN;
  }
  w.pad(ALIGN);
  for (const t of tensors) {
    const values = new Float32Array(t.dims.reduce((a, b) => a * b, 1));
    t.fill(values);
    w.bytes(encodeTensor(values, t.type));
    w.pad(ALIGN);
  }
  return w.concat();
}

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
