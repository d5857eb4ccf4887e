/**
 * The offscreen document: hosts the on-device engine for every tab (ADR 0002: a document can start
 * the wasm engine's Worker and has WebGPU; the service worker can do neither reliably and is killed
 * after 30 s idle, while this document outlives it). Answers only the offscreen protocol.
 */
import { InvalidInputError } from '../../src/errors.ts';
import { ENGINE_PORT, listenPorts, SUGGEST_MAX_TOKENS, type Results } from '../shared/messaging.ts';
import { ledgerStats, recordSuggestion } from '../shared/stats.ts';
import { deleteCache, listCache } from './cache.ts';
import { EngineHost, type EngineFactory, type ModelResolver } from './engine-host.ts';
import { autoResolver, measuredSteps } from '../shared/models.ts';
import { probeCapabilities } from '../../src/engines/probe.ts';
import { createEngine, modelCache } from './engines.ts';
import { offscreenChannel, type OffscreenHandlers } from '../shared/offscreen-protocol.ts';
import { engineHostRuntime } from '../shared/page-bus.ts';

/** The model type the engine host takes (the port's payload is parsed by the same schema). */
type HostModel = Parameters<EngineHost['suggest']>[0]['model'];

export interface OffscreenDeps {
  runtime: typeof chrome.runtime;
  createEngine: EngineFactory;
  webgpu: boolean;
  /** Resolves `auto` to this device's model (extension/models.ts autoResolver). */
  resolveModel?: ModelResolver;
}

export function main(deps: OffscreenDeps): { host: EngineHost; stop: () => void } {
  const host = new EngineHost(deps.createEngine, {
    webgpu: deps.webgpu,
    ...(deps.resolveModel ? { resolve: deps.resolveModel } : {}),
  });
  // Nobody watches this hidden document's console: keep what would be an error there.
  const report = (text: string) => {
    if (host.problems.length < 50) host.problems.push(text);
  };
  globalThis.document?.addEventListener('securitypolicyviolation', (event) =>
    report(`CSP: ${event.violatedDirective} blocked ${event.blockedURI}`),
  );
  globalThis.addEventListener?.('error', (event) => report(`error: ${(event as ErrorEvent).message}`));
  globalThis.addEventListener?.('unhandledrejection', (event) =>
    report(`unhandled rejection: ${String((event as PromiseRejectionEvent).reason)}`),
  );
  const handlers: OffscreenHandlers = {
    'engine.complete': async (p) =>
      host.complete({ ...p, ...(p.stop ? { stop: p.stop } : {}) } as Parameters<EngineHost['complete']>[0]),
    'engine.chat': async (p) =>
      host.chat({ ...p, ...(p.stop ? { stop: p.stop } : {}) } as Parameters<EngineHost['chat']>[0]),
    'engine.suggest': async ({ id, before, model }) =>
      host.suggest({ id, before, model: model as HostModel, maxTokens: SUGGEST_MAX_TOKENS }),
    'engine.cancel': async ({ id }) => ({ cancelled: host.cancel(id) }),
    'engine.status': async () => host.status(),
    'engine.load': async ({ model }) => {
      await host.ensure(model as Parameters<EngineHost['ensure']>[0]);
      return host.status();
    },
    'cache.list': async () => listCache(modelCache()),
    'cache.delete': async ({ id }) => ({ deleted: await deleteCache(modelCache(), id) }),
  };
  const stop = offscreenChannel.listen(handlers, deps.runtime);

  // Tabs ask for suggestions on a direct port once the background has created this document: one
  // hop instead of two, and it keeps working while the service worker is stopped.
  const stats = ledgerStats();
  const stopPorts = listenPorts(
    {
      // The text so far streams back as partial frames (the ghost shows its first words early).
      suggest: async ({ id, before, model }, _sender, partial): Promise<Results['suggest']> => {
        if (!model) throw new InvalidInputError('A direct suggestion request must name its model.');
        const out = await host.suggest({
          id,
          before,
          model: model as HostModel,
          maxTokens: SUGGEST_MAX_TOKENS,
          ...(partial ? { onPartial: partial } : {}),
        });
        recordSuggestion(stats, before.slice(before.length - out.prefixChars), out);
        return {
          text: out.text,
          engineMs: out.engineMs,
          hostMs: out.hostMs,
          backgroundMs: out.hostMs,
          model: out.model,
          prefixChars: out.prefixChars,
          maxPrefixChars: out.maxPrefixChars,
          ...(out.promptTokens !== undefined ? { promptTokens: out.promptTokens } : {}),
          ...(out.cachedTokens !== undefined ? { cachedTokens: out.cachedTokens } : {}),
        };
      },
      cancel: async ({ id }) => ({ cancelled: host.cancel(id) }),
      // The side panel's LocalEngine adapter (the engine behind its <tier-triage>).
      'engine.generate': async ({ messages, prefix, stop, jsonSchema, ...rest }) => {
        const request = {
          ...rest,
          model: rest.model as Parameters<EngineHost['chat']>[0]['model'],
          ...(stop ? { stop } : {}),
          ...(jsonSchema ? { jsonSchema } : {}),
        };
        if (!messages && prefix === undefined)
          throw new InvalidInputError('engine.generate needs `messages` (chat) or `prefix` (completion).');
        const out = messages
          ? await host.chat({ ...request, messages })
          : await host.complete({ ...request, prefix: prefix ?? '' });
        return {
          text: out.text,
          finishReason: out.finishReason,
          engineMs: out.engineMs,
          hostMs: out.hostMs,
          model: out.model,
        };
      },
    },
    { portName: ENGINE_PORT, runtime: deps.runtime, hello: true },
  );
  // A tab that goes away mid-generation (closed, reloaded, navigated) disconnects its port: abort
  // what it asked for, so the engine does not finish answers nobody will see.
  const onEnginePort = (port: chrome.runtime.Port) => {
    if (port.name !== ENGINE_PORT) return;
    const asked: string[] = [];
    port.onMessage.addListener((message: unknown) => {
      const id = (message as { payload?: { id?: unknown } } | null)?.payload?.id;
      if (typeof id !== 'string') return;
      asked.push(id);
      if (asked.length > 8) asked.shift();
    });
    port.onDisconnect.addListener(() => host.abandon(asked));
  };
  deps.runtime.onConnect.addListener(onEnginePort);
  return {
    host,
    stop: () => {
      stop();
      stopPorts();
      deps.runtime.onConnect.removeListener(onEnginePort);
    },
  };
}

// `auto` resolves here, where the probe sees this browser's GPU and isolation; steps measured on the
// loaded model are kept so one that measured too slow stays moved down (extension/models.ts).
const steps = measuredSteps(globalThis.localStorage);
const offscreen = main({
  // In Firefox this module runs in the event page beside the background (extension/shared/page-bus.ts).
  runtime: engineHostRuntime(),
  createEngine,
  webgpu: 'gpu' in navigator,
  resolveModel: autoResolver({
    probe: () => probeCapabilities(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    measured: () => {
      const status = offscreen.host.status();
      if (status.model && status.speed) steps.record(status.model.id, status.speed);
      return steps.read();
    },
  }),
});
