/**
 * The wasm engine loads only our own files, in every browser (runs in Chromium and, through the
 * Firefox lane, in Firefox): where JSPI is missing, wllama would otherwise fetch a "compat" build from
 * cdn.jsdelivr.net (src/engines/wasm.ts). Here JSPI is taken away from the page to force that branch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWasmEngine } from '../../src/engines/wasm.ts';
import type { LocalEngine } from '../../src/engines/types.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';

describe('wasm engine without JSPI', () => {
  let engine: LocalEngine | undefined;
  const realFetch = globalThis.fetch;
  const suspending = Object.getOwnPropertyDescriptor(WebAssembly, 'Suspending');
  afterEach(async () => {
    globalThis.fetch = realFetch;
    if (suspending) Object.defineProperty(WebAssembly, 'Suspending', suspending);
    await engine?.unload();
  });

  it('answers from the packaged wasm and fetches nothing from another origin', async () => {
    Reflect.deleteProperty(WebAssembly, 'Suspending');
    const fetched: string[] = [];
    globalThis.fetch = (input, init) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    };
    const bytes = makeTinyLlamaGguf();
    const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
    engine = createWasmEngine();
    await engine.load({
      id: 'tiny',
      label: 'Tiny',
      sizeBytes: bytes.byteLength,
      memoryBytes: 0,
      engine: 'wasm',
      url,
    });
    const result = await engine.complete('Once upon a time', { maxTokens: 64 }).result;
    URL.revokeObjectURL(url);
    expect(result.text).toBe(TINY_REPLY);
    const foreign = fetched.filter((u) => !u.startsWith('blob:') && !u.startsWith(location.origin));
    expect(foreign).toEqual([]);
  });
});
