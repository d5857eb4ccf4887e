/** Chrome's built-in model adapter behind the LocalEngine interface, with a fake `LanguageModel`. */
import { describe, expect, it } from 'vitest';
import {
  EngineUnavailableError,
  InvalidInputError,
  InvalidOutputError,
  ModelNotLoadedError,
} from '../errors.ts';
import { CHROME_AI_MODEL } from './catalog.ts';
import { ChromeAiEngine, type LanguageModelCreateOptions, type LanguageModelStatic } from './chrome-ai.ts';
import type { LoadProgress } from './types.ts';

class FakeLanguageModel implements LanguageModelStatic {
  availabilityValue = 'available';
  replies: (string[] | Error)[] = [];
  creates: LanguageModelCreateOptions[] = [];
  prompts: { input: string; responseConstraint?: object }[] = [];
  delayMs = 0;

  async availability(): Promise<string> {
    return this.availabilityValue;
  }

  async create(options: LanguageModelCreateOptions = {}) {
    this.creates.push(options);
    if (this.availabilityValue === 'downloadable' && options.monitor) {
      const target = new EventTarget();
      options.monitor(target);
      for (const loaded of [0.25, 1])
        target.dispatchEvent(Object.assign(new Event('downloadprogress'), { loaded, total: 1 }));
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    return {
      inputUsage: 17,
      destroy() {},
      promptStreaming(input: string, o: { signal?: AbortSignal; responseConstraint?: object } = {}) {
        fake.prompts.push({
          input,
          ...(o.responseConstraint ? { responseConstraint: o.responseConstraint } : {}),
        });
        const reply = fake.replies.shift() ?? ['ok'];
        return new ReadableStream<string>({
          async start(controller) {
            if (reply instanceof Error) {
              controller.error(reply);
              return;
            }
            for (const chunk of reply) {
              if (fake.delayMs) await new Promise((r) => setTimeout(r, fake.delayMs));
              if (o.signal?.aborted) {
                controller.error(new DOMException('aborted', 'AbortError'));
                return;
              }
              controller.enqueue(chunk);
            }
            controller.close();
          },
        });
      },
    };
  }
}

async function loaded(
  fake = new FakeLanguageModel(),
): Promise<{ engine: ChromeAiEngine; fake: FakeLanguageModel }> {
  const engine = new ChromeAiEngine({ languageModel: fake });
  await engine.load(CHROME_AI_MODEL);
  return { engine, fake };
}

describe('Chrome built-in AI engine (Prompt API)', () => {
  it('is unavailable without the API or when Chrome says so', async () => {
    await expect(new ChromeAiEngine().load(CHROME_AI_MODEL)).rejects.toBeInstanceOf(EngineUnavailableError);
    const fake = new FakeLanguageModel();
    fake.availabilityValue = 'unavailable';
    await expect(new ChromeAiEngine({ languageModel: fake }).load(CHROME_AI_MODEL)).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
    await expect(
      new ChromeAiEngine({ languageModel: fake }).chat([{ role: 'user', content: 'x' }]).result,
    ).rejects.toBeInstanceOf(ModelNotLoadedError);
  });

  it("reports Chrome's download progress when the model is downloadable", async () => {
    const fake = new FakeLanguageModel();
    fake.availabilityValue = 'downloadable';
    const progress: LoadProgress[] = [];
    await new ChromeAiEngine({ languageModel: fake }).load(CHROME_AI_MODEL, {
      onProgress: (p) => progress.push(p),
    });
    expect(progress.filter((p) => p.phase === 'download').map((p) => p.loadedBytes)).toEqual([0.25, 1]);
    expect(progress.at(-1)?.phase).toBe('ready');
  });

  it('streams a chat with history as initial prompts, greedy by default', async () => {
    const { engine, fake } = await loaded();
    fake.replies.push(['Hel', 'lo']);
    const stream = engine.chat([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Again?' },
    ]);
    const deltas: string[] = [];
    for await (const d of stream) deltas.push(d);
    const result = await stream.result;
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(result).toMatchObject({
      text: 'Hello',
      finishReason: 'stop',
      model: 'chrome-built-in',
      usage: { promptTokens: 17 },
    });
    expect(result.logprobs).toBeUndefined();
    const create = fake.creates.at(-1);
    expect(create?.initialPrompts?.map((p) => p.role)).toEqual(['system', 'user', 'assistant']);
    expect(create).toMatchObject({ temperature: 0, topK: 1 });
    expect(fake.prompts.at(-1)?.input).toBe('Again?');
  });

  it('cuts at maxTokens (length) and at stop strings', async () => {
    const { engine, fake } = await loaded();
    fake.replies.push(['a'.repeat(30), 'b'.repeat(30)]);
    const long = await engine.chat([{ role: 'user', content: 'x' }], { maxTokens: 10 }).result;
    expect(long).toMatchObject({ finishReason: 'length', text: 'a'.repeat(30) + 'b'.repeat(10) });
    fake.replies.push(['one. two', '. three.']);
    const stopped = await engine.chat([{ role: 'user', content: 'x' }], { stop: ['. t'] }).result;
    expect(stopped).toMatchObject({ finishReason: 'stop', text: 'one' });
  });

  it('passes the JSON schema as responseConstraint, validates, retries once', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const { engine, fake } = await loaded();
    fake.replies.push(['{"ok":"yes"}'], ['{"ok":true}']);
    const r = await engine.chat([{ role: 'user', content: 'x' }], { jsonSchema: schema }).result;
    expect(JSON.parse(r.text)).toEqual({ ok: true });
    expect(fake.prompts[0]?.responseConstraint).toEqual(schema);
    fake.replies.push(['no'], ['still no']);
    await expect(
      engine.chat([{ role: 'user', content: 'x' }], { jsonSchema: schema }).result,
    ).rejects.toBeInstanceOf(InvalidOutputError);
  });

  it('aborts mid-stream with the text so far, and maps Prompt API errors', async () => {
    const { engine, fake } = await loaded();
    fake.delayMs = 5;
    fake.replies.push(['one ', 'two ', 'three ', 'four ']);
    const controller = new AbortController();
    const stream = engine.chat([{ role: 'user', content: 'count' }], { signal: controller.signal });
    for await (const d of stream) if (d === 'one ') controller.abort();
    const r = await stream.result;
    expect(r.finishReason).toBe('abort');
    expect(r.text).toBe('one ');

    fake.delayMs = 0;
    fake.replies.push(new DOMException('too long', 'QuotaExceededError'));
    await expect(engine.chat([{ role: 'user', content: 'x' }]).result).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    fake.replies.push(['fine']);
    expect((await engine.chat([{ role: 'user', content: 'x' }]).result).text).toBe('fine');
  });

  it('emulates completion by asking for a continuation', async () => {
    const { engine, fake } = await loaded();
    fake.replies.push([' world']);
    expect((await engine.complete('Hello').result).text).toBe(' world');
    expect(fake.creates.at(-1)?.initialPrompts?.[0]?.content).toMatch(/Continue the text/);
    expect(fake.prompts.at(-1)?.input).toBe('Hello');
  });
});
