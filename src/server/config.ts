/**
 * Gateway configuration: one zod schema, read from a JSON file (TIER_ASSIST_CONFIG, read by cli.ts) and
 * completed from the environment (provider keys never need to sit in the file). Pure: no node: imports,
 * the caller hands in the parsed file and an env record.
 */
import { z } from 'zod';
import { HttpUrlSchema, QualitySchema, parse, type GatewayTier, type RemoteTier } from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import { PRICES, type PriceTable } from '../ledger/prices.ts';

export const ProviderKindSchema = z.enum(['anthropic', 'openai']);
export type ProviderKind = z.infer<typeof ProviderKindSchema>;

export const UpstreamSchema = z.object({
  provider: ProviderKindSchema,
  /** The allowlisted upstream model this tier maps to (the client never names one). */
  model: z.string().min(1),
  /** Provider base URL; defaults to the vendor's (https://api.anthropic.com, https://api.openai.com/v1). */
  baseUrl: HttpUrlSchema.optional(),
  /** The key itself (prefer apiKeyEnv: keys in files leak). */
  apiKey: z.string().min(1).optional(),
  /** Name of the env variable holding the key (default ANTHROPIC_API_KEY / OPENAI_API_KEY). */
  apiKeyEnv: z.string().min(1).optional(),
  /** Upper bound for `max_tokens` on this tier (the request's value is clamped to it). */
  maxTokens: z.number().int().positive().max(200_000).default(1024),
});
export type UpstreamInput = z.input<typeof UpstreamSchema>;

/**
 * The optional `small` tier: a self-hosted model behind an OpenAI-compatible server (vLLM, llama.cpp's
 * server, Ollama). `model: "auto"` sends it what the router would keep on the device, and the cascade
 * verifier judges its answer. Its key comes from TIER_ASSIST_SMALL_API_KEY by default, never from
 * OPENAI_API_KEY (a vendor key must not go to a self-hosted server).
 */
export const SmallUpstreamSchema = UpstreamSchema.extend({
  provider: z.literal('openai').default('openai'),
  baseUrl: HttpUrlSchema,
  /** USD per million tokens, the unit of src/ledger/prices.json (self-hosted: what a token costs you). */
  price: z
    .object({ input: z.number().nonnegative(), output: z.number().nonnegative() })
    .default({ input: 0, output: 0 }),
});
export type SmallUpstreamInput = z.input<typeof SmallUpstreamSchema>;

export const RateLimitSchema = z.object({
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
});
export type RateLimit = z.infer<typeof RateLimitSchema>;

export const SiteSchema = z.object({
  id: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)'),
  /** Exact origins allowed to call with this site's tokens, e.g. "https://shop.example". */
  origins: z.array(z.string().min(1)).min(1),
  /** Shared secret of the site's backend: mints browser tokens (POST /v1/tokens) and reads /v1/usage. */
  secret: z.string().min(16, 'use at least 16 characters'),
  /** Daily spend budget in USD (UTC day); omitted = unlimited. */
  dailyBudgetUsd: z.number().nonnegative().optional(),
  limits: RateLimitSchema.optional(),
  /** Log prompt text with usage records (off by default). */
  logPrompts: z.boolean().default(false),
});
export type Site = z.infer<typeof SiteSchema>;

export const UserSchema = z.object({
  id: z.string().min(1).max(64),
  /** Bearer token the extension presents (at least 24 characters). */
  token: z.string().min(24, 'use at least 24 characters'),
  /** Which site's budget and limits the user's requests count against (default: the user's own). */
  site: z.string().optional(),
  /** Origins the token may be used from (default: any chrome-extension:// origin or no Origin). */
  origins: z.array(z.string()).optional(),
});
export type User = z.infer<typeof UserSchema>;

