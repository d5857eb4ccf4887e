import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TIED_FILLER,
  TINY_REPLY,
  makeLlamaGguf,
  makeTinyLlamaGguf,
  planLlamaGguf,
  replyPieces,
  tinyLlamaTokenIds,
  writeLlamaGgufFile,
} from './gguf.ts';

/** Read the GGUF header fields a loader checks first. */
function header(bytes: Uint8Array): { magic: string; version: number; tensors: bigint; kvs: bigint } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    magic: new TextDecoder().decode(bytes.slice(0, 4)),
    version: view.getUint32(4, true),
    tensors: view.getBigUint64(8, true),
    kvs: view.getBigUint64(16, true),
  };
}

describe('tiny llama GGUF generator', () => {
  it('writes a GGUF v3 header with the llama tensors and tokenizer metadata', () => {
    const bytes = makeTinyLlamaGguf();
    expect(header(bytes)).toEqual({ magic: 'GGUF', version: 3, tensors: 12n, kvs: 23n });
    const text = new TextDecoder('latin1').decode(bytes);
    for (const key of [
      'general.architecture',
      'llama.context_length',
      'llama.embedding_length',
      'llama.block_count',
      'llama.feed_forward_length',
      'llama.attention.head_count',
      'llama.attention.layer_norm_rms_epsilon',
      'tokenizer.ggml.model',
      'tokenizer.ggml.tokens',
      '<|eot_id|>',
      'token_embd.weight',
      'blk.0.ffn_down.weight',
    ])
      expect(text).toContain(key);
    expect(bytes.byteLength).toBeGreaterThan(80_000);
    expect(bytes.byteLength).toBeLessThan(200_000);
  });

  it('is deterministic', () => {
    expect(makeTinyLlamaGguf({ reply: 'abc def' })).toEqual(makeTinyLlamaGguf({ reply: 'abc def' }));
  });

  it('cuts replies into unique multi-character tokens', () => {
    const pieces = replyPieces(TINY_REPLY);
    expect(pieces.join('')).toBe(TINY_REPLY);
    expect(new Set(pieces).size).toBe(pieces.length);
    for (const p of pieces) expect([...p].length).toBeGreaterThanOrEqual(2);
    expect(replyPieces('aaaaaaa').join('')).toBe('aaaaaaa');
    expect(() => makeTinyLlamaGguf({ reply: 'x' })).toThrow();
    expect(tinyLlamaTokenIds().firstByte).toBe(pieces.length);
  });

  it('builds a stories15M-shaped Q8_0 model of ~26 MB', () => {
    const bytes = makeLlamaGguf({ dim: 288, layers: 6, heads: 6, ff: 768, vocab: 32000, type: 'q8_0' });
    expect(header(bytes).tensors).toBe(2n + 1n + 6n * 9n);
    expect(bytes.byteLength / 1e6).toBeGreaterThan(24);
    expect(bytes.byteLength / 1e6).toBeLessThan(30);
  });
});

// ---- a minimal GGUF reader and ggml dequantizers, written from ggml-common.h independently of the writer

interface ReadTensor {
  name: string;
  dims: number[];
  type: number;
  offset: number;
}

