/**
 * The speed this device measured on the loaded model (`engine.speed`): running medians of the last few
 * generations, from llama.cpp's own timings (prompt tokens evaluated / prompt time, generated tokens /
 * generation time). Medians, because one generation can be slowed by anything else the page does.
 *
 * Prefill samples from evaluating only a handful of tokens (a prompt mostly reused from the KV cache)
 * say more about per-call overhead than about prefill speed, so they count only while no larger sample
 * exists.
 */
import type { EngineSpeed } from './types.ts';

/** Generations the medians cover. */
export const SPEED_WINDOW = 8;
/** Prompt tokens evaluated for a prefill sample to count as representative. */
export const MIN_PREFILL_TOKENS = 8;

export interface GenerationTimings {
  /** Prompt tokens evaluated (not reused from the cache). */
  promptTokens: number;
  promptMs: number;
  predictedTokens: number;
  predictedMs: number;
}

interface Sample {
  prefill?: { rate: number; tokens: number };
  decode?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export class SpeedTracker {
  private samples: Sample[] = [];

  constructor(private readonly window = SPEED_WINDOW) {}

  record(t: GenerationTimings): void {
    const sample: Sample = {};
    if (t.promptTokens > 0 && t.promptMs > 0)
      sample.prefill = { rate: (t.promptTokens * 1000) / t.promptMs, tokens: t.promptTokens };
    if (t.predictedTokens > 0 && t.predictedMs > 0)
      sample.decode = (t.predictedTokens * 1000) / t.predictedMs;
    if (!sample.prefill && sample.decode === undefined) return;
    this.samples.push(sample);
    if (this.samples.length > this.window) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  get speed(): EngineSpeed | undefined {
    if (this.samples.length === 0) return undefined;
    const prefills = this.samples.flatMap((s) => (s.prefill ? [s.prefill] : []));
    const big = prefills.filter((p) => p.tokens >= MIN_PREFILL_TOKENS);
    return {
      prefillTokPerSec: median((big.length > 0 ? big : prefills).map((p) => p.rate)),
      decodeTokPerSec: median(this.samples.flatMap((s) => (s.decode !== undefined ? [s.decode] : []))),
      samples: this.samples.length,
    };
  }
}