export const GatewayConfigSchema = z.object({
  tiers: z
    .object({
      small: SmallUpstreamSchema.optional(),
      mid: UpstreamSchema.optional(),
      frontier: UpstreamSchema.optional(),
    })
    .default({}),
  /** `model: "auto"`: the browser router's quality knob (the element's default, 0.5). */
  auto: z.object({ quality: QualitySchema.default(0.5) }).default({ quality: 0.5 }),
  sites: z.array(SiteSchema).default([]),
  users: z.array(UserSchema).default([]),
  limits: z
    .object({
      bodyBytes: z.number().int().positive().default(1_048_576),
      perSite: RateLimitSchema.default({}),
      perUser: RateLimitSchema.default({}),
      perIp: RateLimitSchema.default({ requestsPerMinute: 600 }),
    })
    .default({ bodyBytes: 1_048_576, perSite: {}, perUser: {}, perIp: { requestsPerMinute: 600 } }),
  reliability: z
    .object({
      /** Whole upstream attempt, first byte to last. */
      attemptTimeoutMs: z.number().int().positive().default(120_000),
      /** Time allowed until the upstream's first event. */
      firstByteTimeoutMs: z.number().int().positive().default(15_000),
      /** Retries per tier after the first attempt (429, 5xx, network, first-byte timeout). */
      retries: z.number().int().min(0).max(10).default(2),
      backoffBaseMs: z.number().int().nonnegative().default(250),
      /** A retry-after longer than this is not waited for (fallback or error instead). */
      maxRetryDelayMs: z.number().int().nonnegative().default(10_000),
      /** Fall back from frontier to mid when frontier fails before the first byte. */
      fallback: z.boolean().default(true),
    })
    .default({
      attemptTimeoutMs: 120_000,
      firstByteTimeoutMs: 15_000,
      retries: 2,
      backoffBaseMs: 250,
      maxRetryDelayMs: 10_000,
      fallback: true,
    }),
  tokens: z
    .object({
      /** Lifetime of browser tokens minted by POST /v1/tokens. */
      ttlSeconds: z.number().int().positive().max(86_400).default(600),
    })
    .default({ ttlSeconds: 600 }),
  store: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('memory') }),
      z.object({
        kind: z.literal('redis'),
        url: z.string().min(1),
        prefix: z.string().default('ta:'),
        /** Longest one Redis command may take before the request gets 503 store_unavailable (ms). */
        commandTimeoutMs: z.number().int().positive().max(60_000).optional(),
      }),
    ])
    .default({ kind: 'memory' }),
  usageLog: z
    .discriminatedUnion('kind', [
      z.object({
        kind: z.literal('file'),
        path: z.string().min(1).default('.cache/tier-assist/usage.jsonl'),
      }),
      z.object({
        kind: z.literal('redis'),
        url: z.string().min(1).optional(),
        stream: z.string().default('ta:usage'),
      }),
      z.object({ kind: z.literal('memory') }),
    ])
    .default({ kind: 'file', path: '.cache/tier-assist/usage.jsonl' }),
  /** Trust X-Forwarded-For for the client IP (only behind your own proxy). */
  trustProxy: z.boolean().default(false),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;

export interface ResolvedUpstream {
  tier: GatewayTier;
  provider: ProviderKind;
  model: string;
  baseUrl: string;
  apiKey: string | undefined;
  maxTokens: number;
  /** A price table holding this tier's own price (the small tier's); undefined = src/ledger's table. */
  prices?: PriceTable;
}

/** A tier that cannot be served, with the setting that would fix it. */
export interface MissingTier {
  tier: GatewayTier;
  setting: string;
  message: string;
}

export type TierTable = Record<GatewayTier, ResolvedUpstream | MissingTier>;

export function isResolved(value: ResolvedUpstream | MissingTier): value is ResolvedUpstream {
  return 'provider' in value;
}

const DEFAULT_BASE: Record<ProviderKind, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
};
const DEFAULT_KEY_ENV: Record<ProviderKind, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
};
const DEFAULT_MODELS: Record<ProviderKind, Record<RemoteTier, string>> = {
  anthropic: { mid: 'claude-haiku-4-5', frontier: 'claude-sonnet-4-5' },
  openai: { mid: 'gpt-5-mini', frontier: 'gpt-5' },
};

type Env = Record<string, string | undefined>;

function envTier(tier: RemoteTier, env: Env): UpstreamInput | undefined {
  const upper = tier.toUpperCase();
  const model = env[`TIER_ASSIST_${upper}_MODEL`];
  const forced = env[`TIER_ASSIST_${upper}_PROVIDER`];
  const provider =
    forced === 'anthropic' || forced === 'openai'
      ? forced
      : env.ANTHROPIC_API_KEY
        ? 'anthropic'
        : env.OPENAI_API_KEY || env.OPENAI_BASE_URL
          ? 'openai'
          : undefined;
  if (!provider) return undefined;
  const baseUrl = provider === 'anthropic' ? env.ANTHROPIC_BASE_URL : env.OPENAI_BASE_URL;
  return {
    provider,
    model: model ?? DEFAULT_MODELS[provider][tier],
    ...(baseUrl ? { baseUrl } : {}),
  };
}