function readGguf(bytes: Uint8Array): { kv: Map<string, unknown>; tensors: ReadTensor[]; dataStart: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 24;
  const u32 = (): number => {
    at += 4;
    return view.getUint32(at - 4, true);
  };
  const u64 = (): number => {
    at += 8;
    return Number(view.getBigUint64(at - 8, true));
  };
  const str = (): string => {
    const n = u64();
    at += n;
    return new TextDecoder().decode(bytes.subarray(at - n, at));
  };
  const value = (type: number): unknown => {
    switch (type) {
      case 4:
        return u32();
      case 5:
        at += 4;
        return view.getInt32(at - 4, true);
      case 6:
        at += 4;
        return view.getFloat32(at - 4, true);
      case 7:
        at += 1;
        return bytes[at - 1] === 1;
      case 8:
        return str();
      case 9: {
        const inner = u32();
        const n = u64();
        return Array.from({ length: n }, () => value(inner));
      }
      default:
        throw new Error(`unexpected kv type ${type}`);
    }
  };
  const h = header(bytes);
  const kv = new Map<string, unknown>();
  for (let i = 0n; i < h.kvs; i++) {
    const key = str();
    kv.set(key, value(u32()));
  }
  const tensors: ReadTensor[] = [];
  for (let i = 0n; i < h.tensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  return { kv, tensors, dataStart: Math.ceil(at / 32) * 32 };
}

function half(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  return exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The first `n` values of a tensor, dequantized the way ggml does (Q4_0 = 2, Q4_K = 12). */
function dequantize(bytes: Uint8Array, at: number, type: number, n: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const y: number[] = [];
  if (type === 2) {
    for (let b = 0; y.length < n; b++) {
      const base = at + b * 18;
      const d = half(view.getUint16(base, true));
      const lo: number[] = [];
      const hi: number[] = [];
      for (let j = 0; j < 16; j++) {
        const q = bytes[base + 2 + j] ?? 0;
        lo.push(((q & 0xf) - 8) * d);
        hi.push(((q >> 4) - 8) * d);
      }
      y.push(...lo, ...hi);
    }
  } else if (type === 12) {
    for (let b = 0; y.length < n; b++) {
      const base = at + b * 144;
      const d = half(view.getUint16(base, true));
      const dmin = half(view.getUint16(base + 2, true));
      const s = bytes.subarray(base + 4, base + 16);
      const scaleMin = (j: number): [number, number] =>
        j < 4
          ? [(s[j] ?? 0) & 63, (s[j + 4] ?? 0) & 63]
          : [
              ((s[j + 4] ?? 0) & 0xf) | (((s[j - 4] ?? 0) >> 6) << 4),
              ((s[j + 4] ?? 0) >> 4) | (((s[j] ?? 0) >> 6) << 4),
            ];
      for (let c = 0; c < 4; c++) {
        const [sc1, m1] = scaleMin(2 * c);
        const [sc2, m2] = scaleMin(2 * c + 1);
        const q = bytes.subarray(base + 16 + c * 32, base + 16 + c * 32 + 32);
        for (let l = 0; l < 32; l++) y.push(d * sc1 * ((q[l] ?? 0) & 0xf) - dmin * m1);
        for (let l = 0; l < 32; l++) y.push(d * sc2 * ((q[l] ?? 0) >> 4) - dmin * m2);
      }
    }
  } else throw new Error(`no dequantizer for type ${type}`);
  return y.slice(0, n);
}

describe('Q4_0 / Q4_K weights, tied embeddings and streaming to a file', () => {
  it('writes Q4_0 and Q4_K blocks that ggml dequantizes to the intended one-hot embeddings', () => {
    for (const [type, id, dim] of [
      ['q4_0', 2, 32],
      ['q4_k', 12, 256],
    ] as const) {
      const bytes = makeLlamaGguf({ type, dim, heads: 4, ff: 2 * dim });
      const { tensors, dataStart } = readGguf(bytes);
      const embd = tensors.find((t) => t.name === 'token_embd.weight');
      expect(embd?.type).toBe(id);
      // Token 2 (the third reply piece) sits in slot 3: exactly 1 there, 0 elsewhere.
      const blockBytes = type === 'q4_0' ? 18 : 144;
      const rowBytes = (dim / (type === 'q4_0' ? 32 : 256)) * blockBytes;
      const row = dequantize(bytes, dataStart + (embd?.offset ?? 0) + 2 * rowBytes, id, dim);
      expect(row.map((v) => Math.round(v * 1000) / 1000 + 0)).toEqual(
        Array.from({ length: dim }, (_, i) => (i === 3 ? 1 : 0)),
      );
      const out = tensors.find((t) => t.name === 'output.weight');
      const scale = 16 / Math.sqrt(dim);
      // Output row of token 1 (reply piece 1) has `scale` at slot 1 (the slot of piece 0).
      const outRow = dequantize(bytes, dataStart + (out?.offset ?? 0) + rowBytes, id, dim);
      expect(outRow[1]).toBeCloseTo(scale, 2);
      expect(outRow.filter((v) => Math.abs(v) > 1e-6)).toHaveLength(1);
    }
  });

  it('sizes Q4_0 and Q4_K at 4.5 bits per weight and falls back to Q4_0 off 256-wide rows', () => {
    const q40 = planLlamaGguf({ type: 'q4_0', dim: 256, ff: 512, heads: 4, layers: 2 });
    const q4k = planLlamaGguf({ type: 'q4_k', dim: 256, ff: 512, heads: 4, layers: 2 });
    const ffn = (p: typeof q40) => p.tensors.find((t) => t.name === 'blk.0.ffn_up.weight');
    expect(ffn(q40)?.bytes).toBe(256 * 512 * (18 / 32));
    expect(ffn(q4k)?.bytes).toBe(256 * 512 * (144 / 256));
    expect(ffn(q4k)?.type).toBe('q4_k');
    const smol = planLlamaGguf({ type: 'q4_k', dim: 576, ff: 1536, heads: 9, kvHeads: 3, layers: 1 });
    expect(smol.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.type).toBe('q4_0');
    expect(smol.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')?.type).toBe('q4_k');
  });

  it('leaves out output.weight with tied embeddings and still never scores an end token first', () => {
    const bytes = makeLlamaGguf({ type: 'q4_0', dim: 64, heads: 4, tied: true, vocab: 600 });
    const { tensors, dataStart, kv } = readGguf(bytes);
    expect(tensors.map((t) => t.name)).not.toContain('output.weight');
    expect(tensors).toHaveLength(2 + 9);
    // Every row points along dim 0; the filler byte's is the largest, so it is every step's argmax.
    const embd = tensors.find((t) => t.name === 'token_embd.weight');
    const rowBytes = (64 / 32) * 18;
    const first = (t: number): number =>
      dequantize(bytes, dataStart + (embd?.offset ?? 0) + t * rowBytes, 2, 32)[0] ?? 0;
    const tokens = kv.get('tokenizer.ggml.tokens') as string[];
    const filler = tokens.indexOf(TIED_FILLER);
    const eot = tokens.indexOf('<|eot_id|>');
    expect(first(filler)).toBe(1);
    expect(first(eot)).toBeCloseTo(1 / 16, 5);
    const scores = Array.from({ length: 600 }, (_, t) => first(t));
    expect(scores.indexOf(Math.max(...scores))).toBe(filler);
  });

  it('streams a synthetic real-width model to a file with exactly the planned bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gguf-format-'));
    try {
      const path = join(dir, 'm.gguf');
      const options = {
        type: 'q4_k',
        dim: 512,
        ff: 1024,
        heads: 8,
        kvHeads: 2,
        layers: 2,
        vocab: 4096,
        tied: true,
        synthetic: true,
      } as const;
      const progress: number[] = [];
      const { sizeBytes } = await writeLlamaGgufFile(path, options, (w) => progress.push(w));
      expect(statSync(path).size).toBe(sizeBytes);
      expect(sizeBytes).toBe(planLlamaGguf(options).sizeBytes);
      expect(progress.at(-1)).toBe(sizeBytes);
      expect(existsSync(`${path}.partial`)).toBe(false);
      const bytes = new Uint8Array(readFileSync(path));
      expect(header(bytes).magic).toBe('GGUF');
      // Synthetic q/k/v are not all zero; the output projections stay zero.
      const { tensors, dataStart } = readGguf(bytes);
      const q = tensors.find((t) => t.name === 'blk.0.attn_q.weight');
      const o = tensors.find((t) => t.name === 'blk.0.attn_output.weight');
      expect(dequantize(bytes, dataStart + (q?.offset ?? 0), 12, 256).some((v) => v !== 0)).toBe(true);
      expect(dequantize(bytes, dataStart + (o?.offset ?? 0), 12, 256).every((v) => v === 0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('plans the Llama-3.2-1B shape at the real file size within 15% (Q4_K_M mixes in Q6_K)', () => {
    const plan = planLlamaGguf({
      dim: 2048,
      layers: 16,
      heads: 32,
      kvHeads: 8,
      ff: 8192,
      vocab: 128256,
      type: 'q4_k',
      tied: true,
      synthetic: true,
    });
    const real = 807_694_464;
    expect(plan.sizeBytes / real).toBeGreaterThan(0.85);
    expect(plan.sizeBytes / real).toBeLessThan(1);
  });
});
