/** EngineHost against a LocalEngine test double (the real wasm engine runs in ghost-text.test.ts). */
import { describe, expect, it } from 'vitest';
import { EngineHost } from '../../extension/offscreen/engine-host.ts';
import type {
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LocalEngine,
  ModelDescriptor,
} from '../../src/engines/types.ts';
import { AbortError, ModelCorruptError } from '../../src/errors.ts';

const model = (id: string): ModelDescriptor => ({
  id,
  label: id,
  sizeBytes: 1,
  memoryBytes: 1,
  engine: 'wasm',
  url: `http://x/${id}.gguf`,
});

class EchoEngine implements LocalEngine {
  static created = 0;
  readonly capabilities = {
    kind: 'wasm' as const,
    jsonSchema: false,
    logprobs: false,
    completion: true,
    gpu: false,
  };
  model: ModelDescriptor | undefined;
  loads = 0;
  constructor(
    private readonly failLoad = false,
    private readonly delayMs = 0,
  ) {
    EchoEngine.created += 1;
  }
  async load(m: ModelDescriptor): Promise<void> {
    this.loads += 1;
    if (this.failLoad) throw new ModelCorruptError('bad file');
    this.model = m;
  }
  #stream(text: string, options: GenerateOptions = {}): GenerationStream {
    const result = (async (): Promise<GenerateResult> => {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const aborted = options.signal?.aborted ?? false;
      return {
        text: aborted ? '' : text,
        finishReason: aborted ? 'abort' : 'stop',
        usage: { promptTokens: 1, completionTokens: 1 },
        timings: { ttftMs: 1, totalMs: 1, decodeTokPerSec: 1 },
        model: this.model?.id ?? '',
      };
    })();
    return {
      result,
      async *[Symbol.asyncIterator]() {
        yield (await result).text;
      },
    };
  }
  complete(prefix: string, options?: GenerateOptions): GenerationStream {
    return this.#stream(` after ${prefix}`, options);
  }
  chat(messages: { content: string }[], options?: GenerateOptions): GenerationStream {
    return this.#stream(`re: ${messages.at(-1)?.content ?? ''}`, options);
  }
  async unload(): Promise<void> {
    this.model = undefined;
  }
}

describe('EngineHost (offscreen document)', () => {
  it('loads lazily once and shares the engine across requests', async () => {
    const engines: EchoEngine[] = [];
    const host = new EngineHost(() => (engines.push(new EchoEngine()), engines.at(-1)!), { webgpu: false });
    expect(host.status().state).toBe('idle');
    const [a, b] = await Promise.all([
      host.complete({ id: '1', model: model('m'), prefix: 'a', maxTokens: 4 }),
      host.complete({ id: '2', model: model('m'), prefix: 'b', maxTokens: 4 }),
    ]);
    expect([a.text, b.text]).toEqual([' after a', ' after b']);
    expect(engines).toHaveLength(1);
    expect(host.status()).toMatchObject({ state: 'ready', kind: 'wasm', model: { id: 'm' } });
  });

  it('swaps the engine when the configured model changes', async () => {
    const engines: EchoEngine[] = [];
    const host = new EngineHost(() => (engines.push(new EchoEngine()), engines.at(-1)!), { webgpu: false });
    await host.chat({
      id: '1',
      model: model('m1'),
      messages: [{ role: 'user', content: 'x' }],
      maxTokens: 4,
    });
    const out = await host.chat({
      id: '2',
      model: model('m2'),
      messages: [{ role: 'user', content: 'y' }],
      maxTokens: 4,
    });
    expect(out).toMatchObject({ text: 're: y', model: 'm2' });
    expect(engines).toHaveLength(2);
  });

  it('aborts a request by id, including one still waiting its turn', async () => {
    const host = new EngineHost(() => new EchoEngine(false, 30), { webgpu: false });
    const first = host.complete({ id: 'a', model: model('m'), prefix: 'a', maxTokens: 4 });
    const second = host.complete({ id: 'b', model: model('m'), prefix: 'b', maxTokens: 4 });
    expect(host.cancel('b')).toBe(true);
    await expect(second).rejects.toBeInstanceOf(AbortError);
    await expect(first).resolves.toMatchObject({ text: ' after a' });
  });

  it('reports a failed load and retries with a fresh engine on the next request', async () => {
    let fail = true;
    const host = new EngineHost(() => new EchoEngine(fail), { webgpu: false });
    await expect(
      host.complete({ id: '1', model: model('m'), prefix: 'a', maxTokens: 4 }),
    ).rejects.toBeInstanceOf(ModelCorruptError);
    expect(host.status()).toMatchObject({ state: 'error' });
    fail = false;
    await expect(
      host.complete({ id: '2', model: model('m'), prefix: 'a', maxTokens: 4 }),
    ).resolves.toMatchObject({
      text: ' after a',
    });
  });
});
