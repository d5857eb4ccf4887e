/**
 * The real wasm engine (wllama, llama.cpp in WebAssembly) in Chromium on generated tiny Llama GGUFs
 * whose greedy continuation is known (see test/support/gguf.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_REPLY, makeTinyLlamaGguf } from '../../test/support/gguf.ts';
import {
  AbortError,
  InvalidInputError,
  InvalidOutputError,
  ModelCorruptError,
  ModelNotLoadedError,
} from '../errors.ts';
import { createEngine } from './index.ts';
import { createWasmEngine } from './wasm.ts';
import type { LoadProgress, LocalEngine, ModelDescriptor } from './types.ts';

const urls: string[] = [];
function blobModel(bytes: Uint8Array, id = 'tiny'): ModelDescriptor {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  urls.push(url);
  return { id, label: id, sizeBytes: bytes.byteLength, memoryBytes: 0, engine: 'wasm', url };
}
afterAll(() => urls.forEach((u) => URL.revokeObjectURL(u)));

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of stream) out.push(d);
  return out;
}

describe('wasm engine on a generated tiny llama', () => {
  const engine: LocalEngine = createWasmEngine();

  it('refuses to generate before a model is loaded', async () => {
    await expect(engine.chat([{ role: 'user', content: 'hi' }]).result).rejects.toBeInstanceOf(
      ModelNotLoadedError,
    );
  });

  it('loads with byte-level progress and streams the known reply', async () => {
    const bytes = makeTinyLlamaGguf();
    const progress: LoadProgress[] = [];
    await engine.load(blobModel(bytes), { onProgress: (p) => progress.push(p) });
    expect(engine.model?.id).toBe('tiny');
    const phases = progress.map((p) => p.phase);
    expect(phases[0]).toBe('probe');
    expect(phases.at(-1)).toBe('ready');
    expect(phases).toContain('download');
    expect(progress.filter((p) => p.phase === 'download').at(-1)?.loadedBytes).toBe(bytes.byteLength);

    const stream = engine.chat([{ role: 'user', content: 'Say hi' }]);
    const deltas = await collect(stream);
    const result = await stream.result;
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(TINY_REPLY);
    expect(result.text).toBe(TINY_REPLY);
    expect(result.finishReason).toBe('stop');
    expect(result.model).toBe('tiny');
    expect(result.usage.completionTokens).toBeGreaterThan(1);
    expect(result.timings.ttftMs).toBeGreaterThan(0);
    expect(result.timings.decodeTokPerSec).toBeGreaterThan(0);
  });

  it('applies the Llama-3 chat template from the GGUF (BOS once, headers, eot)', async () => {
    const user = 'Say hi';
    const result = await engine.chat([{ role: 'user', content: user }]).result;
    // <|begin_of_text|> <|start_header_id|> user <|end_header_id|> \n\n Say hi <|eot_id|>
    // <|start_header_id|> assistant <|end_header_id|> \n\n   (byte tokens for plain text)
    const expected = 1 + (1 + 'user'.length + 1 + 2 + user.length + 1) + (1 + 'assistant'.length + 1 + 2);
    expect(result.usage.promptTokens).toBe(expected);
    const withSystem = await engine.chat([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: user },
    ]).result;
    expect(withSystem.usage.promptTokens).toBe(
      expected + 1 + 'system'.length + 1 + 2 + 'Be brief.'.length + 1,
    );
  });

  it('raw completion continues any prefix with the reply', async () => {
    const result = await engine.complete('Once upon a time', { maxTokens: 64 }).result;
    expect(result.text).toBe(TINY_REPLY);
    expect(result.finishReason).toBe('stop');
    const withLogprobs = await engine.complete('Once', { logprobs: true }).result;
    expect(withLogprobs.logprobs?.map((l) => l.token).join('')).toBe(TINY_REPLY);
  });

  it('tells stop from length, and cuts at stop strings without leaking them', async () => {
    const short = await engine.chat([{ role: 'user', content: 'hi' }], { maxTokens: 3 }).result;
    expect(short.finishReason).toBe('length');
    expect(TINY_REPLY.startsWith(short.text)).toBe(true);
    expect(short.text.length).toBeLessThan(TINY_REPLY.length);

    const stream = engine.chat([{ role: 'user', content: 'hi' }], { stop: ['tiny'] });
    const deltas = await collect(stream);
    const cut = await stream.result;
    expect(cut.text).toBe('Hello from ');
    expect(deltas.join('')).toBe('Hello from ');
    expect(cut.finishReason).toBe('stop');
  });

  it('returns logprobs for the chosen tokens', async () => {
    const result = await engine.chat([{ role: 'user', content: 'hi' }], { logprobs: true }).result;
    expect(result.logprobs?.map((l) => l.token).join('')).toBe(TINY_REPLY);
    for (const l of result.logprobs ?? []) expect(l.logprob).toBeGreaterThan(-0.01);
  });

  it('a stream nobody reads does not block the next request', async () => {
    engine.chat([{ role: 'user', content: 'ignored' }]);
    const next = await engine.chat([{ role: 'user', content: 'hi' }]).result;
    expect(next.text).toBe(TINY_REPLY);
  });

  it('aborts mid-stream, keeps the text so far, and is reusable after', async () => {
    const looping = createWasmEngine();
    await looping.load(blobModel(makeTinyLlamaGguf({ reply: 'again and ', loop: true }), 'loop'));
    const controller = new AbortController();
    const stream = looping.chat([{ role: 'user', content: 'go' }], {
      maxTokens: 100_000,
      signal: controller.signal,
    });
    const seen: string[] = [];
    for await (const d of stream) {
      seen.push(d);
      if (seen.length === 5) controller.abort();
    }
    const aborted = await stream.result;
    expect(aborted.finishReason).toBe('abort');
    expect(aborted.text.startsWith('again and ')).toBe(true);
    expect(aborted.usage.completionTokens).toBeLessThan(1000);

    const after = await looping.chat([{ role: 'user', content: 'go' }], { maxTokens: 5 }).result;
    expect(after.finishReason).toBe('length');
    expect(after.text).toBe('again and ');
    await looping.unload();
  });

  it('returns schema-valid JSON (constrained decoding), and a typed error when it cannot fit', async () => {
    const schema = {
      type: 'object',
      properties: { label: { type: 'string', enum: ['billing', 'bug'] } },
      required: ['label'],
      additionalProperties: false,
    };
    const json = createWasmEngine();
    await json.load(blobModel(makeTinyLlamaGguf({ reply: '{"label":"billing"}' }), 'json'));
    const stream = json.chat([{ role: 'user', content: 'classify: I was charged twice' }], {
      jsonSchema: schema,
    });
    const deltas = await collect(stream);
    const ok = await stream.result;
    expect(JSON.parse(ok.text)).toEqual({ label: 'billing' });
    expect(deltas.join('')).toBe(ok.text);
    const raw = await json.complete('Label: ', { jsonSchema: schema }).result;
    expect(JSON.parse(raw.text)).toEqual({ label: 'billing' });
    await json.unload();

    // The model "wants" a label outside the enum; the schema grammar keeps the answer valid.
    const wrong = createWasmEngine();
    await wrong.load(blobModel(makeTinyLlamaGguf({ reply: '{"label":"weather"}' }), 'wrong'));
    const forced = await wrong.chat([{ role: 'user', content: 'classify' }], { jsonSchema: schema }).result;
    expect(['billing', 'bug']).toContain((JSON.parse(forced.text) as { label: string }).label);
    // Too few tokens for any valid answer: one retry, then a typed error.
    await expect(
      wrong.chat([{ role: 'user', content: 'classify' }], { jsonSchema: schema, maxTokens: 3 }).result,
    ).rejects.toBeInstanceOf(InvalidOutputError);
    await wrong.unload();
  });

  it('a corrupt model fails with ModelCorruptError and the engine works after', async () => {
    const good = makeTinyLlamaGguf();
    const fresh = createWasmEngine();
    await expect(fresh.load(blobModel(good.slice(0, good.byteLength >> 1), 'half'))).rejects.toBeInstanceOf(
      ModelCorruptError,
    );
    await expect(
      fresh.load(blobModel(new TextEncoder().encode('<html>not a model</html>'), 'html')),
    ).rejects.toBeInstanceOf(ModelCorruptError);
    expect(fresh.model).toBeUndefined();
    await fresh.load(blobModel(good, 'good'));
    expect((await fresh.chat([{ role: 'user', content: 'hi' }]).result).text).toBe(TINY_REPLY);
    await fresh.unload();
  });

  it('a prompt longer than the context window is a typed input error', async () => {
    const small = createWasmEngine({ contextSize: 64 });
    await small.load(blobModel(makeTinyLlamaGguf(), 'small-ctx'));
    await expect(small.chat([{ role: 'user', content: 'x'.repeat(500) }]).result).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect((await small.chat([{ role: 'user', content: 'hi' }], { maxTokens: 16 }).result).text).toBe(
      TINY_REPLY,
    );
    await small.unload();
  });

  it('aborting a load leaves the engine unloaded and usable', async () => {
    const fresh = createWasmEngine();
    const controller = new AbortController();
    controller.abort();
    await expect(
      fresh.load(blobModel(makeTinyLlamaGguf(), 'aborted'), { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(fresh.model).toBeUndefined();
    const late = new AbortController();
    await expect(
      fresh.load(blobModel(makeTinyLlamaGguf(), 'late'), {
        signal: late.signal,
        onProgress: (p) => {
          if (p.phase === 'compile') late.abort();
        },
      }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(fresh.model).toBeUndefined();
    await fresh.load(blobModel(makeTinyLlamaGguf(), 'after'));
    expect((await fresh.chat([{ role: 'user', content: 'hi' }]).result).text).toBe(TINY_REPLY);
    await fresh.unload();
  });

  it('is reachable through the lazy createEngine() of the engines index', async () => {
    const lazy = await createEngine('wasm');
    expect(lazy.capabilities).toMatchObject({ kind: 'wasm', gpu: false, jsonSchema: true });
    await lazy.load(blobModel(makeTinyLlamaGguf({ reply: 'lazy ok' }), 'lazy'));
    expect((await lazy.complete('x').result).text).toBe('lazy ok');
    await lazy.unload();
  });
});
