/**
 * Today's requests by tier and money saved, kept per day in `chrome.storage.local` (the popup
 * reads them). Savings = what the same tokens would have cost on the frontier tier minus what was
 * paid; on-device requests cost $0.
 */
import { z } from 'zod';
import { TierSchema, type Tier } from '../../src/config/index.ts';
import { frontierCostUsd } from '../../src/ledger/prices.ts';
import type { TodayStats } from '../messaging.ts';

const DayStatsSchema = z.object({
  day: z.string(),
  byTier: z.record(TierSchema, z.number()),
  savedUsd: z.number(),
  spentUsd: z.number(),
});

type Area = Pick<chrome.storage.StorageArea, 'get' | 'set'>;

export function dayKey(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Rough token count for text we did not tokenize (4 characters per token, OpenAI's rule of thumb). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export async function todayStats(area: Area, now: Date): Promise<TodayStats> {
  const day = dayKey(now);
  const stored = (await area.get(`stats:${day}`))[`stats:${day}`];
  const parsed = DayStatsSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  return { day, byTier: { local: 0, mid: 0, frontier: 0 }, savedUsd: 0, spentUsd: 0 };
}

export interface UsageRecord {
  tier: Tier;
  inputTokens: number;
  outputTokens: number;
  /** What was paid (0 on the device). */
  costUsd: number;
  /** What the frontier tier would have cost; computed from the price table when omitted. */
  frontierCostUsd?: number;
}

let chain: Promise<unknown> = Promise.resolve();

/** Adds one request to today's numbers (serialized, so concurrent records do not lose updates). */
export function recordUsage(area: Area, now: Date, usage: UsageRecord): Promise<TodayStats> {
  const next = chain.then(async () => {
    const stats = await todayStats(area, now);
    const frontier =
      usage.frontierCostUsd ??
      frontierCostUsd({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens });
    stats.byTier[usage.tier] += 1;
    stats.spentUsd += usage.costUsd;
    stats.savedUsd += Math.max((Number.isFinite(frontier) ? frontier : 0) - usage.costUsd, 0);
    await area.set({ [`stats:${stats.day}`]: stats });
    return stats;
  });
  chain = next.catch(() => undefined);
  return next;
}
