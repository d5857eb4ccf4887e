/**
 * Assumed latencies per tier for the what-if calculator (the ledger itself records measured ones).
 * Each figure names its source and the day it was read; update them with the prices (docs/savings.md).
 */
import type { Tier } from '../config/schemas.ts';

export interface TierLatency {
  /** Model the figure is for. */
  model: string;
  /** Time to first token, ms. */
  ttftMs: number;
  /** Decode speed, output tokens per second. */
  tokensPerSecond: number;
  source: string;
}

export const LATENCY_ASSUMPTIONS: { recordedOn: string; tiers: Record<Tier, TierLatency> } = {
  recordedOn: '2026-11-29',
  tiers: {
    local: {
      model: 'Llama-3.2-1B-Instruct q4 (WebLLM, WebGPU)',
      ttftMs: 150,
      tokensPerSecond: 74,
      source:
        'Decode: 74 tok/s for a 1B model on WebGPU (ramuncle/webgpu-llm-benchmark, summarisation task). ' +
        'TTFT: a ~100-token prompt prefilled at several hundred tok/s plus dispatch, ~150 ms (our estimate).',
    },
    mid: {
      model: 'claude-haiku-4-5',
      ttftMs: 480,
      tokensPerSecond: 53,
      source: 'Artificial Analysis, Anthropic API (0.48 s TTFT, 53 tok/s), as quoted by shadabchow.com.',
    },
    frontier: {
      model: 'claude-sonnet-4-5',
      ttftMs: 1800,
      tokensPerSecond: 63,
      source: 'Artificial Analysis (1.80 s TTFT, 63 tok/s), as quoted by lattice.uptownhr.com.',
    },
  },
};

/** Expected time to a complete answer of `outputTokens` on a tier, ms: TTFT + tokens / decode speed. */
export function expectedLatencyMs(
  tier: Tier,
  outputTokens: number,
  assumptions: Record<Tier, TierLatency> = LATENCY_ASSUMPTIONS.tiers,
): number {
  const a = assumptions[tier];
  return a.ttftMs + (outputTokens / a.tokensPerSecond) * 1000;
}
