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

describe('wasm engine: where the layers run, prompt reuse and measured speed', () => {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  // 300 ASCII characters: 300 byte tokens on the generated vocabulary.
  const prefix = 'The quick brown fox jumps over the lazy dog; '.repeat(7).slice(0, 300);

  it('with the SwiftShader adapter present, reports what llama.cpp did: every layer on the CPU, and why', async () => {
    const gpu = (navigator as Navigator & { gpu?: unknown }).gpu;
    expect(gpu).toBeDefined(); // the adapter exists; the backend still refuses it
    for (const mode of ['auto', 'on'] as const) {
      const engine = createWasmEngine({ gpu: mode });
      await engine.load(blobModel(makeTinyLlamaGguf(), `placement-${mode}`));
      const placement = engine.placement;
      expect(placement?.device, mode).toBe('cpu');
      expect(placement?.gpuLayers, mode).toBe(0);
      expect(placement?.totalLayers, mode).toBeGreaterThan(0);
      expect(placement?.note, mode).toMatch(/^CPU, \d+ threads?: /);
      expect(placement?.note, mode).toMatch(
        /the WebGPU adapter \(SwiftShader, a software fallback\) lacks shader-f16, which llama\.cpp's WebGPU backend needs/,
      );
      expect(engine.capabilities.gpu).toBe(false);
      // Asked for every layer ('on'), llama.cpp still computes correctly on the CPU.
      expect((await engine.complete('x').result).text).toBe(TINY_REPLY);
      await engine.unload();
      expect(engine.placement).toBeUndefined();
    }
  });

  it("llama.cpp's WebGPU backend gates on shader-f16 alone: an adapter claiming it gets a device request", async () => {
    // Checked against the real backend: the worker's adapter is made to claim shader-f16. The backend then
    // requests a device with it, Chromium refuses (SwiftShader has none), the wasm aborts, and the engine
    // reloads on the CPU and says what failed.
    const RealWorker = globalThis.Worker;
    const spoof = `(() => { const ra = GPU.prototype.requestAdapter; GPU.prototype.requestAdapter = async function (o) {
      const a = await ra.call(this, o); if (!a) return a; const f = a.features;
      Object.defineProperty(a, 'features', { value: { has: (n) => n === 'shader-f16' || f.has(n), forEach: (c) => f.forEach(c), [Symbol.iterator]: () => f[Symbol.iterator](), size: f.size } });
      return a; }; })();`;
    globalThis.Worker = class extends RealWorker {
      constructor(url: string | URL, options?: WorkerOptions) {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', String(url), false); // a blob: URL, read synchronously to prepend the spoof
        xhr.send();
        super(
          URL.createObjectURL(new Blob([`${spoof}\n${xhr.responseText}`], { type: 'text/javascript' })),
          options,
        );
      }
    };
    const engine = createWasmEngine({ gpu: 'on' });
    try {
      await engine.load(blobModel(makeTinyLlamaGguf(), 'spoofed-f16'));
    } finally {
      globalThis.Worker = RealWorker;
    }
    expect(engine.placement?.device).toBe('cpu');
    expect(engine.placement?.note).toMatch(
      /llama\.cpp's WebGPU backend failed \(Failed to get a device: .*requestDevice.*Unsupported feature: shader-f16\)/,
    );
    expect((await engine.complete('x').result).text).toBe(TINY_REPLY);
    await engine.unload();
  });

  it('says when the page is not cross-origin isolated (one thread), and what llama.cpp runs with', async () => {
    const engine = createWasmEngine();
    await engine.load(blobModel(makeTinyLlamaGguf(), 'threads'));
    if (isolated) {
      expect(engine.placement?.threads).toBeGreaterThanOrEqual(2);
      expect(engine.placement?.note).not.toMatch(/isolated/);
    } else {
      expect(engine.placement?.threads).toBe(1);
      expect(engine.placement?.note).toMatch(/^CPU, 1 thread: this page is not cross-origin isolated/);
    }
    expect(engine.threads).toBe(engine.placement?.threads);
    await engine.unload();
  });

  it("gpu: 'off' keeps the CPU and says so", async () => {
    const engine = createWasmEngine({ gpu: 'off' });
    await engine.load(blobModel(makeTinyLlamaGguf(), 'off'));
    expect(engine.placement?.device).toBe('cpu');
    expect(engine.placement?.note).toMatch(/GGUF on WebGPU is turned off/);
    await engine.unload();
  });

  it('a prefix that extends the previous one reuses its KV cache: only the new tokens are evaluated', async () => {
    const engine = createWasmEngine();
    await engine.load(blobModel(makeTinyLlamaGguf({ reply: 'again and ', loop: true }), 'reuse'));
    const cold = await engine.complete(prefix, { maxTokens: 4 }).result;
    expect(cold.timings.cachedTokens).toBe(0);
    expect(cold.usage.promptTokens).toBeGreaterThanOrEqual(300);
    expect(cold.timings.prefillTokPerSec).toBeGreaterThan(0);

    const warm = await engine.complete(`${prefix}abcd`, { maxTokens: 4 }).result;
    expect(warm.finishReason).toBe('length');
    expect('again and again'.startsWith(warm.text)).toBe(true);
    expect(warm.timings.cachedTokens).toBeGreaterThanOrEqual(290);
    expect(warm.usage.promptTokens).toBe(cold.usage.promptTokens + 4);
    // Evaluated: the 4 typed characters (plus at most the token llama.cpp re-evaluates for logits).
    expect(warm.usage.promptTokens - (warm.timings.cachedTokens ?? 0)).toBeLessThanOrEqual(5);

    // A generation aborted in flight leaves the engine usable, and the cache still warm.
    const controller = new AbortController();
    const stream = engine.complete(`${prefix}abcdefgh`, { maxTokens: 100_000, signal: controller.signal });
    let seen = 0;
    for await (const d of stream) if (d && ++seen === 3) controller.abort();
    expect((await stream.result).finishReason).toBe('abort');
    const next = await engine.complete(`${prefix}abcdefghij`, { maxTokens: 4 }).result;
    expect(next.finishReason).toBe('length');
    expect('again and again'.startsWith(next.text)).toBe(true);
    expect(next.timings.cachedTokens).toBeGreaterThanOrEqual(300);
    expect(next.usage.promptTokens - (next.timings.cachedTokens ?? 0)).toBeLessThanOrEqual(5);
    await engine.unload();
  });

  it('speed: running medians of the generations on the loaded model, reset on load', async () => {
    const engine = createWasmEngine();
    await engine.load(blobModel(makeTinyLlamaGguf({ reply: 'again and ', loop: true }), 'speed'));
    expect(engine.speed).toBeUndefined();
    for (let i = 0; i < 3; i++) await engine.complete(`${prefix.slice(i)} run ${i}`, { maxTokens: 8 }).result;
    const speed = engine.speed;
    expect(speed?.samples).toBe(3);
    expect(speed?.prefillTokPerSec).toBeGreaterThan(0);
    expect(speed?.decodeTokPerSec).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) await engine.complete(`${i} ${prefix}`, { maxTokens: 2 }).result;
    expect(engine.speed?.samples).toBe(8);
    await engine.load(blobModel(makeTinyLlamaGguf(), 'speed-2'));
    expect(engine.speed).toBeUndefined();
    await engine.unload();
  });

  it('ignoreEos keeps decoding past the end of the reply up to maxTokens', async () => {
    const engine = createWasmEngine();
    await engine.load(blobModel(makeTinyLlamaGguf(), 'eos'));
    const stops = await engine.complete('x', { maxTokens: 40 }).result;
    expect(stops.finishReason).toBe('stop');
    const goes = await engine.complete('x', { maxTokens: 40, ignoreEos: true }).result;
    expect(goes.usage.completionTokens).toBe(40);
    expect(goes.finishReason).toBe('length');
    await engine.unload();
  });
});
