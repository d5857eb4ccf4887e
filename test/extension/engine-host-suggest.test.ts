/**
 * EngineHost.suggest (the ghost-text latency path) against a streaming LocalEngine double: the
 * prompt window that stays put while typing, its size from the measured prefill speed, a newer
 * suggestion aborting the one in flight, and the text streaming back. The real wasm engine runs the
 * same path in ghost-text.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { EngineHost } from '../../extension/offscreen/engine-host.ts';
import { MAX_PREFIX_CHARS, MIN_PREFIX_CHARS } from '../../src/autocomplete/prefix-window.ts';
import { createGenerationStream } from '../../src/engines/stream.ts';
import type {
  EngineSpeed,
  GenerateOptions,
  GenerationStream,
  LocalEngine,
  ModelDescriptor,
} from '../../src/engines/types.ts';
import { AbortError } from '../../src/errors.ts';

const MODEL: ModelDescriptor = {
  id: 'm',
  label: 'm',
  sizeBytes: 1,
  memoryBytes: 1,
  engine: 'wasm',
  url: 'http://x/m.gguf',
};

/** Emits `words` one every `delayMs`, honours the abort signal, remembers every prompt. */
class WordEngine implements LocalEngine {
  readonly capabilities = {
    kind: 'wasm' as const,
    jsonSchema: false,
    logprobs: false,
    completion: true,
    gpu: false,
  };
  model: ModelDescriptor | undefined;
  speed: EngineSpeed | undefined;
  readonly prompts: string[] = [];
  finished: string[] = [];
  constructor(
    private readonly words: string[],
    private readonly delayMs: number,
  ) {}
  async load(m: ModelDescriptor): Promise<void> {
    this.model = m;
  }
  complete(prefix: string, options: GenerateOptions = {}): GenerationStream {
    this.prompts.push(prefix);
    return createGenerationStream(async (emit) => {
      let text = '';
      const limit = options.maxTokens ?? Infinity;
      for (const word of this.words.slice(0, limit)) {
        await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        if (options.signal?.aborted) break;
        text += word;
        emit(word);
      }
      const finishReason = options.signal?.aborted ? 'abort' : this.words.length > limit ? 'length' : 'stop';
      this.finished.push(finishReason);
      return {
        text,
        finishReason,
        usage: { promptTokens: prefix.length, completionTokens: this.words.length },
        timings: { ttftMs: 1, totalMs: 1, decodeTokPerSec: 1 },
        model: 'm',
      };
    });
  }
  chat(): GenerationStream {
    return this.complete('');
  }
  async unload(): Promise<void> {}
}

function host(engine: WordEngine): EngineHost {
  return new EngineHost(() => engine, { webgpu: false });
}

const prose = (n: number) => 'Some words go here. '.repeat(Math.ceil(n / 20)).slice(0, n);

