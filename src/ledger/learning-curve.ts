/**
 * The learning curve of a site's own router (issue 15 item 4): per week of feedback, the quality people
 * saw (share of answers with a positive signal) and the saving the tier mix implies. Pure: it takes the
 * records (read from whatever store holds them) and returns rows, so `<tier-savings>` and tests share it.
 *
 * What counts (src/router/feedback.ts, `outcomeOf`):
 * - quality and saving use the records with a person's verdict (`feedback.correct` set: thumbs,
 *   "Ask a bigger model", re-asks, a triage agent's correction or acceptance), one per answer reacted to;
 * - the verifier's verdicts (on-device answers only) are counted apart, as the on-device accept rate,
 *   so that on-device answers are not counted twice in the mix.
 * Saving is an estimate from the mix: 1 - mean cost of the tier used relative to the frontier (on-device
 * free, mid at the price table's mid/frontier ratio), since a record holds no token counts.
 */
import type { Tier } from '../config/schemas.ts';
import type { FeedbackRecord } from '../router/feedback.ts';
import { PRICES, costNanos, type PriceTable } from './prices.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface LearningWeek {
  /** 1 for the first week of feedback. */
  week: number;
  /** First day of the week, YYYY-MM-DD (UTC). */
  start: string;
  /** Answers with a person's verdict this week. */
  answers: number;
  /** Share of those with a positive verdict (null without answers). */
  quality: number | null;
  /** Estimated saving vs all-frontier from the tier mix of those answers (null without answers). */
  saving: number | null;
  /** Answers per tier used. */
  tiers: Record<Tier, number>;
  /** Verifier verdicts on on-device answers this week, and the share accepted (null without any). */
  verifierChecks: number;
  verifierAccept: number | null;
}

export interface LearningCurveOptions {
  /** Keep only the last this many weeks (default 12). */
  maxWeeks?: number;
  /** Cost of each tier relative to the frontier (default: on-device 0, mid from the price table). */
  relativeCost?: Record<Tier, number>;
  prices?: PriceTable;
}

/** Mid's price relative to the frontier's on a typical chat request (1,000 tokens in, 350 out). */
export function midCostRatio(prices: PriceTable = PRICES): number {
  const tokens = { inputTokens: 1000, outputTokens: 350 };
  const mid = costNanos(prices.defaults.mid, tokens, prices);
  const frontier = costNanos(prices.defaults.frontier, tokens, prices);
  return mid !== undefined && frontier ? mid / frontier : 1;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Weekly quality and saving from feedback records, oldest week first; empty input gives []. */
export function learningCurve(
  records: readonly FeedbackRecord[],
  options: LearningCurveOptions = {},
): LearningWeek[] {
  const usable = records.filter((r) => Number.isFinite(r.at) && r.at >= 0);
  if (usable.length === 0) return [];
  const relativeCost = options.relativeCost ?? {
    local: 0,
    mid: midCostRatio(options.prices),
    frontier: 1,
  };
  const first = Math.floor(Math.min(...usable.map((r) => r.at)) / DAY_MS) * DAY_MS;
  const last = Math.max(...usable.map((r) => r.at));
  const count = Math.floor((last - first) / WEEK_MS) + 1;
  const weeks = Array.from({ length: count }, (_, i) => ({
    positive: 0,
    cost: 0,
    answers: 0,
    tiers: { local: 0, mid: 0, frontier: 0 } as Record<Tier, number>,
    checks: 0,
    accepted: 0,
    start: first + i * WEEK_MS,
  }));
  for (const r of usable) {
    const w = weeks[Math.floor((r.at - first) / WEEK_MS)]!;
    const { correct, verifierAccept, tier } = r.feedback;
    if (correct !== undefined) {
      w.answers += 1;
      w.tiers[tier] += 1;
      w.cost += relativeCost[tier];
      if (correct) w.positive += 1;
    } else if (verifierAccept !== undefined) {
      w.checks += 1;
      if (verifierAccept) w.accepted += 1;
    }
  }
  const rows = weeks.map((w, i) => ({
    week: i + 1,
    start: day(w.start),
    answers: w.answers,
    quality: w.answers ? w.positive / w.answers : null,
    saving: w.answers ? 1 - w.cost / w.answers : null,
    tiers: w.tiers,
    verifierChecks: w.checks,
    verifierAccept: w.checks ? w.accepted / w.checks : null,
  }));
  return rows.slice(-Math.max(1, options.maxWeeks ?? 12));
}
