/**
 * Requests/minute and tokens/minute per site, user and IP, in fixed one-minute windows kept in the store
 * (shared across processes with Redis). Tokens are counted after each answer; a window already over its
 * token limit refuses new requests until it resets. 429 with retry-after.
 */
import type { MiddlewareHandler } from 'hono';
import { RateLimitError } from '../../errors.ts';
import type { GatewayConfig, RateLimit } from '../config.ts';
import type { GatewayStore } from '../stores/types.ts';
import type { GatewayEnv, Principal } from './access.ts';

const MINUTE = 60_000;

interface Scope {
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

function windowKey(kind: 'req' | 'tok', scope: Scope, now: number): string {
  return `${kind}:${scope.name}:${scope.id}:${Math.floor(now / MINUTE)}`;
}

function refuse(scope: Scope, what: string, resetMs: number): never {
  const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
  throw new RateLimitError(
    `Too many ${what} for this ${scope.name} this minute. Try again in ${retryAfterSeconds} s.`,
    {
      data: { retryAfterSeconds, scope: scope.name },
    },
  );
}

export function rateLimit(options: {
  store: GatewayStore;
  config: GatewayConfig;
  now: () => number;
}): MiddlewareHandler<GatewayEnv> {
  return async function limitRate(c, next) {
    const now = options.now();
    const scopes = scopesOf(c.var.principal, options.config);
    for (const scope of scopes) {
      if (scope.limit.tokensPerMinute) {
        const w = await options.store.readWindow(windowKey('tok', scope, now));
        if (w.total >= scope.limit.tokensPerMinute)
          refuse(scope, 'tokens', w.resetMs || MINUTE - (now % MINUTE));
      }
    }
    for (const scope of scopes) {
      if (scope.limit.requestsPerMinute) {
        const w = await options.store.incrementWindow(windowKey('req', scope, now), 1, MINUTE + 1000);
        if (w.total > scope.limit.requestsPerMinute) refuse(scope, 'requests', w.resetMs);
      }
    }
    await next();
  };
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
  await Promise.all(
    scopesOf(p, config)
      .filter((s) => s.limit.tokensPerMinute)
      .map((s) => store.incrementWindow(windowKey('tok', s, now), tokens, MINUTE + 1000)),
  );
}
