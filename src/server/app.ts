/**
 * The gateway as a runtime-neutral Hono app: Node serves it in cli.ts (which also wires the Node-only
 * stores and usage log); tests call `app.request()`. Routes:
 *   GET  /healthz              liveness JSON (503 while the shared store is unreachable)
 *   GET  /metrics              Prometheus text (tier_assist_*)
 *   GET  /v1/tiers             which tiers are configured (no keys, no URLs)
 *   GET  /v1/models            OpenAI's model list: the values `model` takes ("auto" and the tiers)
 *   POST /v1/tokens            site backend mints a browser token (site secret as bearer)
 *   GET  /v1/usage             per-day usage summary of the site (site secret as bearer)
 *   POST /v1/chat/completions  OpenAI-compatible, names a tier; SSE or JSON
 *   POST /v1/feedback          a batch of feedback records for the caller's site (feedback.ts)
 *   GET  /v1/router            the site's learned online router and its counts
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { GatewayTier } from '../config/index.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { PRICES } from '../ledger/prices.ts';
import { acceptedModels } from './auto-route.ts';
import { createChatHandler } from './chat.ts';
import { mountFeedback } from './feedback.ts';
import { isResolved, loadConfig, type GatewayConfig, type TierTable } from './config.ts';
import { GatewayMetrics } from './metrics.ts';
import { authenticate, cors, siteBySecret } from './middleware/access.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { errorHandler } from './middleware/errors.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import type { GatewayEnv } from './principal.ts';
import { fetchTransport, type Transport } from './providers/index.ts';
import { createMemoryStore } from './stores/memory.ts';
import { STORE_RETRY_AFTER_SECONDS, type GatewayStore } from './stores/types.ts';
import { DAY_MS, utcDay } from './time.ts';
import { signToken } from './tokens.ts';
import { createMemoryUsageLog, createUsageSummary, type UsageLog } from './usage.ts';

export interface AppOptions {
  /** Version reported by /healthz. */
  version?: string;
  /** Parsed config and resolved tiers (default: `loadConfig({}, {})`, i.e. nothing configured). */
  config?: GatewayConfig;
  tiers?: TierTable;
  store?: GatewayStore;
  usageLog?: UsageLog;
  metrics?: GatewayMetrics;
  /** fetch used to reach providers (tests may pass a wrapped one). */
  fetch?: typeof fetch;
  /** How providers are reached (overrides fetch; cli.ts passes a node:http transport with keep-alive). */
  transport?: Transport;
  now?: () => number;
  /** Client IP (cli.ts passes the socket's address); X-Forwarded-For is used when config.trustProxy. */
  clientIp?: (c: Context) => string | undefined;
  /** Where unexpected errors and usage-log write failures are reported. */
  log?: (error: unknown) => void;
}

const MintSchema = z.object({
  /** The page origin that will present the token (must be one of the site's origins). */
  origin: z.string().min(1),
  /** End-user id for per-user limits (optional, opaque). */
  user: z.string().min(1).max(128).optional(),
  ttlSeconds: z.number().int().positive().max(86_400).optional(),
});

const DaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD');

/** What the routes share, resolved once from AppOptions. */
interface AppParts {
  config: GatewayConfig;
  tiers: TierTable;
  store: GatewayStore;
  usageLog: UsageLog;
  metrics: GatewayMetrics;
  now: () => number;
  log: (error: unknown) => void;
}

