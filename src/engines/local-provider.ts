/**
 * The default on-device engine provider of <tier-assist> and <tier-triage> (loaded lazily, on first
 * use; engine selection and caching belong with the engines, not with the assistant): runs the
 * engines' capability probe and choice (downloads nothing), then creates the chosen engine (web-llm on
 * WebGPU, wllama on WebAssembly, or Chrome's built-in model) through `createEngine`, which loads that
 * engine's code only then. GGUF downloads go through the model cache, so a model downloaded once loads
 * offline after a reload.
 *
 * `model` may be a GGUF URL (absolute, relative or blob:) -> the wasm engine on that file; a catalog id
 * -> that model's engine; or omitted -> the probe's choice (WebGPU when usable, else the default Llama
 * 3.2 1B Instruct GGUF on WebAssembly).
 */
import {
  DEFAULT_GGUF_MODEL,
  ModelCache,
  chooseEngine,
  createEngine,
  findModel,
  probeCapabilities,
  type ChooseOptions,
  type EngineKind,
  type LoadOptions,
  type LocalEngine,
  type ModelDescriptor,
} from './index.ts';
import { EngineUnavailableError } from '../errors.ts';

export { DEFAULT_GGUF_MODEL };

/** What the capability probe says about running a model on this device (shown before any download). */
export interface LocalModelProbe {
  /** The device can run `model`. */
  ok: boolean;
  /** One human sentence: which engine and model and why, or why none can run. */
  verdict: string;
  model?: ModelDescriptor;
  engine?: EngineKind;
  /** Each option that was ruled out, with its reason. */
  rejected: string[];
  /** The weights are already cached here (no download needed). */
  cached: boolean;
}

/** Probes the device and loads the on-device engine, keeping one engine instance per kind. */
export interface LocalEngineProvider {
  probe(options?: { model?: string | undefined; signal?: AbortSignal }): Promise<LocalModelProbe>;
  load(probe: LocalModelProbe, options?: LoadOptions): Promise<LocalEngine>;
}

/** Models this browser already consented to and loaded (engines with their own caches, e.g. web-llm). */
const CONSENT_KEY = 'tier-assist:loaded-models';

function consentedModels(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(CONSENT_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function rememberConsent(id: string): void {
  try {
    localStorage.setItem(CONSENT_KEY, JSON.stringify([...new Set([...consentedModels(), id])].slice(-10)));
  } catch {
    // Storage blocked: the person is simply asked again next time.
  }
}

/** Describe a GGUF URL: its size comes from a HEAD request; a file that is not there is a probe failure. */
async function describeUrl(url: string, signal?: AbortSignal): Promise<ModelDescriptor | string> {
  const absolute = new URL(url, location.href).href;
  const file = decodeURIComponent(absolute.split(/[?#]/)[0]!.split('/').pop() || 'model.gguf');
  let sizeBytes = 0;
  if (!absolute.startsWith('blob:')) {
    try {
      const head = await fetch(absolute, { method: 'HEAD', ...(signal ? { signal } : {}) });
      if (!head.ok) return `the model file ${file} is not available (HTTP ${head.status} from ${absolute})`;
      sizeBytes = Number(head.headers.get('content-length') ?? 0) || 0;
    } catch {
      return `the model file ${file} could not be reached at ${absolute}`;
    }
  }
  return {
    id: file,
    label: file,
    sizeBytes,
    memoryBytes: Math.round(sizeBytes * 1.4),
    engine: 'wasm',
    url: absolute,
  };
}

export function createLocalProvider(): LocalEngineProvider {
  let current: { kind: EngineKind; engine: LocalEngine } | undefined;
  let cache: ModelCache | undefined;
  const openCache = (): ModelCache | undefined => {
    try {
      cache ??= new ModelCache();
      return cache;
    } catch {
      return undefined;
    }
  };
  return {
    async probe(options = {}): Promise<LocalModelProbe> {
      let gguf: ModelDescriptor | undefined;
      let prefer: EngineKind | undefined;
      let size: ChooseOptions['size'];
      if (options.model) {
        const described = findModel(options.model) ?? (await describeUrl(options.model, options.signal));
        if (typeof described === 'string') {
          return { ok: false, verdict: `${described}.`, rejected: [`wasm: ${described}`], cached: false };
        }
        prefer = described.engine;
        if (described.engine === 'wasm') gguf = described;
        if (described.id.includes('-3B-')) size = '3B';
      }
      const report = await probeCapabilities();
      const cached = await openCache()
        ?.list()
        .then((all) => all.filter((m) => m.complete).map((m) => m.id))
        .catch(() => [] as string[]);
      const known = [...(cached ?? []), ...consentedModels()];
      const choose: ChooseOptions = {
        ...(prefer ? { prefer } : {}),
        ...(size ? { size } : {}),
        ...(gguf ? { ggufModel: gguf } : {}),
        cachedModelIds: known,
      };
      const choice = chooseEngine(report, choose);
      const rejected = choice.rejected.map((r) => `${r.engine} (${r.modelId}): ${r.reason}`);
      if (!choice.model || !choice.engine || (prefer && choice.engine !== prefer)) {
        const mine = choice.rejected.find((r) => r.engine === (prefer ?? 'wasm'));
        return {
          ok: false,
          verdict: mine ? `${mine.modelId} cannot run here: ${mine.reason}.` : choice.reason,
          rejected,
          cached: false,
        };
      }
      return {
        ok: true,
        verdict: `This device can run ${choice.model.label}: ${choice.reason}.`,
        model: choice.model,
        engine: choice.engine,
        rejected,
        // Nothing to download (Chrome's own model) needs no consent prompt for 0 bytes.
        cached: known.includes(choice.model.id) || choice.downloadBytes === 0,
      };
    },
    async load(probe: LocalModelProbe, options: LoadOptions = {}): Promise<LocalEngine> {
      if (!probe.ok || !probe.model || !probe.engine) {
        throw new EngineUnavailableError(`No on-device model can run here: ${probe.verdict}`);
      }
      let kind: EngineKind = probe.engine;
      let model: ModelDescriptor = probe.model;
      if (!current || current.kind !== kind) {
        await current?.engine.unload().catch(() => undefined);
        current = undefined;
        const modelCache = model.url?.startsWith('blob:') ? undefined : openCache();
        try {
          current = { kind, engine: await createEngine(kind, modelCache ? { cache: modelCache } : {}) };
        } catch (error) {
          // The engine's code could not be loaded (e.g. the one-file bundle on a WebGPU page without
          // an import map for web-llm): the WebAssembly engine on the default GGUF still runs.
          if (kind === 'wasm') throw error;
          kind = 'wasm';
          model = DEFAULT_GGUF_MODEL;
          current = { kind, engine: await createEngine(kind, modelCache ? { cache: modelCache } : {}) };
        }
      }
      await current.engine.load(model, options);
      // GGUF files are tracked by the model cache; engines with their own caches (web-llm) by consent.
      if (kind !== 'wasm') rememberConsent(model.id);
      return current.engine;
    },
  };
}
