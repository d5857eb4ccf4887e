/**
 * llama.cpp (wllama, in Chromium) reads the generator's Q4_0 and Q4_K blocks and F16 rows as intended: small
 * models in those types give the known reply, and a tied-embedding model (no output.weight, as the
 * real Llama 3.2 and SmolLM2 files) generates the requested number of tokens without stopping early.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmEngine } from '../../src/engines/wasm.ts';
import type { ModelDescriptor } from '../../src/engines/types.ts';
import { TIED_FILLER, TINY_REPLY, makeLlamaGguf } from '../support/gguf.ts';

const urls: string[] = [];
function blobModel(bytes: Uint8Array, id: string): ModelDescriptor {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  urls.push(url);
  return { id, label: id, sizeBytes: bytes.byteLength, memoryBytes: 0, engine: 'wasm', url };
}
afterAll(() => urls.forEach((u) => URL.revokeObjectURL(u)));

describe('generated Q4_0 / Q4_K / F16 GGUFs in llama.cpp (wasm)', () => {
  it.each([
    ['q4_0', 32],
    ['q4_k', 256],
    ['f16', 32],
  ] as const)('a %s model answers with the known reply', async (type, dim) => {
    const engine = createWasmEngine({ threads: 1 });
    try {
      await engine.load(blobModel(makeLlamaGguf({ type, dim, heads: 4, ff: 2 * dim }), type));
      const result = await engine.complete('Say hi', { maxTokens: 32 }).result;
      expect(result.text).toBe(TINY_REPLY);
      expect(result.finishReason).toBe('stop');
    } finally {
      await engine.unload();
    }
  });

  it('a tied, synthetic Q4_K model streams N tokens of filler and never ends early', async () => {
    const engine = createWasmEngine({ threads: 1 });
    const bytes = makeLlamaGguf({
      type: 'q4_k',
      dim: 256,
      heads: 4,
      kvHeads: 2,
      ff: 512,
      layers: 2,
      vocab: 2048,
      tied: true,
      synthetic: true,
    });
    try {
      await engine.load(blobModel(bytes, 'tied'));
      const stream = engine.complete('The quick brown fox jumps over the lazy dog', { maxTokens: 24 });
      const deltas: string[] = [];
      for await (const d of stream) deltas.push(d);
      const result = await stream.result;
      expect(result.finishReason).toBe('length');
      expect(result.usage.completionTokens).toBe(24);
      expect(result.text).toBe(TIED_FILLER.repeat(24));
      expect(deltas.length).toBeGreaterThan(1);
      // Byte-level vocabulary, no merges: N ASCII bytes are N prompt tokens (+ BOS).
      expect(result.usage.promptTokens).toBe('The quick brown fox jumps over the lazy dog'.length + 1);
    } finally {
      await engine.unload();
    }
  });
});
