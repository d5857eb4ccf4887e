/**
 * Requests/minute and tokens/minute per site, user and IP, in sliding one-minute windows kept in the store
 * (stores/sliding-window.ts; shared across processes with Redis). A request is counted only when every
 * scope admits it; tokens are counted after each answer, and a window with no room left for one token
 * refuses new requests until enough has slid out. 429 with retry-after = when the refusing window has room.
 * The scopes and window keys live in ../rate-windows.ts (the chat handler counts tokens with them).
 */
import type { MiddlewareHandler } from 'hono';
import { RateLimitError } from '../../errors.ts';
import type { GatewayConfig } from '../config.ts';
import type { GatewayEnv } from '../principal.ts';
import { MINUTE_MS, scopesOf, windowKey, type Scope } from '../rate-windows.ts';
import type { GatewayStore, WindowCheck } from '../stores/types.ts';

export function rateLimit(options: {
  store: GatewayStore;
  config: GatewayConfig;
  now: () => number;
}): MiddlewareHandler<GatewayEnv> {
  return async function limitRate(c, next) {
    const scopes = scopesOf(c.var.principal, options.config);
    // One atomic store call for every scope: token windows must still have room for one token (checked,
    // not counted), request windows for this request (counted only when everything admits it).
    const checks: (WindowCheck & { scope: Scope; what: string })[] = [];
    for (const scope of scopes) {
      if (scope.limit.tokensPerMinute)
        checks.push({
          key: windowKey('tok', scope),
          limit: scope.limit.tokensPerMinute,
          need: 1,
          add: 0,
          scope,
          what: 'tokens',
        });
    }
    for (const scope of scopes) {
      if (scope.limit.requestsPerMinute)
        checks.push({
          key: windowKey('req', scope),
          limit: scope.limit.requestsPerMinute,
          need: 1,
          add: 1,
          scope,
          what: 'requests',
        });
    }
    if (checks.length > 0) {
      const r = await options.store.admit(checks, MINUTE_MS, options.now());
      if (!r.allowed) {
        const refused = checks[r.refused]!;
        const retryAfterSeconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
        throw new RateLimitError(
          `Too many ${refused.what} for this ${refused.scope.name} in the last minute. Try again in ${retryAfterSeconds} s.`,
          { data: { retryAfterSeconds, scope: refused.scope.name } },
        );
      }
    }
    await next();
  };
}
