/**
 * What an upstream answer has produced so far: its text, finish reason and the token counts the provider
 * reported. Both the response (usage, tier_assist) and the usage record read their counts from here.
 */
import type { TokenCounts } from '../ledger/prices.ts';
import type { FinishReason, ProviderEvent } from './providers/index.ts';

export interface AnswerCounts {
  input: number;
  output: number;
  cached: number;
  /** True when the provider never sent its counts (cut stream) and they were estimated from text. */
  estimated: boolean;
}

export class AnswerTally {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  cachedInputTokens: number | undefined;
  text = '';
  finish: FinishReason | undefined;

  /** Take one provider event; returns the delta text when the event carries some. */
  take(event: ProviderEvent): string | undefined {
    if (event.type === 'delta') {
      this.text += event.text;
      return event.text;
    }
    if (event.type === 'usage') {
      if (event.inputTokens !== undefined) this.inputTokens = event.inputTokens;
      if (event.outputTokens !== undefined) this.outputTokens = event.outputTokens;
      if (event.cachedInputTokens !== undefined) this.cachedInputTokens = event.cachedInputTokens;
    } else this.finish = event.reason;
    return undefined;
  }

  /** Provider counts when it sent them, otherwise estimated from text (~4 characters a token). */
  counts(promptChars: number): AnswerCounts {
    const estimated = this.inputTokens === undefined || this.outputTokens === undefined;
    return {
      input: this.inputTokens ?? Math.ceil(promptChars / 4),
      output: this.outputTokens ?? Math.ceil(this.text.length / 4),
      cached: this.cachedInputTokens ?? 0,
      estimated,
    };
  }
}

/** The price table's view of counts. */
export function tokensOf(counts: AnswerCounts): TokenCounts {
  return { inputTokens: counts.input, outputTokens: counts.output, cachedInputTokens: counts.cached };
}

/** Counts for a request that never reached an upstream. */
export const NO_COUNTS: AnswerCounts = { input: 0, output: 0, cached: 0, estimated: false };
