/**
 * The WebLLM adapter against a fake engine implementing web-llm 0.2.86's MLCEngineInterface (the
 * real Chat/Completions API objects sit on top of it, as in web-llm's own MLCEngine).
 */
import {
  Chat,
  Completions,
  Embeddings,
  type AppConfig,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type Completion,
  type CompletionCreateParams,
  type CreateEmbeddingResponse,
  type InitProgressCallback,
  type MLCEngineConfig,
  type MLCEngineInterface,
  type ResumeProbeResult,
  type ResumeResult,
} from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import {
  DeviceLostError,
  InvalidOutputError,
  NetworkError,
  OutOfMemoryError,
  QuotaExceededError,
  WebGPUUnavailableError,
  ModelNotLoadedError,
  ModelCorruptError,
} from '../errors.ts';
import { webllmVariant, withModelUrls } from './catalog.ts';
import type { LoadProgress } from './types.ts';
import { WebLLMEngine, mapWebLLMError } from './webllm.ts';

type Script = { deltas: string[]; finish?: 'stop' | 'length'; error?: unknown; delayMs?: number };

class FakeMLCEngine implements MLCEngineInterface {
  chat: Chat = new Chat(this);
  completions: Completions = new Completions(this);
  embeddings: Embeddings = new Embeddings(this);
  appConfig: AppConfig | undefined;
  progress: InitProgressCallback | undefined;
  reloads: string[] = [];
  requests: (ChatCompletionRequest | CompletionCreateParams)[] = [];
  scripts: Script[] = [];
  reloadError: unknown;
  interrupted = 0;
  unloaded = 0;
  private interrupt = false;

  constructor(config: MLCEngineConfig) {
    this.appConfig = config.appConfig;
    this.progress = config.initProgressCallback;
  }
  setInitProgressCallback(cb: InitProgressCallback): void {
    this.progress = cb;
  }
  getInitProgressCallback(): InitProgressCallback | undefined {
    return this.progress;
  }
  setAppConfig(appConfig: AppConfig): void {
    this.appConfig = appConfig;
  }
  async reload(modelId: string | string[]): Promise<void> {
    const id = Array.isArray(modelId) ? (modelId[0] ?? '') : modelId;
    if (!this.appConfig?.model_list.some((m) => m.model_id === id))
      throw new Error(`ModelNotFoundError: ${id}`);
    this.reloads.push(id);
    if (this.reloadError) throw this.reloadError;
    this.progress?.({
      progress: 0.5,
      timeElapsed: 1,
      text: 'Fetching param cache[5/10]: 336MB fetched. 50% completed',
    });
    this.progress?.({ progress: 1, timeElapsed: 2, text: 'Loading model from cache[10/10]: 672MB loaded.' });
  }
  private stream(kind: 'chat' | 'text'): AsyncIterable<ChatCompletionChunk> & AsyncIterable<Completion> {
    const script = this.scripts.shift() ?? { deltas: ['ok'] };
    this.interrupt = false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    async function* gen(): AsyncGenerator<ChatCompletionChunk & Completion> {
      let finish: string = script.finish ?? 'stop';
      let n = 0;
      for (const d of script.deltas) {
        if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
        if (self.interrupt) {
          finish = 'abort';
          break;
        }
        n++;
        yield {
          id: 'x',
          object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
          created: 0,
          model: 'm',
          choices: [
            kind === 'chat'
              ? {
                  index: 0,
                  delta: { content: d, role: 'assistant' },
                  finish_reason: null,
                  logprobs: {
                    content: [{ token: d, logprob: -0.1, bytes: null, top_logprobs: [] }],
                    refusal: null,
                  },
                }
              : { index: 0, text: d, finish_reason: null },
          ],
        } as unknown as ChatCompletionChunk & Completion;
      }
      if (script.error) throw script.error;
      yield {
        id: 'x',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [{ index: 0, delta: {}, finish_reason: finish, logprobs: null }],
      } as unknown as ChatCompletionChunk & Completion;
      yield {
        id: 'x',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [],
        usage: {
          prompt_tokens: 12,
          completion_tokens: n,
          total_tokens: 12 + n,
          extra: {
            e2e_latency_s: 1,
            prefill_tokens_per_s: 100,
            decode_tokens_per_s: 42,
            time_to_first_token_s: 0.25,
          },
        },
      } as unknown as ChatCompletionChunk & Completion;
    }
    return gen();
  }
  chatCompletion(request: ChatCompletionRequest): Promise<never> {
    this.requests.push(request);
    return Promise.resolve(this.stream('chat') as never);
  }
  completion(request: CompletionCreateParams): Promise<never> {
    this.requests.push(request);
    return Promise.resolve(this.stream('text') as never);
  }
  async embedding(): Promise<CreateEmbeddingResponse> {
    throw new Error('not used');
  }
  async listResumableSessions(): Promise<ResumeProbeResult[]> {
    return [];
  }
  async resumeChatCompletion(): Promise<ResumeResult> {
    throw new Error('not used');
  }
  async deleteResumableSession(): Promise<void> {}
  async runtimeStatsText(): Promise<string> {
    return '';
  }
  interruptGenerate(): void {
    this.interrupted++;
    this.interrupt = true;
  }
  async unload(): Promise<void> {
    this.unloaded++;
  }
  async resetChat(): Promise<void> {}
  async getMessage(): Promise<string> {
    return '';
  }
  async getMaxStorageBufferBindingSize(): Promise<number> {
    return 1 << 30;
  }
  async getGPUVendor(): Promise<string> {
    return 'fake';
  }
  async forwardTokensAndSample(): Promise<number> {
    return 0;
  }
  setLogLevel(): void {}
}

