/**
 * Widening GGUF weights to F32 (gguf-widen.ts) on files the test generator writes: the widened
 * header reads back with F32 tensors at the right sizes and offsets, the values are what ggml's own
 * dequantizer gives (checked with an independent dequantizer written here from ggml-common.h), reads
 * at any offset agree, and malformed or truncated input is a ModelCorruptError, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { makeLlamaGguf, makeTinyLlamaGguf } from '../../test/support/gguf.ts';
import { AbortError, ModelCorruptError } from '../errors.ts';
import { GGML_TYPE, metadata, readGgufHeader, type GgufHeader } from './gguf-header.ts';
import { FILE_TYPE_ALL_F32, planWiden, widenGguf } from './gguf-widen.ts';

const blobOf = (bytes: Uint8Array): Blob => new Blob([bytes as BlobPart]);
const options = { dim: 64, heads: 4, ff: 128, layers: 2 } as const;

function half(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  return exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** ggml's dequantize_row_q8_0 / fp16 -> fp32, rounded to f32 as ggml stores them. */
function dequantize(bytes: Uint8Array, type: number, n: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (type === GGML_TYPE.Q8_0) {
      const b = Math.floor(i / 32);
      out[i] = Math.fround(half(view.getUint16(b * 34, true))) * view.getInt8(b * 34 + 2 + (i % 32));
    } else out[i] = half(view.getUint16(2 * i, true));
  }
  return out;
}

async function tensorBytes(blob: Blob, header: GgufHeader, name: string): Promise<Uint8Array> {
  const t = header.tensors.find((x) => x.name === name);
  if (!t?.bytes) throw new Error(`no tensor ${name}`);
  const at = header.dataStart + t.offset;
  return new Uint8Array(await blob.slice(at, at + t.bytes).arrayBuffer());
}

describe('GGUF header reader', () => {
  it('reads metadata, alignment and tensor infos of a generated file', async () => {
    const header = await readGgufHeader(blobOf(makeLlamaGguf({ ...options, type: 'q8_0' })));
    expect(header.version).toBe(3);
    expect(header.alignment).toBe(32);
    expect(metadata(header, 'general.architecture')).toBe('llama');
    expect(metadata(header, 'llama.embedding_length')).toBe(64);
    expect(metadata(header, 'tokenizer.ggml.tokens')).toMatchObject({
      array: true,
      length: expect.any(Number),
    });
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
    expect(embd?.type).toBe(GGML_TYPE.Q8_0);
    expect(embd?.bytes).toBe(((64 / 32) * 34 * (embd?.dims[1] ?? 0)) as number);
    expect(header.dataStart % 32).toBe(0);
  });
});