export function createApp(options: AppOptions = {}): Hono<GatewayEnv> {
  const loaded = options.config && options.tiers ? undefined : loadConfig({}, {});
  const parts: AppParts = {
    config: options.config ?? loaded!.config,
    tiers: options.tiers ?? loaded!.tiers,
    store: options.store ?? createMemoryStore(),
    usageLog: options.usageLog ?? createMemoryUsageLog(),
    metrics: options.metrics ?? new GatewayMetrics(),
    now: options.now ?? Date.now,
    log: options.log ?? ((error: unknown) => console.error('[tier-assist gateway]', error)),
  };
  const { config, metrics, log } = parts;

  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler({ metrics, log }));
  app.notFound((c) => {
    throw new NotFoundError(
      `No route ${c.req.method} ${new URL(c.req.url).pathname}. See docs/gateway.md for the endpoints.`,
    );
  });
  mountStatus(app, parts, options.version ?? '0.0.0');
  app.use('/v1/*', cors({ config }));
  app.use('/v1/*', bodyLimit({ maxBytes: config.limits.bodyBytes }));
  mountSiteApi(app, parts);
  mountChat(app, parts, options);
  return app;
}

/** GET /healthz and GET /metrics. */
function mountStatus(app: Hono<GatewayEnv>, parts: AppParts, version: string): void {
  const { tiers, store, usageLog, metrics, now } = parts;
  const startedAt = now();
  app.get('/healthz', async (c) => {
    const storeHealth = await store.health();
    return c.json(
      {
        status: storeHealth.ok ? 'ok' : 'store_unavailable',
        version,
        uptimeSeconds: Math.round((now() - startedAt) / 1000),
        tiers: {
          ...(isResolved(tiers.small) ? { small: true } : {}),
          mid: isResolved(tiers.mid),
          frontier: isResolved(tiers.frontier),
        },
        store: storeHealth,
      },
      storeHealth.ok ? 200 : 503,
      storeHealth.ok ? {} : { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
    );
  });

  app.get('/metrics', (c) => {
    const s = usageLog.stats();
    const st = store.stats();
    const extra = [
      '# HELP tier_assist_store_up Whether the shared store (limits, budgets) was reachable at its last use.',
      '# TYPE tier_assist_store_up gauge',
      `tier_assist_store_up{store="${st.kind}"} ${st.ok ? 1 : 0}`,
      '# HELP tier_assist_store_outages_total Times the shared store became unreachable.',
      '# TYPE tier_assist_store_outages_total counter',
      `tier_assist_store_outages_total{store="${st.kind}"} ${st.outages}`,
      '# HELP tier_assist_store_failures_total Store operations that failed (store down or timed out).',
      '# TYPE tier_assist_store_failures_total counter',
      `tier_assist_store_failures_total{store="${st.kind}"} ${st.failures}`,
      '# HELP tier_assist_usage_log_pending Usage records waiting to be written.',
      '# TYPE tier_assist_usage_log_pending gauge',
      `tier_assist_usage_log_pending ${s.pending}`,
      '# HELP tier_assist_usage_log_write_failures_total Failed usage-log writes (retried, never dropped).',
      '# TYPE tier_assist_usage_log_write_failures_total counter',
      `tier_assist_usage_log_write_failures_total ${s.failures}`,
    ];
    return c.text(metrics.render(extra), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}

/** GET /v1/tiers (public), POST /v1/tokens and GET /v1/usage (site secret as bearer). */
function mountSiteApi(app: Hono<GatewayEnv>, parts: AppParts): void {
  const { config, tiers } = parts;
  // `small` is listed only where configured (it is optional; mid and frontier are listed either way).
  const listed: GatewayTier[] = isResolved(tiers.small) ? ['small', 'mid', 'frontier'] : ['mid', 'frontier'];
  app.get('/v1/tiers', (c) =>
    c.json({
      tiers: listed.map((tier) => {
        const t = tiers[tier];
        return isResolved(t)
          ? { tier, configured: true, provider: t.provider, model: t.model, maxTokens: t.maxTokens }
          : { tier, configured: false, setting: t.setting, message: t.message };
      }),
      fallback: config.reliability.fallback,
      prices: { version: PRICES.version, recordedOn: PRICES.recordedOn },
    }),
  );
  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: acceptedModels(tiers).map((id) => ({ id, object: 'model', created: 0, owned_by: 'tier-assist' })),
    }),
  );
  app.post('/v1/tokens', (c) => mintToken(c, parts));
  app.get('/v1/usage', (c) => usageSummary(c, parts));
}

async function mintToken(c: Context<GatewayEnv>, { config, now }: AppParts): Promise<Response> {
  const site = siteBySecret(c, config);
  const raw: unknown = await c.req.json().catch(() => {
    throw new InvalidInputError(
      'The body must be JSON: {"origin": "https://your.site", "user"?: "...", "ttlSeconds"?: 600}.',
    );
  });
  const parsed = MintSchema.safeParse(raw);
  if (!parsed.success)
    throw new InvalidInputError(
      'The body must be {"origin": "https://your.site", "user"?: "...", "ttlSeconds"?: 600}.',
      {
        data: { field: parsed.error.issues[0]?.path.map(String).join('.') ?? '' },
      },
    );
  const { origin, user } = parsed.data;
  if (!site.origins.includes(origin))
    throw new InvalidInputError(
      `${origin} is not one of site ${site.id}'s origins. Add it to the site's "origins" first.`,
      {
        data: { field: 'origin' },
      },
    );
  const ttl = Math.min(parsed.data.ttlSeconds ?? config.tokens.ttlSeconds, config.tokens.ttlSeconds);
  const exp = Math.floor(now() / 1000) + ttl;
  const token = await signToken(
    { site: site.id, aud: origin, exp, ...(user ? { sub: user } : {}) },
    site.secret,
  );
  return c.json({ token, expiresAt: exp * 1000, expiresIn: ttl });
}

async function usageSummary(
  c: Context<GatewayEnv>,
  { config, store, usageLog, now }: AppParts,
): Promise<Response> {
  const site = siteBySecret(c, config);
  const today = utcDay(now());
  const to = c.req.query('to') ?? today;
  const from = c.req.query('from') ?? utcDay(now() - 29 * DAY_MS);
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DaySchema.safeParse(value).success)
      throw new InvalidInputError(`Query "${name}" must be a UTC day as YYYY-MM-DD.`, {
        data: { field: name },
      });
  }
  // Streamed: the log is read in chunks/pages and summed as it comes, never held whole in memory.
  const summary = createUsageSummary();
  for await (const r of usageLog.scan({ site: site.id, from, to })) summary.add(r);
  const days = summary.days();
  const total = days.reduce(
    (t, d) => ({
      requests: t.requests + d.requests,
      costUsd: t.costUsd + d.costUsd,
      frontierCostUsd: t.frontierCostUsd + d.frontierCostUsd,
    }),
    { requests: 0, costUsd: 0, frontierCostUsd: 0 },
  );
  const budget = site.dailyBudgetUsd !== undefined ? await store.budget(`${site.id}:${today}`) : undefined;
  return c.json({
    site: site.id,
    from,
    to,
    days,
    total: { ...total, savedUsd: total.frontierCostUsd - total.costUsd },
    ...(budget
      ? {
          budgetToday: {
            limitUsd: site.dailyBudgetUsd,
            spentUsd: budget.spentNanos / 1e9,
            reservedUsd: budget.reservedNanos / 1e9,
          },
        }
      : {}),
  });
}

/** POST /v1/chat/completions behind authentication and the rate limits. */
function mountChat(app: Hono<GatewayEnv>, parts: AppParts, options: AppOptions): void {
  const { config, store, now } = parts;
  const clientIp = (c: Context): string => {
    if (config.trustProxy) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    return options.clientIp?.(c) ?? 'unknown';
  };
  const guards = [authenticate({ config, now, clientIp }), rateLimit({ store, config, now })] as const;
  app.post(
    '/v1/chat/completions',
    ...guards,
    createChatHandler({
      ...parts,
      transport:
        options.transport ??
        fetchTransport(options.fetch ?? ((input, init) => globalThis.fetch(input, init))),
      onUsageError: parts.log,
    }),
  );
  // Feedback and the site's learned router: the same origin checks, authentication and rate limits.
  mountFeedback(app, { store, guards, log: parts.log });
}
