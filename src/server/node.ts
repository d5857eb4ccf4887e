/**
 * The gateway on Node (`tier-assist-gateway/node`): the runtime-neutral app (index.ts) plus what only Node
 * has: the JSONL file or Redis usage log, the Redis store, the socket address as client IP, keep-alive
 * connections to providers, static folders, a listening server and a close() that flushes the usage log.
 * The command (cli.ts) and `npm start` are thin shells over startGateway(). See docs/gateway.md
 * ("Run the gateway") and docs/adr/0005-packages.md.
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { TierError } from '../errors.ts';
import { createApp } from './app.ts';
import { loadConfig, type GatewayConfig, type TierTable } from './config.ts';
import { crossOriginIsolation } from './middleware/isolation.ts';
import { createNodeTransport } from './node-transport.ts';
import { createMemoryStore } from './stores/memory.ts';
import { createRedisStore } from './stores/redis.ts';
import { createRedisUsageLog } from './stores/redis-usage.ts';
import type { GatewayStore } from './stores/types.ts';
import { createFileUsageLog } from './usage-file.ts';
import { createMemoryUsageLog, type UsageLog } from './usage.ts';

/** A folder served after the API: `route` is matched first, then the request path is looked up under `root`. */
export interface StaticMount {
  /** Hono route pattern, e.g. `/*` or `/components/*`. */
  route: string;
  /** Folder the request path is appended to (`/components/x.js` under root `dist` is `dist/components/x.js`). */
  root: string;
}

export interface StartGatewayOptions {
  /** Port to listen on (default 8787; 0 picks a free one: read it from `server.address()`). */
  port?: number;
  /** Interface to listen on (default 0.0.0.0). */
  hostname?: string;
  /** Environment the config is completed from (provider keys, REDIS_URL...; default process.env). */
  env?: Record<string, string | undefined>;
  /**
   * The config object (the JSON file's shape, docs/gateway.md). Default: the file named by `configFile`,
   * else by env.TIER_ASSIST_CONFIG, else `{}` (everything from env).
   */
  config?: unknown;
  /** Path of a JSON config file (used when `config` is not given). */
  configFile?: string;
  /** Folders to serve besides the API, cross-origin isolated (docs/isolation.md). Default: none. */
  static?: StaticMount[];
  /** Version /healthz reports. */
  version?: string;
  /** Where unexpected errors and usage-log failures are reported (default console.error). */
  log?: (error: unknown) => void;
}

export interface RunningGateway {
  server: ReturnType<typeof serve>;
  app: ReturnType<typeof createApp>;
  config: GatewayConfig;
  tiers: TierTable;
  usageLog: UsageLog;
  store: GatewayStore;
  /** Stop listening, flush the usage log, close Redis and provider connections. */
  close: () => Promise<void>;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TierError(
      'config_invalid',
      `Cannot read the config file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path given to --config or TIER_ASSIST_CONFIG.`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TierError(
      'config_invalid',
      `The config file ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

function createStore(config: GatewayConfig, log: (error: unknown) => void): GatewayStore {
  if (config.store.kind !== 'redis') return createMemoryStore();
  return createRedisStore({
    url: config.store.url,
    prefix: config.store.prefix,
    ...(config.store.commandTimeoutMs ? { commandTimeoutMs: config.store.commandTimeoutMs } : {}),
    onOutage: (error) =>
      log(`Redis store unreachable (requests needing it get 503 until it is back): ${String(error)}`),
    onRecover: () => log('Redis store reachable again'),
  });
}

function createUsageLog(
  config: GatewayConfig,
  env: Record<string, string | undefined>,
  log: (error: unknown) => void,
): UsageLog {
  if (config.usageLog.kind === 'redis') {
    const url = config.usageLog.url ?? (config.store.kind === 'redis' ? config.store.url : env.REDIS_URL);
    if (!url)
      throw new TierError(
        'config_invalid',
        'usageLog.kind "redis" needs usageLog.url, a redis store or REDIS_URL.',
      );
    return createRedisUsageLog({
      url,
      stream: config.usageLog.stream,
      onError: log,
      ...(config.store.kind === 'redis' && config.store.commandTimeoutMs
        ? { commandTimeoutMs: config.store.commandTimeoutMs }
        : {}),
    });
  }
  if (config.usageLog.kind === 'memory') return createMemoryUsageLog();
  return createFileUsageLog(resolve(config.usageLog.path), { onError: log });
}

/** Start the gateway on Node. Throws a TierError (code config_invalid) when the config is unusable. */
export function startGateway(options: StartGatewayOptions = {}): RunningGateway {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? env.TIER_ASSIST_CONFIG;
  const file = options.config ?? (configFile ? readConfigFile(configFile) : {});
  const { config, tiers } = loadConfig(file, env);
  const log = options.log ?? ((error: unknown) => console.error('[tier-assist gateway]', error));

  const store = createStore(config, log);
  const usageLog = createUsageLog(config, env, log);
  const transport = createNodeTransport();
  const app = createApp({
    ...(options.version ? { version: options.version } : {}),
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
  const mounts = options.static ?? [];
  if (mounts.length > 0) {
    // Isolated pages get SharedArrayBuffer, so the wasm engine runs multi-threaded (docs/isolation.md).
    app.use('/*', crossOriginIsolation());
    for (const mount of mounts) {
      // serveStatic takes a root relative to the working directory.
      app.use(mount.route, serveStatic({ root: relative(process.cwd(), resolve(mount.root)) || '.' }));
    }
  }
  const server = serve({
    fetch: app.fetch,
    port: options.port ?? 8787,
    hostname: options.hostname ?? '0.0.0.0',
  });
  const close = async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await usageLog.close();
    await store.close();
    transport.close();
  };
  return { server, app, config, tiers, usageLog, store, close };
}
