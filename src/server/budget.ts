/**
 * A site's daily budget (Site.dailyBudgetUsd), held in the store per site and UTC day. Before the upstream
 * call a request reserves its worst case (the longest answer its plan allows, at that model's price);
 * once the request ends, settling replaces the reservation with what it really cost. The reservation is
 * atomic in the store, so concurrent requests (and processes sharing Redis) cannot overspend together.
 */
import type { GatewayRequest } from '../config/index.ts';
import { BudgetExceededError } from '../errors.ts';
import { costNanos, frontierCostNanos } from '../ledger/prices.ts';
import type { ResolvedUpstream } from './config.ts';
import type { GatewayStore } from './stores/types.ts';
import { DAY_MS, secondsToNextUtcDay } from './time.ts';

/** Budget keys outlive their day by one, so a request that runs past midnight still settles. */
const BUDGET_TTL_MS = 2 * DAY_MS;

export interface BudgetHold {
  /** Replace the reservation with the request's real cost (nano-dollars). */
  settle(actualNanos: number): Promise<void>;
}

export type BudgetReservation = { ok: true; hold: BudgetHold } | { ok: false; error: BudgetExceededError };

export interface ReserveOptions {
  store: GatewayStore;
  site: string;
  /** The request's UTC day (YYYY-MM-DD). */
  day: string;
  /** The site's daily budget; undefined = no budget (nothing reserved, settling does nothing). */
  limitUsd: number | undefined;
  /** Upstreams the request may be answered by (requested tier, then any fallback). */
  plan: ResolvedUpstream[];
  body: GatewayRequest;
  /** Characters in the prompt's messages. */
  promptChars: number;
  /** When the request arrived (epoch ms): how long until the budget resets. */
  started: number;
}

const NO_BUDGET: BudgetReservation = { ok: true, hold: { settle: () => Promise.resolve() } };

/** The most the request can cost on any upstream of its plan, in nano-dollars. */
export function worstCaseNanos(plan: ResolvedUpstream[], body: GatewayRequest, promptChars: number): number {
  return Math.max(
    ...plan.map((up) => {
      const maxOut = Math.min(body.max_tokens ?? up.maxTokens, up.maxTokens);
      // A token is at least one character: promptChars bounds the input tokens from above.
      return (
        costNanos(
          up.model,
          {
            inputTokens: promptChars + 16 * body.messages.length,
            outputTokens: maxOut,
          },
          up.prices,
        ) ?? frontierCostNanos({ inputTokens: promptChars, outputTokens: maxOut })
      );
    }),
  );
}

/** Reserve the worst case against the site's budget for the day; refused when it does not fit. */
export async function reserveBudget(options: ReserveOptions): Promise<BudgetReservation> {
  const { store, limitUsd } = options;
  if (limitUsd === undefined) return NO_BUDGET;
  const key = `${options.site}:${options.day}`;
  const worst = worstCaseNanos(options.plan, options.body, options.promptChars);
  const r = await store.reserve(key, worst, Math.round(limitUsd * 1e9), BUDGET_TTL_MS);
  if (!r.ok) {
    const error = new BudgetExceededError(
      `The site's daily budget ($${limitUsd}) is used up (or reserved by requests in flight). It resets at 00:00 UTC; raise dailyBudgetUsd to allow more.`,
      {
        data: {
          retryAfterSeconds: secondsToNextUtcDay(options.started),
          spentUsd: r.spentNanos / 1e9,
          reservedUsd: r.reservedNanos / 1e9,
        },
      },
    );
    return { ok: false, error };
  }
  return {
    ok: true,
    hold: {
      settle: async (actualNanos) => {
        await store.settle(key, worst, actualNanos, BUDGET_TTL_MS);
      },
    },
  };
}
