import { describe, expect, it } from 'vitest';
import { SPEED_WINDOW, SpeedTracker } from './wasm-speed.ts';

const gen = (promptTokens: number, promptMs: number, predictedTokens: number, predictedMs: number) => ({
  promptTokens,
  promptMs,
  predictedTokens,
  predictedMs,
});

describe('SpeedTracker', () => {
  it('is undefined until a generation ran, then gives medians of prefill and decode rates', () => {
    const t = new SpeedTracker();
    expect(t.speed).toBeUndefined();
    t.record(gen(100, 1000, 10, 1000)); // 100 tok/s prefill, 10 tok/s decode
    t.record(gen(100, 500, 10, 500)); // 200, 20
    t.record(gen(100, 10_000, 10, 100)); // 10 (an outlier), 100
    expect(t.speed).toEqual({ prefillTokPerSec: 100, decodeTokPerSec: 20, samples: 3 });
  });

  it('covers only the last window of generations', () => {
    const t = new SpeedTracker();
    for (let i = 0; i < SPEED_WINDOW; i++) t.record(gen(100, 1000, 10, 1000));
    for (let i = 0; i < SPEED_WINDOW; i++) t.record(gen(100, 100, 10, 100));
    expect(t.speed).toEqual({ prefillTokPerSec: 1000, decodeTokPerSec: 100, samples: SPEED_WINDOW });
  });

  it('a prompt mostly reused from the cache does not count as a prefill sample while larger ones exist', () => {
    const t = new SpeedTracker();
    t.record(gen(300, 1000, 4, 100)); // 300 tok/s over 300 tokens
    t.record(gen(4, 100, 4, 100)); // 40 tok/s over 4 tokens: overhead, not prefill speed
    t.record(gen(4, 100, 4, 100));
    expect(t.speed?.prefillTokPerSec).toBe(300);
    const small = new SpeedTracker();
    small.record(gen(4, 100, 4, 100));
    expect(small.speed?.prefillTokPerSec).toBe(40);
  });

  it('resets (a new model) and ignores generations without timings', () => {
    const t = new SpeedTracker();
    t.record(gen(0, 0, 0, 0));
    expect(t.speed).toBeUndefined();
    t.record(gen(10, 100, 2, 100));
    t.reset();
    expect(t.speed).toBeUndefined();
  });
});