describe('EngineHost.suggest', () => {
  it('streams the text so far, then answers with the whole and the window it used', async () => {
    const engine = new WordEngine([' one', ' two', ' three'], 5);
    const partials: string[] = [];
    const out = await host(engine).suggest({
      id: 'a',
      model: MODEL,
      before: 'Hello',
      maxTokens: 16,
      onPartial: (t) => partials.push(t),
    });
    expect(partials).toEqual([' one', ' one two', ' one two three']);
    expect(out.text).toBe(' one two three');
    expect(out.prefixChars).toBe(5);
  });

  it('cut off by the token limit, the answer keeps whole words only', async () => {
    const engine = new WordEngine([' alpha', ' be', 'ta', ' gam', 'ma'], 0);
    const out = await host(engine).suggest({ id: 'l', model: MODEL, before: 'Hi', maxTokens: 4 });
    expect(out.finishReason).toBe('length');
    expect(out.text).toBe(' alpha beta');
  });

  it('successive keystrokes send prompts that extend the previous one (the engine can reuse its cache)', async () => {
    const engine = new WordEngine([' x'], 0);
    engine.speed = { prefillTokPerSec: 300, decodeTokPerSec: 10, samples: 3 }; // -> 1,024 chars
    const h = host(engine);
    const text = prose(6000);
    for (let caret = 4000; caret < 4040; caret += 1)
      await h.suggest({ id: `k${caret}`, model: MODEL, before: text.slice(0, caret), maxTokens: 4 });
    for (let i = 1; i < engine.prompts.length; i += 1) {
      expect(engine.prompts[i]!.startsWith(engine.prompts[i - 1]!)).toBe(true);
      expect(engine.prompts[i]!.length).toBeLessThanOrEqual(1024);
    }
    expect(engine.prompts[0]!.length).toBeGreaterThan(600);
  });

  it('sizes the window from the measured prefill speed, within its floor and ceiling', async () => {
    const engine = new WordEngine([' x'], 0);
    const h = host(engine);
    const before = prose(10_000);
    engine.speed = { prefillTokPerSec: 20, decodeTokPerSec: 5, samples: 3 };
    const slow = await h.suggest({ id: 's', model: MODEL, before, maxTokens: 4 });
    expect(slow.maxPrefixChars).toBe(MIN_PREFIX_CHARS);
    expect(slow.prefixChars).toBeLessThanOrEqual(MIN_PREFIX_CHARS);
    engine.speed = { prefillTokPerSec: 5000, decodeTokPerSec: 50, samples: 9 };
    const fast = await h.suggest({ id: 'f', model: MODEL, before, maxTokens: 4 });
    expect(fast.maxPrefixChars).toBe(MAX_PREFIX_CHARS);
    expect(fast.prefixChars).toBeGreaterThan(MAX_PREFIX_CHARS / 2);
    expect(fast.prefixChars).toBeLessThanOrEqual(MAX_PREFIX_CHARS);
  });

  it('a newer suggestion aborts the one in flight, and the engine takes the new one at once', async () => {
    const engine = new WordEngine(
      Array.from({ length: 50 }, (_, i) => ` w${i}`),
      20,
    );
    const h = host(engine);
    const first = h.suggest({ id: 'one', model: MODEL, before: 'Hello', maxTokens: 64 });
    await new Promise((resolve) => setTimeout(resolve, 70));
    const started = performance.now();
    const second = h.suggest({ id: 'two', model: MODEL, before: 'Hello there', maxTokens: 64 });
    await expect(first).rejects.toBeInstanceOf(AbortError);
    // Freed within one engine step (20 ms), not after the 50 words (1 s) the first would take.
    expect(performance.now() - started).toBeLessThan(200);
    expect(engine.finished[0]).toBe('abort');
    expect((await second).text.startsWith(' w0 w1')).toBe(true);
    expect(h.status().aborted).toBe(1);
  });

  it('abandon(ids) aborts only those still running or queued (a tab went away)', async () => {
    const engine = new WordEngine(
      Array.from({ length: 50 }, (_, i) => ` w${i}`),
      20,
    );
    const h = host(engine);
    const run = h.suggest({ id: 'gone', model: MODEL, before: 'Hello', maxTokens: 64 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.abandon(['finished-long-ago', 'gone'])).toBe(1);
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(h.status().aborted).toBe(1);
  });

  it('cancel(id) aborts the generation in flight (a keystroke on the page)', async () => {
    const engine = new WordEngine(
      Array.from({ length: 50 }, (_, i) => ` w${i}`),
      20,
    );
    const h = host(engine);
    const partials: string[] = [];
    const run = h.suggest({
      id: 'c',
      model: MODEL,
      before: 'Hello',
      maxTokens: 64,
      onPartial: (t) => partials.push(t),
    });
    await new Promise((resolve) => setTimeout(resolve, 70));
    expect(h.cancel('c')).toBe(true);
    await expect(run).rejects.toBeInstanceOf(AbortError);
    const seen = partials.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(partials.length).toBe(seen);
    expect(engine.finished).toEqual(['abort']);
    expect(h.status().aborted).toBe(1);
  });
});
