/**
 * `npm start`: the gateway on Node, also serving the demo site (public/) and the built components
 * (dist/components) so a newcomer sees the product at http://localhost:8787.
 *
 * Config: the JSON file named by TIER_ASSIST_CONFIG (optional) plus env (ANTHROPIC_API_KEY, OPENAI_API_KEY,
 * OPENAI_BASE_URL, REDIS_URL, TIER_ASSIST_USAGE_LOG, PORT, HOST...; see docs/gateway.md). This file wires
 * the Node-only pieces into the runtime-neutral app: the file/Redis usage log, the Redis store, the
 * socket address as client IP, static files, and a graceful shutdown that flushes the usage log.
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TierError } from '../errors.ts';
import { createApp } from './app.ts';
import { crossOriginIsolation } from './middleware/isolation.ts';
import { isResolved, loadConfig } from './config.ts';
import { createNodeTransport } from './node-transport.ts';
import { createMemoryStore } from './stores/memory.ts';
import { createRedisStore } from './stores/redis.ts';
import { createRedisUsageLog } from './stores/redis-usage.ts';
import type { GatewayStore } from './stores/types.ts';
import { createFileUsageLog } from './usage-file.ts';
import { createMemoryUsageLog, type UsageLog } from './usage.ts';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

export interface StartOptions {
  port: number;
  hostname?: string;
  root?: string;
  env?: Record<string, string | undefined>;
  /** Serve public/ and dist/components (default true). */
  staticFiles?: boolean;
}

export function startServer(options: StartOptions) {
  const env = options.env ?? process.env;
  const root = options.root ?? findRoot(dirname(fileURLToPath(import.meta.url)));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const file = env.TIER_ASSIST_CONFIG
    ? (JSON.parse(readFileSync(env.TIER_ASSIST_CONFIG, 'utf8')) as unknown)
    : {};
  const { config, tiers } = loadConfig(file, env);
  const log = (error: unknown) => console.error('[tier-assist gateway]', error);

  const store: GatewayStore =
    config.store.kind === 'redis'
      ? createRedisStore({
          url: config.store.url,
          prefix: config.store.prefix,
          ...(config.store.commandTimeoutMs ? { commandTimeoutMs: config.store.commandTimeoutMs } : {}),
          onOutage: (error) =>
            log(`Redis store unreachable (requests needing it get 503 until it is back): ${String(error)}`),
          onRecover: () => log('Redis store reachable again'),
        })
      : createMemoryStore();
  let usageLog: UsageLog;
  if (config.usageLog.kind === 'redis') {
    const url = config.usageLog.url ?? (config.store.kind === 'redis' ? config.store.url : env.REDIS_URL);
    if (!url)
      throw new TierError(
        'config_invalid',
        'usageLog.kind "redis" needs usageLog.url, a redis store or REDIS_URL.',
      );
    usageLog = createRedisUsageLog({
      url,
      stream: config.usageLog.stream,
      onError: log,
      ...(config.store.kind === 'redis' && config.store.commandTimeoutMs
        ? { commandTimeoutMs: config.store.commandTimeoutMs }
        : {}),
    });
  } else if (config.usageLog.kind === 'memory') usageLog = createMemoryUsageLog();
  else usageLog = createFileUsageLog(resolve(config.usageLog.path), { onError: log });

  const transport = createNodeTransport();
  const app = createApp({
    version: pkg.version,
    transport,
    config,
    tiers,
    store,
    usageLog,
    log,
    clientIp: (c) => {
      try {
        return getConnInfo(c).remote.address;
      } catch {
        return undefined;
      }
    },
  });
  if (options.staticFiles !== false) {
    const rel = (p: string) => relative(process.cwd(), resolve(root, p)) || '.';
    // Isolated pages get SharedArrayBuffer, so the wasm engine runs multi-threaded (docs/isolation.md).
    app.use('/*', crossOriginIsolation());
    app.use('/components/*', serveStatic({ root: rel('dist') }));
    app.use('/*', serveStatic({ root: rel('public') }));
  }
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' });
  const close = async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await usageLog.close();
    await store.close();
    transport.close();
  };
  return { server, app, config, tiers, usageLog, store, close };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = Number(process.env.PORT ?? 8787);
  let started: ReturnType<typeof startServer>;
  try {
    started = startServer({
      port,
      hostname: process.env.HOST ?? '0.0.0.0',
      staticFiles: process.env.TIER_ASSIST_STATIC !== '0',
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  started.server.on('listening', () => {
    const address = started.server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    const tiers = (['mid', 'frontier'] as const)
      .map((t) => {
        const u = started.tiers[t];
        return isResolved(u) ? `${t}=${u.provider}:${u.model}` : `${t}=not configured (set ${u.setting})`;
      })
      .join(', ');
    // The e2e helper reads this line for the port.
    console.log(`tier-assist gateway and demo on http://localhost:${actual} (${tiers})`);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: flushing the usage log and stopping`);
    started
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