function resolveTier(
  tier: RemoteTier,
  upstream: UpstreamInput | undefined,
  env: Env,
): ResolvedUpstream | MissingTier {
  const raw = upstream ?? envTier(tier, env);
  if (!raw) {
    return {
      tier,
      setting: 'ANTHROPIC_API_KEY',
      message: `No upstream is configured for the ${tier} tier. Set ANTHROPIC_API_KEY (or OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server such as vLLM or Ollama) on the gateway, or add tiers.${tier} to the file named by TIER_ASSIST_CONFIG.`,
    };
  }
  const up = UpstreamSchema.parse(raw);
  const keyEnv = up.apiKeyEnv ?? DEFAULT_KEY_ENV[up.provider];
  const apiKey = up.apiKey ?? env[keyEnv];
  const baseUrl = (up.baseUrl ?? DEFAULT_BASE[up.provider]).replace(/\/+$/, '');
  // A keyless OpenAI-compatible server (Ollama, vLLM) is fine when a base URL was given; vendors need keys.
  const keyless = up.provider === 'openai' && up.baseUrl !== undefined;
  if (!apiKey && !keyless) {
    return {
      tier,
      setting: keyEnv,
      message: `The ${tier} tier uses ${up.provider} but ${keyEnv} is not set on the gateway. Set it and restart.`,
    };
  }
  return { tier, provider: up.provider, model: up.model, baseUrl, apiKey, maxTokens: up.maxTokens };
}

const SMALL_ENV = {
  baseUrl: 'TIER_ASSIST_SMALL_BASE_URL',
  model: 'TIER_ASSIST_SMALL_MODEL',
  key: 'TIER_ASSIST_SMALL_API_KEY',
  priceInput: 'TIER_ASSIST_SMALL_PRICE_INPUT',
  priceOutput: 'TIER_ASSIST_SMALL_PRICE_OUTPUT',
} as const;

/** The small tier from env: TIER_ASSIST_SMALL_BASE_URL and TIER_ASSIST_SMALL_MODEL turn it on. */
function envSmall(env: Env): SmallUpstreamInput | undefined {
  const baseUrl = env[SMALL_ENV.baseUrl];
  if (!baseUrl) return undefined;
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigError(
        `${name} must be a price in USD per million tokens (a number >= 0), not "${raw}".`,
        {
          data: { field: name },
        },
      );
    return value;
  };
  const input = number(SMALL_ENV.priceInput);
  const output = number(SMALL_ENV.priceOutput);
  return {
    provider: 'openai',
    baseUrl,
    // Without a model name the tier cannot be called: an empty string fails the schema with the setting named.
    model: env[SMALL_ENV.model] ?? '',
    ...(input !== undefined || output !== undefined
      ? { price: { input: input ?? 0, output: output ?? 0 } }
      : {}),
  };
}

function resolveSmall(raw: SmallUpstreamInput | undefined, env: Env): ResolvedUpstream | MissingTier {
  const input = raw ?? envSmall(env);
  if (!input) {
    return {
      tier: 'small',
      setting: SMALL_ENV.baseUrl,
      message: `No small tier is configured. Set ${SMALL_ENV.baseUrl} (an OpenAI-compatible server such as vLLM, llama.cpp's server or Ollama) and ${SMALL_ENV.model}, or add tiers.small to the file named by TIER_ASSIST_CONFIG.`,
    };
  }
  const up = parse(
    SmallUpstreamSchema,
    input,
    `small tier (tiers.small, or ${SMALL_ENV.baseUrl} with ${SMALL_ENV.model})`,
  );
  const apiKey = up.apiKey ?? env[up.apiKeyEnv ?? SMALL_ENV.key];
  return {
    tier: 'small',
    provider: 'openai',
    model: up.model,
    baseUrl: up.baseUrl.replace(/\/+$/, ''),
    apiKey: apiKey || undefined,
    maxTokens: up.maxTokens,
    prices: {
      ...PRICES,
      models: { [up.model]: { provider: 'self-hosted', input: up.price.input, output: up.price.output } },
    },
  };
}

/** Parse a config object (the file's JSON, or `{}` when there is none) and resolve tiers from env. */
export function loadConfig(file: unknown, env: Env = {}): { config: GatewayConfig; tiers: TierTable } {
  const withEnv: Record<string, unknown> = typeof file === 'object' && file !== null ? { ...file } : {};
  if (withEnv.store === undefined && env.REDIS_URL) withEnv.store = { kind: 'redis', url: env.REDIS_URL };
  if (withEnv.usageLog === undefined && env.TIER_ASSIST_USAGE_LOG)
    withEnv.usageLog = { kind: 'file', path: env.TIER_ASSIST_USAGE_LOG };
  const config = parse(GatewayConfigSchema, withEnv, 'gateway config');
  const tiers: TierTable = {
    small: resolveSmall(config.tiers.small, env),
    mid: resolveTier('mid', config.tiers.mid, env),
    frontier: resolveTier('frontier', config.tiers.frontier, env),
  };
  return { config, tiers };
}
