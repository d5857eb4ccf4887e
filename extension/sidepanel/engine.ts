/**
 * A LocalEngine for the side panel's `<tier-triage>` that runs on the extension's one shared engine
 * (the offscreen engine host, ADR 0002) instead of loading a second model in the panel. Each
 * generation is one `engine.generate` request on the engine host's port (chat or completion, with
 * the JSON schema passed through so the host's engine constrains decoding); aborting sends `cancel`
 * for that id. When nothing answers on the port (the host was never created, or Chrome closed it),
 * the background's `load` creates the host and loads the model, then the request is sent again.
 * Only handed to the element once the person allowed the model download (settings
 * `model.downloadAllowed`), so it never starts a download on its own.
 */
import type {
  ChatMessage,
  EngineCapabilities,
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LocalEngine,
  ModelDescriptor,
} from '../../src/engines/types.ts';
import { AbortError, EngineUnavailableError } from '../../src/errors.ts';
import { approxTokens } from '../shared/stats.ts';
import { ENGINE_PORT, portClient, request, type Payload, type Results } from '../shared/messaging.ts';

type Port = Pick<ReturnType<typeof portClient>, 'request'>;

export interface HostEngineDeps {
  /** The engine host's port (default: a port client on {@link ENGINE_PORT} that waits 1 s for hello). */
  port?: Port;
  /** Asks the background to create the host and load the model (default: the `load` request). */
  wake?: () => Promise<unknown>;
}

let seq = 0;

export class HostEngine implements LocalEngine {
  readonly capabilities: EngineCapabilities;
  #model: ModelDescriptor;
  readonly #port: Port;
  readonly #wake: () => Promise<unknown>;

  constructor(model: ModelDescriptor, deps: HostEngineDeps = {}) {
    this.#model = model;
    this.#port = deps.port ?? portClient({ portName: ENGINE_PORT, helloTimeoutMs: 1000 });
    this.#wake = deps.wake ?? (() => request('load', {}));
    this.capabilities = {
      kind: model.engine,
      // wllama and WebLLM constrain decoding with the schema; the answer is validated either way.
      jsonSchema: model.engine !== 'chrome-ai',
      logprobs: false,
      completion: true,
      gpu: model.engine === 'webllm',
    };
  }

  get model(): ModelDescriptor {
    return this.#model;
  }

  /** The host loads lazily on the first generation; this only records which model to ask for. */
  async load(model: ModelDescriptor): Promise<void> {
    this.#model = model;
  }

  /** The host owns the model (other tabs use it too): nothing to unload here. */
  async unload(): Promise<void> {}

  chat(messages: ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    return this.#generate({ messages }, options);
  }

  complete(prefix: string, options: GenerateOptions = {}): GenerationStream {
    return this.#generate({ prefix }, options);
  }

  #generate(
    input: { messages: ChatMessage[] } | { prefix: string },
    options: GenerateOptions,
  ): GenerationStream {
    const id = `p${Date.now().toString(36)}-${(++seq).toString(36)}`;
    const payload: Payload<'engine.generate'> = {
      id,
      model: this.#model,
      ...input,
      maxTokens: Math.min(options.maxTokens ?? 256, 2048),
      temperature: options.temperature ?? 0,
      ...(options.stop ? { stop: options.stop.slice(0, 4) } : {}),
      ...(options.jsonSchema ? { jsonSchema: options.jsonSchema } : {}),
    };
    const started = performance.now();
    const { signal } = options;
    const onAbort = () => void this.#port.request('cancel', { id }).catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    const aborted = (): GenerateResult => ({
      text: '',
      finishReason: 'abort',
      usage: { promptTokens: 0, completionTokens: 0 },
      timings: { ttftMs: 0, totalMs: performance.now() - started, decodeTokPerSec: 0 },
      model: this.#model.id,
    });
    const result = (async (): Promise<GenerateResult> => {
      if (signal?.aborted) return aborted();
      let out: Results['engine.generate'];
      try {
        out = await this.#send(payload);
      } catch (error) {
        if (error instanceof AbortError || signal?.aborted) return aborted();
        throw error;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      const totalMs = performance.now() - started;
      // The host does not report token counts: estimate them as the ledger's other on-device entries do.
      const completionTokens = approxTokens(out.text);
      const promptTokens = approxTokens(
        'messages' in input ? input.messages.map((m) => m.content).join('\n') : input.prefix,
      );
      return {
        text: out.text,
        finishReason: out.finishReason,
        usage: { promptTokens, completionTokens },
        timings: {
          ttftMs: totalMs,
          totalMs,
          decodeTokPerSec: out.engineMs > 0 ? completionTokens / (out.engineMs / 1000) : 0,
        },
        model: out.model || this.#model.id,
      };
    })();
    result.catch(() => undefined);
    return {
      result,
      async *[Symbol.asyncIterator]() {
        // The host answers whole: one delta with the full text.
        const done = await result;
        if (done.text) yield done.text;
      },
    };
  }

  async #send(payload: Payload<'engine.generate'>): Promise<Results['engine.generate']> {
    try {
      return await this.#port.request('engine.generate', payload);
    } catch (error) {
      // Nothing answered on the port (no host yet, or its port dropped): create it, then retry once.
      if (!(error instanceof EngineUnavailableError) && !isDropped(error)) throw error;
      await this.#wake();
      return this.#port.request('engine.generate', payload);
    }
  }
}

function isDropped(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'internal';
}