function setup(shaderF16 = false): { engine: WebLLMEngine; fake: () => FakeMLCEngine } {
  let fake: FakeMLCEngine | undefined;
  const engine = new WebLLMEngine({
    host: (config) => (fake = new FakeMLCEngine(config)),
    shaderF16: async () => shaderF16,
  });
  return {
    engine,
    fake: () => {
      if (!fake) throw new Error('not created');
      return fake;
    },
  };
}

const F16 = webllmVariant('1B', true);

describe('WebLLM adapter (fake MLCEngineInterface)', () => {
  it('swaps q4f16_1 for q4f32_1 without shader-f16 and maps config and progress', async () => {
    const { engine, fake } = setup(false);
    const progress: LoadProgress[] = [];
    await engine.load(F16, { onProgress: (p) => progress.push(p) });
    expect(fake().reloads).toEqual(['Llama-3.2-1B-Instruct-q4f32_1-MLC']);
    expect(engine.model?.id).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    const config = fake().appConfig;
    expect(config?.cacheBackend).toBe('indexeddb');
    expect(config?.model_list[0]).toMatchObject({
      model_id: 'Llama-3.2-1B-Instruct-q4f32_1-MLC',
      model: 'https://huggingface.co/mlc-ai/Llama-3.2-1B-Instruct-q4f32_1-MLC/resolve/main/',
      model_lib: expect.stringMatching(/v0_2_86\/base\/Llama-3\.2-1B-Instruct-q4f32_1_cs1k-webgpu\.wasm$/),
    });
    const download = progress.find((p) => p.phase === 'download');
    expect(download).toMatchObject({ fromCache: false, loadedBytes: Math.round(F16.sizeBytes / 2) });
    expect(progress.find((p) => p.phase === 'cache-read')?.fromCache).toBe(true);
    expect(progress.at(-1)?.phase).toBe('ready');
  });

  it('keeps q4f16_1 with shader-f16, and self-hosted URLs get /resolve/main/', async () => {
    const { engine, fake } = setup(true);
    await engine.load(
      withModelUrls(F16, {
        url: 'https://cdn.example.com/llama',
        libUrl: 'https://cdn.example.com/lib.wasm',
      }),
    );
    expect(fake().appConfig?.model_list[0]).toMatchObject({
      model_id: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      model: 'https://cdn.example.com/llama/resolve/main/',
      model_lib: 'https://cdn.example.com/lib.wasm',
      required_features: ['shader-f16'],
    });
  });

  it('streams chat deltas with usage, timings and logprobs from web-llm', async () => {
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({ deltas: ['Hel', 'lo', '!'] });
    const stream = engine.chat([{ role: 'user', content: 'hi' }], {
      maxTokens: 20,
      stop: ['\n'],
      logprobs: true,
    });
    const deltas: string[] = [];
    for await (const d of stream) deltas.push(d);
    const result = await stream.result;
    expect(deltas.join('')).toBe('Hello!');
    expect(result).toMatchObject({
      text: 'Hello!',
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3 },
      timings: { decodeTokPerSec: 42, ttftMs: 250 },
      model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
    });
    expect(result.logprobs?.map((l) => l.token)).toEqual(['Hel', 'lo', '!']);
    expect(fake().requests[0]).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 20,
      temperature: 0,
      stop: ['\n'],
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('reports length and runs raw completions', async () => {
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({ deltas: ['a', 'b'], finish: 'length' });
    const r = await engine.complete('Dear team,', { maxTokens: 2 }).result;
    expect(r).toMatchObject({ text: 'ab', finishReason: 'length' });
    expect(fake().requests[0]).toMatchObject({ prompt: 'Dear team,', max_tokens: 2 });
  });

  it('asks for json_object with the schema, validates, and retries once', async () => {
    const schema = {
      type: 'object',
      properties: { label: { enum: ['billing', 'bug'] } },
      required: ['label'],
    };
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({ deltas: ['{"label":', '"weather"}'] }, { deltas: ['{"label":"bug"}'] });
    const ok = await engine.chat([{ role: 'user', content: 'classify' }], { jsonSchema: schema }).result;
    expect(JSON.parse(ok.text)).toEqual({ label: 'bug' });
    expect(fake().requests[0]).toMatchObject({
      response_format: { type: 'json_object', schema: JSON.stringify(schema) },
    });
    const retry = fake().requests[1] as ChatCompletionRequest;
    expect(retry.messages.at(-1)?.content).toMatch(/not valid/);

    fake().scripts.push({ deltas: ['nope'] }, { deltas: ['still no'] });
    await expect(
      engine.chat([{ role: 'user', content: 'x' }], { jsonSchema: schema }).result,
    ).rejects.toBeInstanceOf(InvalidOutputError);
  });

  it('abort interrupts generation and keeps the text so far', async () => {
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({ deltas: ['one ', 'two ', 'three ', 'four '], delayMs: 10 });
    const controller = new AbortController();
    const stream = engine.chat([{ role: 'user', content: 'count' }], { signal: controller.signal });
    for await (const d of stream) if (d === 'one ') controller.abort();
    const r = await stream.result;
    expect(r.finishReason).toBe('abort');
    expect(r.text.startsWith('one ')).toBe(true);
    expect(r.text).not.toContain('four');
    expect(fake().interrupted).toBe(1);
    // The engine is usable after.
    fake().scripts.push({ deltas: ['again'] });
    expect((await engine.chat([{ role: 'user', content: 'hi' }]).result).text).toBe('again');
  });

  it('a request aborted while queued resolves as abort without reaching web-llm', async () => {
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({ deltas: ['slow ', 'answer'], delayMs: 10 });
    const first = engine.chat([{ role: 'user', content: 'one' }]);
    const controller = new AbortController();
    const queued = engine.chat([{ role: 'user', content: 'two' }], { signal: controller.signal });
    controller.abort();
    expect(await queued.result).toMatchObject({ text: '', finishReason: 'abort' });
    expect((await first.result).text).toBe('slow answer');
    expect(fake().requests).toHaveLength(1);
  });

  it('reloads the model on next use after the device was lost', async () => {
    const { engine, fake } = setup(true);
    await engine.load(F16);
    fake().scripts.push({
      deltas: ['par'],
      error: 'DeviceLostError: The WebGPU device was lost while loading the model.',
    });
    await expect(engine.chat([{ role: 'user', content: 'hi' }]).result).rejects.toBeInstanceOf(
      DeviceLostError,
    );
    expect(fake().reloads).toHaveLength(1);
    fake().scripts.push({ deltas: ['back'] });
    expect((await engine.chat([{ role: 'user', content: 'hi' }]).result).text).toBe('back');
    expect(fake().reloads).toEqual([
      'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      'Llama-3.2-1B-Instruct-q4f16_1-MLC',
    ]);
  });

  it('maps load failures to typed errors and refuses to generate unloaded', async () => {
    const { engine } = setup(true);
    await expect(engine.chat([{ role: 'user', content: 'hi' }]).result).rejects.toBeInstanceOf(
      ModelNotLoadedError,
    );
    const failing = new WebLLMEngine({
      host: (config) => {
        const f = new FakeMLCEngine(config);
        f.reloadError = new TypeError('Failed to fetch');
        return f;
      },
      shaderF16: async () => true,
    });
    await expect(failing.load(F16)).rejects.toBeInstanceOf(NetworkError);
    expect(failing.model).toBeUndefined();
    const noGpu = new WebLLMEngine({
      host: (c) => new FakeMLCEngine(c),
      shaderF16: async () => Promise.reject(new Error('WebGPUNotFoundError: no')),
    });
    await expect(noGpu.load(F16)).rejects.toBeInstanceOf(WebGPUUnavailableError);
  });

  it('maps worker error strings by prefix', () => {
    expect(mapWebLLMError('DeviceLostError: The WebGPU device was lost')).toBeInstanceOf(DeviceLostError);
    expect(mapWebLLMError('WebGPUNotAvailableError: WebGPU is not supported')).toBeInstanceOf(
      WebGPUUnavailableError,
    );
    expect(mapWebLLMError('ShaderF16SupportError: needs shader-f16')).toBeInstanceOf(WebGPUUnavailableError);
    expect(mapWebLLMError('QuotaExceededError: The quota has been exceeded.')).toBeInstanceOf(
      QuotaExceededError,
    );
    expect(mapWebLLMError('Error: out of memory')).toBeInstanceOf(OutOfMemoryError);
    expect(mapWebLLMError('IntegrityError: Integrity verification failed for x')).toBeInstanceOf(
      ModelCorruptError,
    );
    expect(
      mapWebLLMError({ kind: 'throw', content: 'WorkerEngineModelNotLoadedError: not loaded' }),
    ).toBeInstanceOf(ModelNotLoadedError);
    expect(
      mapWebLLMError(
        'Error: Failed to store https://x/resolve/main/mlc-chat-config.json with error: Error: Network response was not ok',
      ),
    ).toBeInstanceOf(NetworkError);
    expect(mapWebLLMError('ContextWindowSizeExceededError: prompt too long').code).toBe('invalid_input');
    expect(mapWebLLMError('SomethingNewError: ?').code).toBe('engine_unavailable');
  });
});
