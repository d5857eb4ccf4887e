/**
 * A multi-threaded load that does not finish in time is retried on one thread instead of leaving the
 * page at "Preparing the model" forever (src/engines/wasm.ts, `loadStallMs`). Firefox ESR now and then
 * never finishes starting wllama's threads on an isolated page (issue 18). Runs in Chromium and, through
 * the Firefox lane, in Firefox; a 1 ms bound makes every multi-threaded load count as stalled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWasmEngine, loadStallMs } from '../../src/engines/wasm.ts';
import type { LocalEngine } from '../../src/engines/types.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';

describe('wasm engine: a stalled multi-threaded load', () => {
  let engine: LocalEngine | undefined;
  afterEach(async () => {
    await engine?.unload();
  });

  it('falls back to one thread, says why, and answers', async () => {
    const bytes = makeTinyLlamaGguf();
    const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
    const wasm = createWasmEngine({ threads: 2, loadStallMs: 1 });
    engine = wasm;
    await wasm.load({
      id: 'tiny',
      label: 'Tiny',
      sizeBytes: bytes.byteLength,
      memoryBytes: 0,
      engine: 'wasm',
      url,
    });
    URL.revokeObjectURL(url);
    expect(wasm.placement?.threads).toBe(1);
    expect(wasm.placement?.note).toMatch(
      /loading on 2 threads did not finish in \d+ s, so the model runs on one thread/,
    );
    const result = await wasm.complete('Once upon a time', { maxTokens: 64 }).result;
    expect(result.text).toBe(TINY_REPLY);
  });

  it('gives big models more time: 20 s plus 1 s per 10 MB', () => {
    expect(loadStallMs(116 * 1024)).toBe(21_000);
    expect(loadStallMs(1300 * 1024 * 1024)).toBe(150_000);
  });
});
