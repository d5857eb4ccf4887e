/**
 * Who is asking: CORS for allowed origins, then a principal from a site token (HMAC, audience = origin),
 * an extension user token, or, with no sites configured, same-origin/localhost only.
 * 403 for an origin no site allows; 401 for a missing, forged or expired token.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthorizedError } from '../../errors.ts';
import type { GatewayConfig, Site } from '../config.ts';
import type { GatewayEnv } from '../principal.ts';
import { isSiteToken, peekToken, safeEqual, verifyToken } from '../tokens.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLocalOrigin(origin: string): boolean {
  try {
    return LOCAL_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** An IP literal (v4 or bracketed v6): a name a DNS-rebinding page cannot be served under. */
function isIpHost(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

/**
 * Same-origin as the gateway itself. Only for local names and IP literals: a page under a DNS name that
 * rebinds to this machine would otherwise count as "same origin" (configure sites for real hostnames).
 */
function sameOrigin(origin: string, c: Context): boolean {
  try {
    const url = new URL(origin);
    const same = new URL(c.req.url).origin === origin || url.host === c.req.header('host');
    return same && (LOCAL_HOSTS.has(url.hostname) || isIpHost(url.hostname));
  } catch {
    return false;
  }
}

export function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}

export interface AccessOptions {
  config: GatewayConfig;
  now: () => number;
  clientIp: (c: Context) => string;
}

/** Is this Origin allowed to call at all (CORS)? */
export function originAllowed(origin: string, c: Context, config: GatewayConfig): boolean {
  if (config.sites.some((s) => s.origins.includes(origin))) return true;
  if (
    config.users.some((u) =>
      u.origins ? u.origins.includes(origin) : origin.startsWith('chrome-extension://'),
    )
  )
    return true;
  if (config.sites.length === 0) return isLocalOrigin(origin) || sameOrigin(origin, c);
  return sameOrigin(origin, c);
}

/** What a page's script may read: when to retry, and which tier answered and why (the gateway's routing). */
const EXPOSED_HEADERS =
  'retry-after, x-tier-assist-tier, x-tier-assist-route, x-tier-assist-reason, x-tier-assist-escalated';

function corsHeaders(c: Context, origin: string): void {
  c.header('access-control-allow-origin', origin);
  c.header('vary', 'Origin', { append: true });
  c.header('access-control-expose-headers', EXPOSED_HEADERS);
}

/** CORS for /v1/*: preflights answered here; foreign origins get 403 before anything else runs. */
export function cors(options: { config: GatewayConfig }): MiddlewareHandler {
  return async function corsForAllowedOrigins(c, next) {
    const origin = c.req.header('origin');
    if (origin && !originAllowed(origin, c, options.config)) {
      throw new ForbiddenError(
        `The origin ${origin} is not allowed to use this gateway. Add it to a site's "origins" in the gateway config.`,
        { data: { origin } },
      );
    }
    if (c.req.method === 'OPTIONS') {
      if (origin) corsHeaders(c, origin);
      c.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      c.header('access-control-allow-headers', 'authorization, content-type, accept');
      c.header('access-control-max-age', '600');
      return c.body(null, 204);
    }
    if (origin) corsHeaders(c, origin);
    await next();
    return undefined;
  };
}

/** Resolve the principal for a chat request (sets `c.var.principal`). */
export function authenticate(options: AccessOptions): MiddlewareHandler<GatewayEnv> {
  const { config } = options;
  return async function authenticateCaller(c, next) {
    const origin = c.req.header('origin');
    const ip = options.clientIp(c);
    const token = bearer(c);
    if (token && !isSiteToken(token)) {
      const user = config.users.find((u) => safeEqual(u.token, token));
      if (!user)
        throw new UnauthorizedError(
          'The bearer token is not a valid user token. Check the token in the extension options.',
        );
      if (origin && user.origins && !user.origins.includes(origin))
        throw new ForbiddenError(`The user token may not be used from ${origin}.`, { data: { origin } });
      const siteConfig = user.site ? config.sites.find((s) => s.id === user.site) : undefined;
      c.set('principal', {
        site: user.site ?? `user:${user.id}`,
        siteConfig,
        user: user.id,
        ip,
        origin,
        via: 'user-token',
      });
      return next();
    }
    if (token) {
      const peeked = peekToken(token);
      const site = config.sites.find((s) => s.id === peeked.site);
      if (!site)
        throw new UnauthorizedError(
          'The token names a site this gateway does not know. Mint a new one at POST /v1/tokens.',
        );
      const payload = await verifyToken(token, site.secret, options.now());
      if (origin !== undefined && payload.aud !== origin)
        throw new UnauthorizedError(
          `The token was minted for ${payload.aud}, not ${origin}. Mint one for this origin.`,
        );
      if (!site.origins.includes(payload.aud))
        throw new UnauthorizedError(
          'The token audience is no longer an allowed origin of its site. Mint a new one.',
        );
      c.set('principal', {
        site: site.id,
        siteConfig: site,
        user: payload.sub,
        ip,
        origin,
        via: 'site-token',
      });
      return next();
    }
    if (config.sites.length === 0 && (!origin || isLocalOrigin(origin) || sameOrigin(origin, c))) {
      c.set('principal', { site: 'local', siteConfig: undefined, user: undefined, ip, origin, via: 'local' });
      return next();
    }
    throw new UnauthorizedError(
      "A token is required. The site's backend mints one at POST /v1/tokens with its site secret (see docs/gateway.md).",
    );
  };
}

/** The site whose secret is presented as the bearer (for POST /v1/tokens and GET /v1/usage). */
export function siteBySecret(c: Context, config: GatewayConfig): Site {
  const token = bearer(c);
  const site = token ? config.sites.find((s) => safeEqual(s.secret, token)) : undefined;
  if (!site)
    throw new UnauthorizedError(
      'Present a site secret as "Authorization: Bearer <secret>" (from the site\'s entry in the gateway config).',
    );
  return site;
}
