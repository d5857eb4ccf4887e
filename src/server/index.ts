/**
 * The gateway as a library (`tier-assist-gateway`): createGateway(config) returns the Hono app, to mount
 * in any server or to export from a serverless function (anything that calls `app.fetch(request)`).
 * Runtime-neutral on purpose: nothing in this entry's import graph uses a Node built-in, Redis or a socket
 * (that wiring is `tier-assist-gateway/node`, node.ts). Without options the app keeps limits, budgets and
 * the usage log in memory, per instance; pass `store` and `usageLog` to share them. ADR 0005.
 */
import type { Context } from 'hono';
import { createApp } from './app.ts';
import { loadConfig, type GatewayConfig, type GatewayConfigInput, type TierTable } from './config.ts';
import type { GatewayStore } from './stores/types.ts';
import type { UsageLog } from './usage.ts';

export { loadConfig, GatewayConfigSchema, isResolved } from './config.ts';
export type {
  GatewayConfig,
  GatewayConfigInput,
  MissingTier,
  ResolvedUpstream,
  Site,
  TierTable,
  UpstreamInput,
  User,
} from './config.ts';
export type { GatewayStore } from './stores/types.ts';
export type { UsageLog, UsageRecord } from './usage.ts';
export { createMemoryStore } from './stores/memory.ts';
export { createMemoryUsageLog } from './usage.ts';

export interface GatewayOptions {
  /**
   * Environment the config is completed from: provider keys (ANTHROPIC_API_KEY, OPENAI_API_KEY...),
   * REDIS_URL, the tier model names (docs/gateway.md, Environment). Default `{}`: pass `process.env` on
   * Node, the bindings object on Workers.
   */
  env?: Record<string, string | undefined>;
  /** Limits and budgets store (default: in memory, per instance). */
  store?: GatewayStore;
  /** Where usage records go (default: in memory, per instance). */
  usageLog?: UsageLog;
  /** fetch used to reach the providers (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Client IP for per-IP limits (default: X-Forwarded-For when config.trustProxy, else "unknown"). */
  clientIp?: (c: Context) => string | undefined;
  /** Version /healthz reports. */
  version?: string;
  /** Where unexpected errors are reported (default console.error). */
  log?: (error: unknown) => void;
  now?: () => number;
}

/** A config the gateway already parsed (loadConfig's result), to skip parsing it again. */
export interface LoadedConfig {
  config: GatewayConfig;
  tiers: TierTable;
}

function isLoaded(value: unknown): value is LoadedConfig {
  return (
    typeof value === 'object' &&
    value !== null &&
    'config' in value &&
    'tiers' in value &&
    typeof (value as { tiers: unknown }).tiers === 'object'
  );
}

/**
 * The gateway's Hono app from a config object (the JSON file's shape) or loadConfig's result.
 * Throws TierError `config_invalid` naming the first bad field.
 */
export function createGateway(config: GatewayConfigInput | LoadedConfig = {}, options: GatewayOptions = {}) {
  const loaded = isLoaded(config) ? config : loadConfig(config, options.env ?? {});
  return createApp({
    config: loaded.config,
    tiers: loaded.tiers,
    ...(options.store ? { store: options.store } : {}),
    ...(options.usageLog ? { usageLog: options.usageLog } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.clientIp ? { clientIp: options.clientIp } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
