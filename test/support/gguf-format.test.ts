import { describe, expect, it } from 'vitest';
import { TINY_REPLY, makeLlamaGguf, makeTinyLlamaGguf, replyPieces, tinyLlamaTokenIds } from './gguf.ts';

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
