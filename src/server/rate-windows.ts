/**
 * The sliding one-minute windows behind the rate limits: which scopes (site, IP, user) a principal is
 * counted in and their store keys. The rate-limit middleware checks them before a request; the chat
 * handler counts an answer's tokens into them after it. Shared here so neither imports the other.
 */
import type { GatewayConfig, RateLimit } from './config.ts';
import type { Principal } from './principal.ts';
import type { GatewayStore } from './stores/types.ts';

export const MINUTE_MS = 60_000;

export interface Scope {
  name: 'site' | 'user' | 'ip';
  id: string;
  limit: RateLimit;
}

export function scopesOf(p: Principal, config: GatewayConfig): Scope[] {
  const scopes: Scope[] = [
    { name: 'site', id: p.site, limit: { ...config.limits.perSite, ...p.siteConfig?.limits } },
    { name: 'ip', id: p.ip, limit: config.limits.perIp },
  ];
  if (p.user) scopes.push({ name: 'user', id: `${p.site}/${p.user}`, limit: config.limits.perUser });
  return scopes;
}

export function windowKey(kind: 'req' | 'tok', scope: Scope): string {
  return `${kind}:${scope.name}:${scope.id}`;
}

/** Count an answer's tokens into every scope's tokens/minute window. */
export async function countTokens(
  store: GatewayStore,
  p: Principal,
  config: GatewayConfig,
  tokens: number,
  now: number,
): Promise<void> {
  if (tokens <= 0) return;
  const checks = scopesOf(p, config)
    .filter((s) => s.limit.tokensPerMinute)
    .map((s) => ({ key: windowKey('tok', s), limit: Infinity, need: 0, add: tokens }));
  if (checks.length > 0) await store.admit(checks, MINUTE_MS, now);
}
