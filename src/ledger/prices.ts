/**
 * The versioned price table (prices.json: source and date inside) and cost arithmetic.
 * Pure: used by the gateway, the client ledger and the what-if calculator alike.
 */
import { z } from 'zod';
import table from './prices.json';

const ModelPriceSchema = z.object({
  provider: z.string(),
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

export const PriceTableSchema = z.object({
  version: z.number().int().positive(),
  currency: z.literal('USD'),
  unit: z.string(),
  recordedOn: z.string(),
  source: z.string(),
  models: z.record(z.string(), ModelPriceSchema),
  defaults: z.object({ local: z.null(), mid: z.string(), frontier: z.string() }),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;

export const PRICES: PriceTable = PriceTableSchema.parse(table);

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (a subset of inputTokens). */
  cachedInputTokens?: number;
}

/** Price of a model, by exact id or by the longest known id it starts with (dated snapshots). */
export function priceOf(model: string, prices: PriceTable = PRICES): ModelPrice | undefined {
  const exact = prices.models[model];
  if (exact) return exact;
  const prefix = Object.keys(prices.models)
    .filter((id) => model.startsWith(id))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? undefined : prices.models[prefix];
}

/** USD cost of one call; unknown models cost NaN so a missing price is never silently $0. */
export function costUsd(model: string, tokens: TokenCounts, prices: PriceTable = PRICES): number {
  const price = priceOf(model, prices);
  if (!price) return Number.NaN;
  const cached = Math.min(tokens.cachedInputTokens ?? 0, tokens.inputTokens);
  const cachedRate = price.cachedInput ?? price.input;
  const micro =
    (tokens.inputTokens - cached) * price.input + cached * cachedRate + tokens.outputTokens * price.output;
  return micro / 1_000_000;
}

/** What the same token counts would have cost on the default frontier model. */
export function frontierCostUsd(tokens: TokenCounts, prices: PriceTable = PRICES): number {
  return costUsd(prices.defaults.frontier, tokens, prices);
}
