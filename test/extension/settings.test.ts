import { describe, expect, it } from 'vitest';
import { SMOLLM2_135M_MODEL, SMOLLM2_360M_MODEL } from '../../src/engines/catalog.ts';
import type { CapabilityReport } from '../../src/engines/probe.ts';
import type {
  GenerateResult,
  GenerationStream,
  LocalEngine,
  ModelDescriptor,
} from '../../src/engines/types.ts';
import { ConfigError } from '../../src/errors.ts';
import { EngineHost } from '../../extension/offscreen/engine-host.ts';
import { AUTO_MODEL, autoResolver, measuredSteps, resolveModel } from '../../extension/shared/models.ts';
import {
  AUTO_MODEL_ID,
  applyPatch,
  defaultSettings,
  LEGACY_DEFAULT_MODEL_ID,
  migrate,
  SETTINGS_VERSION,
  siteEnabled,
} from '../../extension/shared/settings.ts';

describe('extension settings', () => {
  it('starts from defaults when nothing is stored: the model is chosen per device', () => {
    expect(migrate(undefined)).toEqual(defaultSettings());
    expect(defaultSettings().autocomplete.debounceMs).toBe(250);
    expect(defaultSettings().model.downloadAllowed).toBe(false);
    expect(defaultSettings().model.id).toBe(AUTO_MODEL_ID);
    expect(resolveModel(defaultSettings())).toBe(AUTO_MODEL);
  });

  it('upgrades version 3: the old 1B default becomes automatic, an explicit choice stays', () => {
    const v3 = (model: object) => ({ ...defaultSettings(), version: 3, model });
    const untouched = migrate(
      v3({ id: LEGACY_DEFAULT_MODEL_ID, customUrl: '', downloadAllowed: true, extra: 1 }),
    );
    expect(untouched.version).toBe(4);
    expect(untouched.model).toEqual({ id: AUTO_MODEL_ID, customUrl: '', downloadAllowed: true });
    const chosen = { id: 'Llama-3.2-3B-Instruct-q4f16_1-MLC', customUrl: '', downloadAllowed: false };
    expect(migrate(v3(chosen)).model).toEqual(chosen);
    // A self-hosted URL is a choice even when the id field still holds the old default.
    const hosted = {
      id: LEGACY_DEFAULT_MODEL_ID,
      customUrl: 'https://m.example/a.gguf',
      downloadAllowed: true,
    };
    expect(migrate(v3(hosted)).model).toEqual(hosted);
  });

  it('upgrades version 2: a self-hosted model counts as chosen, the default does not', () => {
    const v2 = {
      ...defaultSettings(),
      version: 2,
      model: { id: 'x', customUrl: 'https://m.example/a.gguf' },
    };
    expect(migrate(v2).model).toEqual({
      id: 'x',
      customUrl: 'https://m.example/a.gguf',
      downloadAllowed: true,
    });
    const plain = { ...defaultSettings(), version: 2, model: { id: 'x', customUrl: '' } };
    expect(migrate(plain).model.downloadAllowed).toBe(false);
  });

  it('upgrades version 1 step by step', () => {
    const upgraded = migrate({
      version: 1,
      gatewayUrl: 'https://gw.example.com',
      gatewayToken: 't',
      debounce: 400,
      disabledHosts: ['mail.example.com'],
    });
    expect(upgraded.version).toBe(SETTINGS_VERSION);
    expect(upgraded.gateway).toEqual({ url: 'https://gw.example.com', token: 't' });
    expect(upgraded.autocomplete.debounceMs).toBe(400);
    expect(upgraded.disabledSites).toEqual(['https://mail.example.com']);
    expect(upgraded.model.downloadAllowed).toBe(false);
    // Version 1 never chose a model either: it ends on automatic.
    expect(upgraded.model.id).toBe(AUTO_MODEL_ID);
  });

  it('rejects an invalid gateway URL with the field named, leaving the input untouched', () => {
    const current = defaultSettings();
    const before = structuredClone(current);
    let error: unknown;
    try {
      applyPatch(current, { gateway: { url: 'not a url' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).data?.field).toBe('gateway.url');
    expect(current).toEqual(before);
  });

  it('merges a partial patch section by section', () => {
    const next = applyPatch(defaultSettings(), { gateway: { url: 'http://127.0.0.1:8787' }, quality: 0.8 });
    expect(next.gateway).toEqual({ url: 'http://127.0.0.1:8787', token: '' });
    expect(next.quality).toBe(0.8);
    expect(next.autocomplete).toEqual(defaultSettings().autocomplete);
  });

  it('rejects out-of-range debounce and non-GGUF model URLs', () => {
    expect(() => applyPatch(defaultSettings(), { autocomplete: { debounceMs: 5 } })).toThrow(ConfigError);
    expect(() =>
      applyPatch(defaultSettings(), { model: { customUrl: 'https://x.example/model.bin' } }),
    ).toThrow(ConfigError);
  });

  it('switches suggestions off per site', () => {
    const s = applyPatch(defaultSettings(), { disabledSites: ['https://a.example'] });
    expect(siteEnabled(s, 'https://a.example')).toBe(false);
    expect(siteEnabled(s, 'https://b.example')).toBe(true);
  });
});

/** A report as the probe makes it: `gpu` true gives a real (non-fallback) adapter. */
function report(gpu: boolean): CapabilityReport {
  return {
    webgpu: {
      available: gpu,
      shaderF16: false,
      maxStorageBufferBindingSize: gpu ? 2 ** 31 : 0,
      maxBufferSize: gpu ? 2 ** 31 : 0,
      isFallbackAdapter: false,
      ...(gpu ? {} : { reason: 'no WebGPU adapter' }),
    },
    storage: { quotaBytes: 2 ** 40, usageBytes: 0, availableBytes: 2 ** 40, persisted: false, known: true },
    deviceMemoryGB: 8,
    cores: 2,
    promptApi: 'absent',
    wasm: { available: true },
  };
}

/** An engine that answers at once and reports the speed the test gives it. */
class SpeedEngine implements LocalEngine {
  readonly capabilities = {
    kind: 'wasm',
    jsonSchema: false,
    logprobs: false,
    completion: true,
    gpu: false,
  } as const;
  model: ModelDescriptor | undefined;
  speed: LocalEngine['speed'];
  constructor(speed?: LocalEngine['speed']) {
    this.speed = speed;
  }
  async load(model: ModelDescriptor): Promise<void> {
    this.model = model;
  }
  complete(): GenerationStream {
    const result: GenerateResult = {
      text: ' ok',
      finishReason: 'stop',
      usage: { promptTokens: 4, completionTokens: 1 },
      timings: { ttftMs: 1, totalMs: 1, decodeTokPerSec: 1 },
      model: this.model?.id ?? '',
    };
    return { result: Promise.resolve(result), [Symbol.asyncIterator]: async function* () {} };
  }
  chat(): GenerationStream {
    return this.complete();
  }
  async unload(): Promise<void> {}
}

class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}

describe('"auto" resolved in the engine host', () => {
  const ask = (host: EngineHost, id: string) =>
    host.complete({ id, model: AUTO_MODEL, prefix: 'Hello', maxTokens: 4 });

  it('loads the small CPU model without a real GPU, and says why in the status', async () => {
    let probes = 0;
    const loaded: string[] = [];
    const host = new EngineHost((m) => (loaded.push(m.id), new SpeedEngine()), {
      webgpu: false,
      resolve: autoResolver({ probe: async () => (probes++, report(false)), crossOriginIsolated: false }),
    });
    await ask(host, '1');
    await ask(host, '2');
    expect(loaded).toEqual([SMOLLM2_135M_MODEL.id]);
    expect(probes).toBe(1);
    const status = host.status();
    expect(status.model?.label).toBe(SMOLLM2_135M_MODEL.label);
    expect(status.reason).toMatch(/1 thread .*not cross-origin isolated/);
  });

  it('a real GPU gets Llama 3.2 1B on WebLLM; a measured slow step moves it down on the next request', async () => {
    const storage = new MemoryStorage();
    const steps = measuredSteps(storage);
    const loaded: string[] = [];
    // 1B on this GPU measured 3 tok/s prompt, 2 tok/s decode: ~3.3 s a step, far over 200 ms.
    const host: EngineHost = new EngineHost(
      (m) => (loaded.push(m.id), new SpeedEngine({ prefillTokPerSec: 3, decodeTokPerSec: 2, samples: 5 })),
      {
        webgpu: true,
        resolve: autoResolver({
          probe: async () => report(true),
          crossOriginIsolated: true,
          measured: () => {
            const s = host.status();
            if (s.model && s.speed) steps.record(s.model.id, s.speed);
            return steps.read();
          },
        }),
      },
    );
    await ask(host, '1');
    expect(loaded).toEqual(['Llama-3.2-1B-Instruct-q4f32_1-MLC']);
    await ask(host, '2');
    expect(loaded).toEqual(['Llama-3.2-1B-Instruct-q4f32_1-MLC', SMOLLM2_360M_MODEL.id]);
    expect(host.status().reason).toMatch(/moved down: Llama 3\.2 1B .* measured 3333 ms a step/);
    // Remembered across restarts of the host (same storage).
    expect(steps.read()).toContainEqual({ modelId: 'Llama-3.2-1B-Instruct-q4f32_1-MLC', stepMs: 3333 });
  });

  it('a figure from fewer than 3 runs does not move anything; other models pass through unchanged', async () => {
    const storage = new MemoryStorage();
    measuredSteps(storage).record('x', { prefillTokPerSec: 1, decodeTokPerSec: 1, samples: 2 });
    expect(measuredSteps(storage).read()).toEqual([]);
    const resolve = autoResolver({ probe: async () => report(false), crossOriginIsolated: true });
    const other = { ...AUTO_MODEL, id: 'x.gguf', url: 'https://m.example/x.gguf' };
    expect(await resolve(other)).toEqual({ model: other, reason: undefined });
  });

  it('a failed probe falls back to the smallest CPU model and says the probe failed', async () => {
    const resolve = autoResolver({
      probe: async () => {
        throw new Error('adapter crashed');
      },
      crossOriginIsolated: true,
    });
    const { model, reason } = await resolve(AUTO_MODEL);
    expect(model.id).toBe(SMOLLM2_135M_MODEL.id);
    expect(reason).toMatch(/probe failed \(adapter crashed\)/);
  });
});
