/**
 * The what-if calculator: "what would routing save on my traffic?". Routes a sample of prompts with the
 * router, estimates tokens, and prices a month of traffic all-frontier, all-mid and routed. Pure: the router
 * is passed in, so the CLI (scripts/savings.ts) and the demo page (public/savings.html) share it.
 *
 * Token estimate (no tokenizer needed, documented in docs/savings.md):
 *   input  = ceil(characters / 4)  (the common ~4 characters per token of English text)
 *   output = a fixed expectation per task kind ({@link EXPECTED_OUTPUT_TOKENS}); a rewrite is as long as its input.
 * No prompt caching is assumed (a conservative total).
 *
 * Quality beside cost (issue 15): what each configuration keeps of all-frontier accuracy comes from the
 * router's evaluation on the RouterBench test split (expected-quality.ts), not from the prompts given
 * here: it is stated with its source wherever shown.
 */
import { z } from 'zod';
import { parse } from '../config/parse.ts';
import { TaskKindSchema, type TaskKind, type Tier } from '../config/schemas.ts';
import type { Decision, RouteContext } from '../router/types.ts';
import { InvalidInputError } from '../errors.ts';
import { LATENCY_ASSUMPTIONS, expectedLatencyMs, type TierLatency } from './latency.ts';
import {
  FREE_ON_DEVICE,
  NANOS_PER_USD,
  PRICES,
  costNanos,
  onDeviceCostNanos,
  type OnDeviceCost,
  type PriceTable,
} from './prices.ts';
import { TIERS } from './summary.ts';

export { QUALITY, expectedQuality } from './expected-quality.ts';
export type { QualityFigures, QualityTable } from './expected-quality.ts';
import { expectedQuality, type QualityFigures } from './expected-quality.ts';

/** Expected answer length per task kind, tokens (rewrite: see {@link estimateTokens}). */
export const EXPECTED_OUTPUT_TOKENS: Record<TaskKind, number> = {
  chat: 350,
  autocomplete: 16,
  rewrite: 0,
  classify: 5,
  triage: 60,
  extract: 80,
};

export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string, task: TaskKind): { inputTokens: number; outputTokens: number } {
  const inputTokens = Math.ceil(text.length / CHARS_PER_TOKEN);
  const outputTokens = task === 'rewrite' ? inputTokens : EXPECTED_OUTPUT_TOKENS[task];
  return { inputTokens, outputTokens };
}

/** One line of a prompts file: `{"prompt": "...", "task": "chat"}` (`text` is accepted for `prompt`). */
export const WhatIfPromptSchema = z
  .object({
    prompt: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    task: TaskKindSchema.default('chat'),
  })
  .refine((p) => p.prompt !== undefined || p.text !== undefined, 'needs a "prompt" (or "text") string')
  .transform((p) => ({ prompt: (p.prompt ?? p.text)!, task: p.task }));
export type WhatIfPrompt = z.output<typeof WhatIfPromptSchema>;

/** Parse JSONL (one prompt object a line; blank lines and lines starting with # skipped). Bad lines throw with their number. */
export function parsePromptsJsonl(text: string): WhatIfPrompt[] {
  const prompts: WhatIfPrompt[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      // A bare line of text is a chat prompt (handy for pasting into the demo page).
      value = { prompt: trimmed };
    }
    if (typeof value === 'string') value = { prompt: value };
    prompts.push(parse(WhatIfPromptSchema, value, `prompt on line ${i + 1}`));
  });
  return prompts;
}

export type RouteFn = (text: string, context?: RouteContext) => Decision;

export interface WhatIfOptions {
  /** Requests per day the sample stands for. */
  perDay: number;
  daysPerMonth?: number;
  prices?: PriceTable;
  onDevice?: OnDeviceCost;
  latency?: Record<Tier, TierLatency>;
  /** Extra router context for every prompt (quality, allowedTiers...). `localAvailable` defaults to true. */
  context?: RouteContext;
  /** How many example decisions to return (default 5, one per tier first). */
  examples?: number;
}

export interface WhatIfRow {
  prompt: string;
  task: TaskKind;
  tier: Tier;
  reason: string;
  inputTokens: number;
  outputTokens: number;
  frontierNanos: number;
  midNanos: number;
  routedNanos: number;
  routedLatencyMs: number;
}

