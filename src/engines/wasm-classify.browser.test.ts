/**
 * Label scoring on the real wasm engine (wllama, llama.cpp in WebAssembly) in Chromium, on generated
 * GGUFs that continue any prompt with a known reply (test/support/gguf.ts): the tiny model's reply
 * "Hello from tiny llama." starts with the token "He", then "ll", "o ", "fr", ...
 *
 * `VITE_CLASSIFY_BENCH=1` also runs the measurement quoted in docs/triage.md (label scoring against
 * free generation of the same answer on a stories15M-shaped model); it asserts nothing about speed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_REPLY, makeLlamaGguf, makeTinyLlamaGguf } from '../../test/support/gguf.ts';
import { AbortError, InvalidInputError, ModelNotLoadedError } from '../errors.ts';
import { LOGPROB_FLOOR, classifyMessages } from './wasm-classify.ts';
import { createWasmEngine } from './wasm.ts';
import type { LabelScores, ModelDescriptor } from './types.ts';

const urls: string[] = [];
function blobModel(bytes: Uint8Array, id: string): ModelDescriptor {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  urls.push(url);
  return { id, label: id, sizeBytes: bytes.byteLength, memoryBytes: 0, engine: 'wasm', url };
}
afterAll(() => urls.forEach((u) => URL.revokeObjectURL(u)));

const TICKET = 'My card has not arrived yet, it has been two weeks. Where is it?';

function expectWellFormed(result: LabelScores, labels: readonly string[]): void {
  expect(result.scores.map((s) => s.label).sort()).toEqual([...labels].sort());
  expect(result.scores[0]!.label).toBe(result.label);
  for (let i = 1; i < result.scores.length; i++) {
    expect(result.scores[i]!.logprob).toBeLessThanOrEqual(result.scores[i - 1]!.logprob);
  }
  for (const s of result.scores) {
    expect(Number.isFinite(s.logprob)).toBe(true);
    expect(s.logprob).toBeGreaterThanOrEqual(LOGPROB_FLOOR);
    expect(s.logprob).toBeLessThanOrEqual(0);
  }
  // the masses are a distribution over the labels (the engine's float32 rounding aside)
  const total = result.scores.reduce((sum, s) => sum + Math.exp(s.logprob), 0);
  expect(total).toBeGreaterThan(0.99);
  expect(total).toBeLessThan(1.01);
}

describe('wasm engine label scoring on a generated tiny llama', () => {
  const engine = createWasmEngine({ contextSize: 1024 });

  it('refuses to classify before a model is loaded', async () => {
    await expect(engine.classify!(TICKET, ['a', 'b'])).rejects.toBeInstanceOf(ModelNotLoadedError);
  });

  it('picks the label that starts with the reply the model would give, and scores every label', async () => {
    await engine.load(blobModel(makeTinyLlamaGguf(), 'tiny'));
    const labels = ['billing', 'shipping', 'Hello from tiny llama.', 'Hardware', 'refund'];
    const result = await engine.classify!(TICKET, labels);
    expect(result.label).toBe('Hello from tiny llama.');
    expectWellFormed(result, labels);
    // the model puts logit 16 on "He" and 0 on everything else: near-certain
    expect(result.scores[0]!.logprob).toBeGreaterThan(-0.001);
    expect(result.scores[1]!.logprob).toBeLessThan(-10);
    expect(result.timings.promptTokens).toBeGreaterThan(TICKET.length);
    expect(result.timings.totalMs).toBeGreaterThan(0);
  });

  it('follows the model through labels that share their first tokens', async () => {
    // all start with the token "He"; "Hello" and "Hello there" also share "ll"; "Hello" is a prefix
    const labels = ['Help', 'Hello', 'Hello there', 'Hexagon', TINY_REPLY];
    const result = await engine.classify!(TICKET, labels);
    expect(result.label).toBe(TINY_REPLY);
    expectWellFormed(result, labels);
    expect(result.scores[0]!.logprob).toBeGreaterThan(-0.001);
    // the same answer whatever the order of the labels
    const reversed = await engine.classify!(TICKET, [...labels].reverse());
    expect(reversed.label).toBe(TINY_REPLY);
  });

  it('handles a BANKING77-sized label set (77 labels, many shared prefixes)', async () => {
    const topics = ['card', 'transfer', 'top_up', 'exchange', 'pin', 'refund', 'cash', 'account'];
    const labels: string[] = [];
    for (let i = 0; labels.length < 76; i++) labels.push(`${topics[i % topics.length]}_${i}`);
    labels.splice(40, 0, TINY_REPLY);
    const result = await engine.classify!(TICKET, labels);
    expect(result.label).toBe(TINY_REPLY);
    expect(result.scores).toHaveLength(77);
    expectWellFormed(result, labels);
  });

  it('takes labels with quotes, backslashes, new lines and non-ASCII text (the grammar escapes them)', async () => {
    const labels = ['say "hi"', 'back\\slash', 'two\nlines', 'ünïcödé ✓', TINY_REPLY];
    const result = await engine.classify!(TICKET, labels);
    expect(result.label).toBe(TINY_REPLY);
    expectWellFormed(result, labels);
  });

  it('uses the caller instruction before the text', async () => {
    const labels = ['refund', TINY_REPLY];
    const plain = await engine.classify!(TICKET, labels);
    const instruction = 'You route support tickets for a bank. Pick the team that should answer.';
    const custom = await engine.classify!(TICKET, labels, { instruction });
    expect(custom.label).toBe(TINY_REPLY);
    const extra = classifyMessages(TICKET, labels, instruction)[0]!.content.length;
    const base = classifyMessages(TICKET, labels)[0]!.content.length;
    // the tiny vocabulary is byte-level: one token per character of the system message
    expect(custom.timings.promptTokens - plain.timings.promptTokens).toBe(extra - base);
  });

  it('rejects an empty label list, repeated or empty labels and empty text with InvalidInputError', async () => {
    await expect(engine.classify!(TICKET, [])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(engine.classify!(TICKET, ['refund', 'billing', 'refund'])).rejects.toMatchObject({
      code: 'invalid_input',
      data: { label: 'refund' },
    });
    await expect(engine.classify!(TICKET, ['refund', ''])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(engine.classify!('   ', ['refund', 'billing'])).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('answers a single label without running the model', async () => {
    const result = await engine.classify!(TICKET, ['refund']);
    expect(result).toMatchObject({ label: 'refund', scores: [{ label: 'refund', logprob: 0 }] });
    expect(result.timings.promptTokens).toBe(0);
  });

  it('aborts (before and while running) and stays usable', async () => {
    const labels = ['Help', 'Hello there', TINY_REPLY];
    const done = new AbortController();
    done.abort();
    await expect(engine.classify!(TICKET, labels, { signal: done.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
    // aborted while the engine's lock is busy with a generation: it never runs
    const later = new AbortController();
    const busy = engine.chat([{ role: 'user', content: 'Say hi' }]).result;
    const pending = engine.classify!(TICKET, labels, { signal: later.signal });
    later.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect((await busy).text).toBe(TINY_REPLY);
    expect((await engine.classify!(TICKET, labels)).label).toBe(TINY_REPLY);
  });
});

const bench = (import.meta.env as Record<string, string | undefined>)['VITE_CLASSIFY_BENCH'] === '1';

describe.runIf(bench)('label scoring vs free generation (stories15M shape, measurement)', () => {
  it('prints medians', { timeout: 600_000 }, async () => {
    const reply = 'card_arrival';
    const engine = createWasmEngine({ contextSize: 2048 });
    const bytes = makeLlamaGguf({
      dim: 288,
      layers: 6,
      heads: 6,
      ff: 768,
      vocab: 32000,
      type: 'q8_0',
      reply,
    });
    await engine.load(blobModel(bytes, 'stories15M-shape'));
    const topics = ['card', 'transfer', 'top_up', 'exchange', 'pin', 'refund', 'cash', 'account'];
    const many: string[] = [reply];
    for (let i = 0; many.length < 77; i++) many.push(`${topics[i % topics.length]}_${i}`);
    const few = ['refund', 'delivery', reply, 'exchange_rate', 'pin_blocked'];
    const ticket = `${TICKET} I ordered it on the app and paid the express fee, still nothing in the mail.`;
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const lines: string[] = [];
    for (const [name, labels] of [
      ['5 labels', few],
      ['77 labels', many],
    ] as const) {
      const cold = { score: [] as number[], generate: [] as number[] };
      const warm = { score: [] as number[], generate: [] as number[] };
      let promptTokens = 0;
      const score = async (instruction: string): Promise<number> => {
        const t0 = performance.now();
        const scored = await engine.classify!(ticket, labels, { instruction });
        expect(scored.label).toBe(reply);
        promptTokens = scored.timings.promptTokens;
        return performance.now() - t0;
      };
      const generate = async (instruction: string): Promise<number> => {
        const t0 = performance.now();
        const messages = classifyMessages(ticket, labels, instruction);
        const free = await engine.chat(messages, { maxTokens: 16, temperature: 0 }).result;
        expect(free.text).toBe(reply);
        return performance.now() - t0;
      };
      for (let run = 0; run < 4; run++) {
        // cold: a new instruction for each path, so neither reuses a prompt from the KV cache
        const instruction = `Run ${run} ${name}. Classify the ticket. Answer with one label only.`;
        const c = [await score(`A ${instruction}`), await generate(`B ${instruction}`)] as const;
        // warm: the same prompt already evaluated (one token generated first), alternating the order
        await engine.chat(classifyMessages(ticket, labels, `W ${instruction}`), { maxTokens: 1 }).result;
        const again = `W ${instruction}`;
        const w: [number, number] = [0, 0];
        if (run % 2 === 0) {
          w[0] = await score(again);
          w[1] = await generate(again);
        } else {
          w[1] = await generate(again);
          w[0] = await score(again);
        }
        if (run === 0) continue; // warm-up
        cold.score.push(c[0]);
        cold.generate.push(c[1]);
        warm.score.push(w[0]);
        warm.generate.push(w[1]);
      }
      const ms = (xs: number[]): string => `${median(xs).toFixed(0)} ms`;
      lines.push(
        `${name} (prompt ${promptTokens} tokens): cold prompt: label scoring ${ms(cold.score)}, free generation ${ms(cold.generate)}; prompt already evaluated: label scoring ${ms(warm.score)}, free generation ${ms(warm.generate)} (medians of 3, 1 thread)`,
      );
    }
    console.log(lines.join('\n'));
    await engine.unload();
  });
});
