/**
 * CPU widening in the real wasm engine (wllama, llama.cpp in Chromium): a generated Q8_0 model that
 * opts in (`cpuWiden: 'f32'`) is loaded as F32 (llama.cpp reports "all F32") and answers exactly as
 * the Q8_0 file does; the placement note says so; `widen: 'off'`, a model that does not opt in, and a
 * device without the memory keep the Q8_0 file; a broken file still fails with a typed error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCorruptError } from '../../src/errors.ts';
import { createWasmEngine, type WasmEngineOptions } from '../../src/engines/wasm.ts';
import type { LoadProgress, ModelDescriptor } from '../../src/engines/types.ts';
import { TINY_REPLY, makeLlamaGguf } from '../support/gguf.ts';

const urls: string[] = [];
function blobModel(bytes: Uint8Array, id: string, widen: boolean): ModelDescriptor {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  urls.push(url);
  return {
    id,
    label: id,
    sizeBytes: bytes.byteLength,
    memoryBytes: 0,
    engine: 'wasm',
    url,
    ...(widen ? { cpuWiden: 'f32' as const } : {}),
  };
}
afterAll(() => urls.forEach((u) => URL.revokeObjectURL(u)));

const q8 = makeLlamaGguf({ type: 'q8_0', dim: 64, heads: 4, ff: 128, layers: 2 });

async function run(
  model: ModelDescriptor,
  options: WasmEngineOptions = {},
): Promise<{
  chat: string;
  completion: string;
  note: string;
  weightType: string | undefined;
  progress: LoadProgress[];
}> {
  const engine = createWasmEngine({ threads: 1, ...options });
  const progress: LoadProgress[] = [];
  try {
    await engine.load(model, { onProgress: (p) => progress.push(p) });
    const chat = await engine.chat([{ role: 'user', content: 'Say hi' }], { maxTokens: 32 }).result;
    const completion = await engine.complete('Once upon a time', { maxTokens: 32 }).result;
    expect(chat.finishReason).toBe('stop');
    return {
      chat: chat.text,
      completion: completion.text,
      note: engine.placement?.note ?? '',
      weightType: engine.weightType,
      progress,
    };
  } finally {
    await engine.unload();
  }
}

describe('widening Q8_0 weights to F32 on the CPU (wllama)', () => {
  it('loads the widened file as F32, gives the same greedy reply, and says so', async () => {
    const widened = await run(blobModel(q8, 'q8-widened', true));
    expect(widened.weightType).toBe('all F32');
    expect(widened.chat).toBe(TINY_REPLY);
    expect(widened.completion).toBe(TINY_REPLY);
    expect(widened.note).toMatch(/^CPU, 1 thread: .*; weights widened from Q8_0 to F32 for CPU speed/);
    // "Preparing" (the compile phase) with byte progress up to the widened size.
    const preparing = widened.progress.filter((p) => p.phase === 'compile' && /F32/.test(p.text ?? ''));
    expect(preparing.length).toBeGreaterThan(1);
    expect(preparing.at(-1)?.loadedBytes).toBe(preparing.at(-1)?.totalBytes);
    expect(preparing.at(-1)?.totalBytes).toBeGreaterThan(q8.byteLength * 2);
    expect(widened.progress.at(-1)?.phase).toBe('ready');

    const original = await run(blobModel(q8, 'q8-off', true), { widen: 'off' });
    expect(original.weightType).toBe('Q8_0');
    expect(original.chat).toBe(widened.chat);
    expect(original.completion).toBe(widened.completion);
    expect(original.note).not.toMatch(/widen/);
  });

  it('keeps the Q8_0 file for a model that does not opt in', async () => {
    const plain = await run(blobModel(q8, 'q8-plain', false));
    expect(plain.weightType).toBe('Q8_0');
    expect(plain.chat).toBe(TINY_REPLY);
    expect(plain.note).not.toMatch(/widen/);
  });

  it('keeps the Q8_0 file when the device reports too little memory, and the note says why', async () => {
    const small = await run(blobModel(q8, 'q8-small-device', true), { deviceMemoryGB: 0.0001 });
    expect(small.weightType).toBe('Q8_0');
    expect(small.chat).toBe(TINY_REPLY);
    expect(small.note).toMatch(/kept Q8_0 weights \(F32 weights would need .* MB and the device reports/);
  });

  it('a truncated Q8_0 file that opts in fails with ModelCorruptError, not a crash', async () => {
    const engine = createWasmEngine({ threads: 1 });
    const broken = blobModel(q8.slice(0, Math.floor(q8.byteLength * 0.6)), 'q8-truncated', true);
    await expect(engine.load(broken)).rejects.toBeInstanceOf(ModelCorruptError);
    // The engine is usable after: a good model loads and answers.
    await engine.load(blobModel(q8, 'q8-after', true));
    expect((await engine.complete('hi', { maxTokens: 32 }).result).text).toBe(TINY_REPLY);
    await engine.unload();
  });
});