export interface WhatIfResult {
  prompts: number;
  perDay: number;
  daysPerMonth: number;
  requestsPerMonth: number;
  prices: { version: number; recordedOn: string; mid: string; frontier: string };
  /** Monthly cost in USD of each configuration. */
  monthly: { frontier: number; mid: number; routed: number };
  savedVsFrontier: number;
  savedShare: number;
  mix: Record<Tier, { prompts: number; share: number }>;
  latency: {
    recordedOn: string;
    assumptions: Record<Tier, TierLatency>;
    /** Mean expected time to a complete answer, ms, if every prompt went to one tier / as routed. */
    meanMs: { frontier: number; mid: number; routed: number };
    /** Mean expected latency of the prompts routed to each tier (null when none were). */
    perTierMs: Record<Tier, number | null>;
  };
  /** Expected quality beside each cost, measured on a benchmark (see {@link expectedQuality}). */
  quality: QualityFigures;
  examples: { prompt: string; task: TaskKind; tier: Tier; reason: string }[];
  rows: WhatIfRow[];
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Price a month of traffic shaped like `prompts` at `perDay` requests a day, three ways. */
export function whatIf(
  prompts: readonly WhatIfPrompt[],
  route: RouteFn,
  options: WhatIfOptions,
): WhatIfResult {
  if (prompts.length === 0)
    throw new InvalidInputError('No prompts to route: give at least one prompt (one JSON object a line).');
  if (!(options.perDay > 0)) throw new InvalidInputError('--per-day must be a positive number of requests.');
  const prices = options.prices ?? PRICES;
  const latency = options.latency ?? LATENCY_ASSUMPTIONS.tiers;
  const daysPerMonth = options.daysPerMonth ?? 30;
  const { mid, frontier } = prices.defaults;

  const rows: WhatIfRow[] = prompts.map(({ prompt, task }) => {
    const decision = route(prompt, { localAvailable: true, ...options.context, task });
    const tokens = estimateTokens(prompt, task);
    const frontierNanos = costNanos(frontier, tokens, prices) ?? 0;
    const midNanos = costNanos(mid, tokens, prices) ?? 0;
    const routedLatencyMs = expectedLatencyMs(decision.tier, tokens.outputTokens, latency);
    const routedNanos =
      decision.tier === 'local'
        ? onDeviceCostNanos(routedLatencyMs, options.onDevice ?? FREE_ON_DEVICE)
        : decision.tier === 'mid'
          ? midNanos
          : frontierNanos;
    return {
      prompt,
      task,
      tier: decision.tier,
      reason: decision.reason,
      ...tokens,
      frontierNanos,
      midNanos,
      routedNanos,
      routedLatencyMs,
    };
  });

  const n = rows.length;
  const scale = (nanos: number) => (nanos * options.perDay * daysPerMonth) / n / NANOS_PER_USD;
  const sum = (key: 'frontierNanos' | 'midNanos' | 'routedNanos') => rows.reduce((s, r) => s + r[key], 0);
  const monthly = {
    frontier: scale(sum('frontierNanos')),
    mid: scale(sum('midNanos')),
    routed: scale(sum('routedNanos')),
  };

  const mix = Object.fromEntries(
    TIERS.map((t) => {
      const count = rows.filter((r) => r.tier === t).length;
      return [t, { prompts: count, share: count / n }];
    }),
  ) as WhatIfResult['mix'];

  const wanted = options.examples ?? 5;
  const examples: WhatIfRow[] = [];
  for (const t of TIERS) {
    const first = rows.find((r) => r.tier === t);
    if (first && examples.length < wanted) examples.push(first);
  }
  for (const r of rows) if (examples.length < wanted && !examples.includes(r)) examples.push(r);

  return {
    prompts: n,
    perDay: options.perDay,
    daysPerMonth,
    requestsPerMonth: options.perDay * daysPerMonth,
    prices: { version: prices.version, recordedOn: prices.recordedOn, mid, frontier },
    monthly,
    savedVsFrontier: monthly.frontier - monthly.routed,
    savedShare: monthly.frontier === 0 ? 0 : (monthly.frontier - monthly.routed) / monthly.frontier,
    mix,
    latency: {
      recordedOn: LATENCY_ASSUMPTIONS.recordedOn,
      assumptions: latency,
      meanMs: {
        frontier: mean(rows.map((r) => expectedLatencyMs('frontier', r.outputTokens, latency))),
        mid: mean(rows.map((r) => expectedLatencyMs('mid', r.outputTokens, latency))),
        routed: mean(rows.map((r) => r.routedLatencyMs)),
      },
      perTierMs: Object.fromEntries(
        TIERS.map((t) => {
          const xs = rows.filter((r) => r.tier === t).map((r) => r.routedLatencyMs);
          return [t, xs.length === 0 ? null : mean(xs)];
        }),
      ) as Record<Tier, number | null>,
    },
    quality: expectedQuality(options.context?.quality),
    examples: examples.map(({ prompt, task, tier, reason }) => ({ prompt, task, tier, reason })),
    rows,
  };
}
