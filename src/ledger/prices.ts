/**
 * The versioned price table (prices.json: source and date inside) and cost arithmetic.
 * Pure: used by the gateway, the client ledger and the what-if calculator alike.
 */
import { z } from 'zod';
import table from './prices.json';
import { NANOS_PER_USD } from './money.ts';

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

// NANOS_PER_USD (the ledger's integer unit) lives in money.ts, which the first load can import cheaply.
export { NANOS_PER_USD };

/** A price per million tokens as nano-dollars per token ($/M = micro-dollars per token; x1000 = nanos). */
function nanosPerToken(pricePerMillion: number): number {
  return Math.round(pricePerMillion * 1000);
}

/**
 * Cost of one call in integer nano-dollars (1e-9 USD), or undefined when the model has no price.
 * Same arithmetic as {@link costUsd}, but every term is an integer so totals never drift.
 */
export function costNanos(
  model: string,
  tokens: TokenCounts,
  prices: PriceTable = PRICES,
): number | undefined {
  const price = priceOf(model, prices);
  if (!price) return undefined;
  const cached = Math.min(tokens.cachedInputTokens ?? 0, tokens.inputTokens);
  return (
    (tokens.inputTokens - cached) * nanosPerToken(price.input) +
    cached * nanosPerToken(price.cachedInput ?? price.input) +
    tokens.outputTokens * nanosPerToken(price.output)
  );
}

/** What the same token counts would have cost on the default frontier model, in nano-dollars. */
export function frontierCostNanos(tokens: TokenCounts, prices: PriceTable = PRICES): number {
  return costNanos(prices.defaults.frontier, tokens, prices) ?? 0;
}

/**
 * What an on-device answer costs. $0 by default (the user's device, already paid for); a site that wants
 * an honest total can price the energy the generation draws and/or an amortised share of the hardware.
 */
export const OnDeviceCostSchema = z.object({
  /** Extra power the device draws while generating, in watts (a laptop GPU under load: ~15-40 W). */
  watts: z.number().nonnegative().max(2000).default(0),
  /** Electricity price, USD per kWh. */
  usdPerKwh: z.number().nonnegative().max(10).default(0),
  /** Amortised hardware cost per hour of generation, USD (e.g. device price / hours of useful life). */
  amortisedUsdPerHour: z.number().nonnegative().max(100).default(0),
});
export type OnDeviceCost = z.infer<typeof OnDeviceCostSchema>;
export const FREE_ON_DEVICE: OnDeviceCost = { watts: 0, usdPerKwh: 0, amortisedUsdPerHour: 0 };

/**
 * Nano-dollars for `busyMs` of on-device generation: (watts/1000 x usdPerKwh + amortisedUsdPerHour) per hour,
 * rounded to a whole nano-dollar per request. 0 with the default setting.
 */
export function onDeviceCostNanos(busyMs: number, setting: OnDeviceCost = FREE_ON_DEVICE): number {
  const usdPerHour = (setting.watts / 1000) * setting.usdPerKwh + setting.amortisedUsdPerHour;
  if (usdPerHour === 0 || !(busyMs > 0)) return 0;
  return Math.round((usdPerHour * NANOS_PER_USD * busyMs) / 3_600_000);
}
