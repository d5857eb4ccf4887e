/**
 * The WebLLM engine's real plumbing in Chromium: web-llm runs in the dedicated worker
 * (webllm-worker.ts) on the SwiftShader adapter; with no weights reachable (no network here), loading
 * fails with a typed error that crossed the worker boundary as a string, and nothing is left loaded.
 */
import { describe, expect, it } from 'vitest';
import { startModelServer } from '../../test/support/gguf-commands.ts';
import { TierError } from '../errors.ts';
import { webllmVariant, withModelUrls } from './catalog.ts';
import type { LoadProgress } from './types.ts';
import { createWebLLMEngine, deleteWebLLMModel, isWebLLMModelCached } from './webllm.ts';

describe('WebLLM engine in a real worker', () => {
  it('maps a failed weights fetch from the worker to a typed error', async () => {
    // A real local server that refuses every request stands in for an unreachable model host.
    const server = await startModelServer();
    await server.mode('refuse');
    try {
      const base = new URL(server.url).origin;
      const model = withModelUrls(webllmVariant('1B', false), {
        url: `${base}/mlc/Llama-3.2-1B-Instruct-q4f32_1-MLC`,
        libUrl: `${base}/mlc/lib.wasm`,
      });
      const engine = createWebLLMEngine();
      const progress: LoadProgress[] = [];
      const error = await engine
        .load(model, { onProgress: (p) => progress.push(p) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TierError);
      expect((error as TierError).code).toBe('network');
      expect((error as TierError).message).toContain('/resolve/main/mlc-chat-config.json');
      expect(engine.model).toBeUndefined();
      expect(progress[0]?.phase).toBe('probe');
    } finally {
      await server.stop();
    }
  });

  it("reports an uncached model as not cached in web-llm's IndexedDB cache; deleting it is a no-op", async () => {
    const model = webllmVariant('1B', false);
    expect(await isWebLLMModelCached(model)).toBe(false);
    await deleteWebLLMModel(model);
    expect(await isWebLLMModelCached(model)).toBe(false);
  });
});
