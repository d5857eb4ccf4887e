/**
 * The extension's use of the ledger (src/ledger, IndexedDB in the extension's origin, shared by the
 * background, the offscreen engine host and the side panel): every suggestion and job is recorded; the
 * popup reads today's requests by tier and money saved versus sending everything to the frontier tier.
 * The ledger is opened lazily and reopened after a worker restart.
 */
import { Ledger, type LedgerEntry } from '../../src/ledger/index.ts';
import type { TodayStats } from './messaging.ts';

/** Rough token count for text we did not tokenize (4 characters per token, OpenAI's rule of thumb). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Books one ghost-text suggestion (always on-device); never throws: a full ledger must not cost a suggestion. */
export function recordSuggestion(
  stats: Stats,
  prefix: string,
  out: { text: string; model: string; engineMs: number },
): void {
  void stats
    .record({
      surface: 'autocomplete',
      task: 'autocomplete',
      tier: 'local',
      model: out.model || undefined,
      inputTokens: approxTokens(prefix),
      outputTokens: approxTokens(out.text),
      totalMs: out.engineMs,
      reason: 'Autocomplete runs only on this device.',
    })
    .catch(() => undefined);
}

export interface Stats {
  record(entry: LedgerEntry): Promise<unknown>;
  today(): Promise<TodayStats>;
}

export function ledgerStats(open: () => Promise<Ledger> = () => Ledger.open()): Stats {
  let ledger: Promise<Ledger> | undefined;
  const get = () => {
    ledger ??= open().catch((error: unknown) => {
      ledger = undefined;
      throw error;
    });
    return ledger;
  };
  return {
    record: async (entry) => (await get()).record(entry),
    today: async () => {
      const summary = await (await get()).summary('today');
      return {
        day: summary.to,
        byTier: {
          local: summary.tiers.local.requests,
          mid: summary.tiers.mid.requests,
          frontier: summary.tiers.frontier.requests,
        },
        savedUsd: summary.savedUsd,
        spentUsd: summary.costUsd,
      };
    },
  };
}
