/**
 * The online router's settings and its serialisable state: plain JSON (numbers only, never prompt
 * text), versioned, and capped in size so the browser can keep it in IndexedDB and the gateway in
 * Redis. Parsed with zod at the boundary; a malformed state is a ConfigError, never a half-loaded router.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { DENSE_NAMES } from './features.ts';

/** Largest bucket count a state may declare (keeps the state under ~100 KB of JSON). */
export const MAX_BUCKETS = 1024;

// Schemas are built on first use: a module-level zod call would keep zod in every bundle that imports
// the router (src/router/index.ts), including pages that never use the online router.
function buildConfigSchema() {
  return z
    .object({
      /** Buckets the hashed features fold into (a power of two, 16..1024). */
      buckets: z
        .number()
        .int()
        .min(16)
        .max(MAX_BUCKETS)
        .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
      /** Chance that an eligible request goes one tier up or down to learn what that tier would do. */
      exploreRate: z.number().min(0).max(0.5),
      /** Hard cap on the share of recent requests that explore (over `exploreWindow` decisions). */
      exploreMaxShare: z.number().min(0).max(0.5),
      exploreWindow: z.number().int().min(10).max(100_000),
      /** Only requests whose deciding score is within this of its threshold explore (1: all). */
      exploreBand: z.number().min(0).max(1),
      /** The rate falls as exploreRate / sqrt(1 + decisions / exploreDecay); 0 keeps it constant. */
      exploreDecay: z.number().int().min(0),
      /** AdaGrad step size of the residual models. */
      learningRate: z.number().positive().max(1),
      /** L2 pull of the residuals toward zero (toward the static router). */
      l2: z.number().min(0).max(1),
      /** Importance weights 1/propensity are clipped to this (bounds the variance of one update). */
      maxImportanceWeight: z.number().min(1).max(100),
      /** Weight of the verifier's verdict on an on-device answer when no outcome is revealed. */
      verifierWeight: z.number().min(0).max(1),
      /** Prior accuracy of the frontier tier; the per-tier baselines hang off it (see the ADR). */
      frontierPrior: z.number().min(0.05).max(1),
      /**
       * Treat an importance weight w as w repetitions of the outcome in AdaGrad's accumulator (w * g^2
       * instead of (w * g)^2), so one explored outcome neither freezes a coordinate's step size nor is
       * cut back to an unweighted step. A state saved before it existed reads as false (the rule it was
       * learning with; see `parseOnlineState`); new routers default to true (ADR 0004).
       */
      importanceAware: z.boolean(),
      /** Revealed outcomes a refit must have learned from before it can be promoted. */
      minUpdatesPerRefit: z.number().int().min(1),
      /** Outcomes seen under a new refit before it is judged (and before another refit may replace it). */
      guardMinSamples: z.number().int().min(10),
      /** Outcomes the quality baseline averages over (a decayed window). */
      guardWindow: z.number().int().min(10),
      /** Roll back when observed quality falls more than this below the baseline... */
      guardMaxDrop: z.number().min(0).max(1),
      /** ...by more than `guardZ` standard errors (one-sided). */
      guardZ: z.number().min(0).max(10),
    })
    .strict();
}
let configSchema: ReturnType<typeof buildConfigSchema> | undefined;
/** The settings' zod schema (built once, on first use). */
export function onlineConfigSchema(): ReturnType<typeof buildConfigSchema> {
  configSchema ??= buildConfigSchema();
  return configSchema;
}
export type OnlineConfig = z.infer<ReturnType<typeof buildConfigSchema>>;

