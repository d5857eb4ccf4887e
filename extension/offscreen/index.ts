/**
 * The offscreen document: hosts the on-device engine for every tab (ADR 0002: a document can start
 * the wasm engine's Worker and has WebGPU; the service worker can do neither reliably and is killed
 * after 30 s idle, while this document outlives it). Answers only the offscreen protocol.
 */
import { deleteCache, listCache } from './cache.ts';
import { EngineHost, type EngineFactory } from './engine-host.ts';
import { createEngine } from './engines.ts';
import { offscreenChannel, type OffscreenHandlers } from './protocol.ts';

export interface OffscreenDeps {
  runtime: typeof chrome.runtime;
  createEngine: EngineFactory;
  webgpu: boolean;
}

export function main(deps: OffscreenDeps): { host: EngineHost; stop: () => void } {
  const host = new EngineHost(deps.createEngine, { webgpu: deps.webgpu });
  const handlers: OffscreenHandlers = {
    'engine.complete': async (p) =>
      host.complete({ ...p, ...(p.stop ? { stop: p.stop } : {}) } as Parameters<EngineHost['complete']>[0]),
    'engine.chat': async (p) =>
      host.chat({ ...p, ...(p.stop ? { stop: p.stop } : {}) } as Parameters<EngineHost['chat']>[0]),
    'engine.cancel': async ({ id }) => ({ cancelled: host.cancel(id) }),
    'engine.status': async () => host.status(),
    'engine.load': async ({ model }) => {
      await host.ensure(model as Parameters<EngineHost['ensure']>[0]);
      return host.status();
    },
    'cache.list': async () => listCache(),
    'cache.delete': async ({ id }) => ({ deleted: await deleteCache(id) }),
  };
  const stop = offscreenChannel.listen(handlers, deps.runtime);
  return { host, stop };
}

main({ runtime: chrome.runtime, createEngine, webgpu: 'gpu' in navigator });