describe('widening Q8_0 and F16 weights to F32', () => {
  it.each(['q8_0', 'f16'] as const)(
    'a %s file reads back with F32 weights, recomputed offsets and the same values',
    async (type) => {
      const source = blobOf(makeLlamaGguf({ ...options, type }));
      const progress: number[] = [];
      const result = await widenGguf(source, { onProgress: (done) => progress.push(done) });
      expect(result.fromTypes).toEqual([type === 'q8_0' ? 'Q8_0' : 'F16']);
      const before = await readGgufHeader(source);
      const after = await readGgufHeader(result.blob);
      expect(result.blob.size).toBe(result.outputBytes);

      // Same tensors in the same order; 2-D ones now F32 with 4 bytes a value; 1-D ones unchanged.
      expect(after.tensors.map((t) => t.name)).toEqual(before.tensors.map((t) => t.name));
      let expectedOffset = 0;
      for (const [i, t] of after.tensors.entries()) {
        const was = before.tensors[i]!;
        expect(t.dims).toEqual(was.dims);
        expect(t.type).toBe(t.dims.length === 2 ? GGML_TYPE.F32 : was.type);
        expect(t.bytes).toBe(t.dims.reduce((a, b) => a * b, 1) * 4);
        expect(t.offset).toBe(expectedOffset);
        expectedOffset = Math.ceil((t.offset + (t.bytes ?? 0)) / 32) * 32;
      }
      expect(result.widened).toHaveLength(before.tensors.filter((t) => t.dims.length === 2).length);
      expect(result.blob.size).toBe(after.dataStart + expectedOffset);

      // Metadata kept (one key added: general.file_type = ALL_F32).
      expect(after.kvs.map((kv) => kv.key)).toEqual([...before.kvs.map((kv) => kv.key), 'general.file_type']);
      expect(metadata(after, 'general.file_type')).toBe(FILE_TYPE_ALL_F32);
      expect(metadata(after, 'tokenizer.chat_template')).toBe(metadata(before, 'tokenizer.chat_template'));

      // Values: exactly ggml's dequantization; 1-D tensors byte for byte.
      for (const t of before.tensors) {
        const src = await tensorBytes(source, before, t.name);
        const out = await tensorBytes(result.blob, after, t.name);
        if (t.dims.length === 2) {
          const n = t.dims[0]! * t.dims[1]!;
          expect(new Float32Array(out.slice().buffer)).toEqual(dequantize(src, t.type, n));
        } else expect(out).toEqual(src);
      }
      expect(progress.at(-1)).toBeLessThanOrEqual(result.outputBytes);
    },
  );

  it('serves any byte range the same as the whole file, and streams it identically', async () => {
    const { blob } = await widenGguf(blobOf(makeLlamaGguf({ ...options, type: 'q8_0' })));
    const whole = new Uint8Array(await blob.arrayBuffer());
    expect(whole.length).toBe(blob.size);
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 40; i++) {
      const a = next(blob.size);
      const b = a + next(Math.min(300_000, blob.size - a) + 1);
      const part = new Uint8Array(await blob.slice(a, b).arrayBuffer());
      expect(part.length).toBe(b - a);
      expect(Buffer.from(part).equals(whole.subarray(a, b))).toBe(true);
    }
    expect(new Uint8Array(await blob.slice(-100).arrayBuffer())).toEqual(whole.subarray(whole.length - 100));
    expect(new Uint8Array(await blob.slice(10, 20).slice(2, 5).arrayBuffer())).toEqual(
      whole.subarray(12, 15),
    );
    const streamed: Uint8Array[] = [];
    const reader = blob.stream().getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) streamed.push(r.value);
    expect(Buffer.concat(streamed).equals(Buffer.from(whole))).toBe(true);
  });

  it('returns an all-F32 file unchanged, and leaves Q4_0 weights as they are', async () => {
    const f32 = blobOf(makeTinyLlamaGguf());
    expect((await widenGguf(f32)).blob).toBe(f32);
    const q4 = blobOf(makeLlamaGguf({ ...options, type: 'q4_0' }));
    const result = await widenGguf(q4);
    expect(result.widened).toEqual([]);
    expect(result.blob).toBe(q4);
  });

  it('knows the output size from the header alone (what the engine checks memory with)', async () => {
    const bytes = makeLlamaGguf({ ...options, type: 'q8_0' });
    const plan = await planWiden(blobOf(bytes));
    const f32 = makeLlamaGguf({ ...options, type: 'f32' });
    // The F32 generator writes the same tensors: same data size (headers differ by the file type key).
    const f32Header = await readGgufHeader(blobOf(f32));
    expect(plan.outputBytes - plan.headerBytes.length).toBe(f32.length - f32Header.dataStart);
  });

  it('stops with AbortError when aborted, also mid-read', async () => {
    const controller = new AbortController();
    const source = blobOf(makeLlamaGguf({ ...options, type: 'q8_0' }));
    const { blob } = await widenGguf(source, { signal: controller.signal });
    controller.abort();
    await expect(blob.arrayBuffer()).rejects.toBeInstanceOf(AbortError);
    await expect(widenGguf(source, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('malformed GGUF input', () => {
  const good = makeLlamaGguf({ ...options, type: 'q8_0' });

  async function expectCorrupt(bytes: Uint8Array): Promise<void> {
    const error: unknown = await widenGguf(blobOf(bytes)).then(
      async (r) => r.blob.arrayBuffer(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelCorruptError);
    expect((error as ModelCorruptError).code).toBe('model_corrupt');
  }

  it('rejects a file that is not GGUF, or of another version', async () => {
    await expectCorrupt(new TextEncoder().encode('<!doctype html><title>404</title>'));
    await expectCorrupt(new Uint8Array(0));
    const v1 = good.slice();
    new DataView(v1.buffer).setUint32(4, 1, true);
    await expectCorrupt(v1);
  });

  it('rejects a header cut anywhere, and tensor data cut short', async () => {
    const header = await readGgufHeader(blobOf(good));
    const cuts = [5, 20, 30, 100, 1000, header.kvEnd - 3, header.kvEnd + 17, header.dataStart - 1];
    for (const cut of cuts) await expectCorrupt(good.slice(0, cut));
    await expectCorrupt(good.slice(0, good.length - 40));
  });

  it('rejects implausible counts, unaligned offsets and lengths past the end', async () => {
    const counts = good.slice();
    new DataView(counts.buffer).setBigUint64(8, 2n ** 40n, true);
    await expectCorrupt(counts);
    const header = await readGgufHeader(blobOf(good));
    // The last tensor info ends with its u64 offset, just before the padding: make it unaligned.
    const last = header.tensors.at(-1)!;
    const unaligned = good.slice();
    const view = new DataView(unaligned.buffer);
    let at = header.dataStart - 8;
    while (at > 0 && view.getBigUint64(at, true) !== BigInt(last.offset)) at--;
    view.setBigUint64(at, BigInt(last.offset + 4), true);
    await expectCorrupt(unaligned);
    const longString = good.slice();
    // The first key's length (right after the 24-byte prefix) made huge.
    new DataView(longString.buffer).setBigUint64(24, 2n ** 50n, true);
    await expectCorrupt(longString);
  });

  it('never throws anything but ModelCorruptError on random corruption of the header', async () => {
    const header = await readGgufHeader(blobOf(good));
    let seed = 3;
    for (let i = 0; i < 60; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const bad = good.slice();
      const at = seed % header.dataStart;
      bad[at] = (bad[at] ?? 0) ^ 0xff;
      const outcome: unknown = await widenGguf(blobOf(bad)).then(
        async (r) => {
          await r.blob.slice(0, 4096).arrayBuffer();
          return 'ok';
        },
        (e: unknown) => e,
      );
      // A flipped byte inside a string or a float can still leave a valid header.
      if (outcome !== 'ok') expect(outcome).toBeInstanceOf(ModelCorruptError);
    }
  });
});