export const DEFAULT_ONLINE_CONFIG: OnlineConfig = {
  buckets: 256,
  exploreRate: 0.1,
  exploreMaxShare: 0.1,
  exploreWindow: 500,
  exploreBand: 0.15,
  exploreDecay: 0,
  // 0.02: on dev streams cut to the test streams' length, 0.05 lost more than 2 points to static on
  // one GSM8K seed in 20 and 0.02 on none (ADR 0004, decision after run 4).
  learningRate: 0.02,
  l2: 1e-4,
  maxImportanceWeight: 10,
  verifierWeight: 0.3,
  frontierPrior: 0.8,
  // On dev streams cut to the test streams' sizes, seeds 15-32: two or more streams met all three
  // targets on 10 seeds of 18, against 4 of 18 without; as many losses (ADR 0004, importance-aware steps).
  importanceAware: true,
  minUpdatesPerRefit: 25,
  guardMinSamples: 60,
  guardWindow: 300,
  guardMaxDrop: 0.05,
  guardZ: 1.64,
};

/** Parameters per tier: bias, two static logits, one per dense feature, one per bucket. */
export const paramCount = (buckets: number): number => 3 + DENSE_NAMES.length + buckets;

function stateSchema(buckets: number) {
  const len = paramCount(buckets);
  const vector = () => z.array(z.number().finite()).length(len);
  const tierVectors = () => z.object({ local: vector(), mid: vector(), frontier: vector() }).strict();
  const count = z.number().finite().min(0);
  const rate = z.object({ n: count, correct: count }).strict();
  return z
    .object({
      version: z.literal(1),
      config: onlineConfigSchema(),
      /** Weights deciding now (the last promoted refit). */
      serving: tierVectors(),
      /** The refit before it, the rollback target; null means the static router. */
      previous: tierVectors().nullable(),
      /** Weights learning from feedback, promoted by refit(); AdaGrad accumulators beside them. */
      candidate: tierVectors(),
      gradSq: tierVectors(),
      explore: z.object({ decisions: count, explored: count }).strict(),
      guard: z
        .object({ baseline: rate.nullable(), recent: rate, sinceRefit: rate, probation: z.boolean() })
        .strict(),
      counters: z
        .object({
          decisions: count,
          explored: count,
          updates: count,
          updatesSinceRefit: count,
          refits: count,
          rollbacks: count,
          version: count,
        })
        .strict(),
      rng: z.number().int().min(0).max(0xffffffff),
    })
    .strict();
}
export type OnlineState = z.infer<ReturnType<typeof stateSchema>>;
export type TierVectors = OnlineState['serving'];

/** Parse a stored state (from IndexedDB, Redis, a file). Throws ConfigError naming the first bad field. */
export function parseOnlineState(value: unknown): OnlineState {
  const head = z.object({ config: onlineConfigSchema() }).loose().safeParse(fromBeforeImportanceAware(value));
  if (!head.success) throw malformed(head.error);
  const parsed = stateSchema(head.data.config.buckets).safeParse(fromBeforeImportanceAware(value));
  if (!parsed.success) throw malformed(parsed.error);
  return parsed.data;
}

/**
 * A state saved before `importanceAware` existed has no such setting and was learning with plain AdaGrad
 * steps: read it as false (a new copy; anything else is returned as is, for the schema to judge).
 */
function fromBeforeImportanceAware(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('config' in value)) return value;
  const config: unknown = value.config;
  if (typeof config !== 'object' || config === null || 'importanceAware' in config) return value;
  return { ...value, config: { ...config, importanceAware: false } };
}

/** Parse partial settings over the defaults. Throws ConfigError naming the first bad field. */
export function parseOnlineConfig(value: unknown): OnlineConfig {
  const r = onlineConfigSchema()
    .partial()
    .strict()
    .safeParse(value ?? {});
  if (!r.success) throw malformed(r.error, 'Online router settings are invalid');
  const merged = { ...DEFAULT_ONLINE_CONFIG, ...r.data };
  const full = onlineConfigSchema().safeParse(merged);
  if (!full.success) throw malformed(full.error, 'Online router settings are invalid');
  return full.data;
}

function malformed(error: z.ZodError, what = 'The online router state is malformed'): ConfigError {
  const issue = error.issues[0];
  const field = issue ? issue.path.join('.') : '';
  return new ConfigError(
    `${what} (${field || 'root'}: ${issue?.message ?? 'invalid'}). Discard it and start again from the static router with createOnlineRouter().`,
    { data: { field } },
  );
}
