/**
 * The gateway command: `npx tier-assist-gateway` (the npm package's bin) and `npm start` in this repository.
 *
 * Config: the JSON file named by --config or TIER_ASSIST_CONFIG (optional) plus env (ANTHROPIC_API_KEY,
 * OPENAI_API_KEY, OPENAI_BASE_URL, REDIS_URL, TIER_ASSIST_USAGE_LOG, PORT, HOST...; `--help` lists them all,
 * docs/gateway.md explains them). It serves the API, plus `--static <dir>` when given; run from a clone of
 * this repository (where public/ exists) it also serves the demo site and dist/components, so a newcomer
 * sees the product at http://localhost:8787. The Node wiring itself is node.ts (startGateway).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { processCount, runPrimary, sharedStateProblem } from './cluster.ts';
import { isResolved } from './config.ts';
import { startGateway, type RunningGateway, type StaticMount } from './node.ts';

const COMMAND = 'tier-assist-gateway';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

/** The repository's demo site (public/) and built components, when this runs from a clone. */
function demoMounts(root: string): StaticMount[] {
  if (!existsSync(join(root, 'public', 'index.html'))) return [];
  return [
    { route: '/components/*', root: join(root, 'dist') },
    { route: '/*', root: join(root, 'public') },
  ];
}

export interface StartOptions {
  port: number;
  hostname?: string;
  root?: string;
  env?: Record<string, string | undefined>;
  /** Serve the demo site: public/ and dist/components under `root` (default true; none outside a clone). */
  staticFiles?: boolean;
  /** A folder to serve at / instead of the demo. */
  staticDir?: string;
  /** Config file (default env.TIER_ASSIST_CONFIG). */
  configFile?: string;
}

export function startServer(options: StartOptions): RunningGateway {
  const env = options.env ?? process.env;
  const root = options.root ?? findRoot(dirname(fileURLToPath(import.meta.url)));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const mounts: StaticMount[] = options.staticDir
    ? [{ route: '/*', root: options.staticDir }]
    : options.staticFiles !== false
      ? demoMounts(root)
      : [];
  return startGateway({
    port: options.port,
    ...(options.hostname ? { hostname: options.hostname } : {}),
    env,
    ...(options.configFile ? { configFile: options.configFile } : {}),
    static: mounts,
    version: pkg.version,
  });
}

/** Every environment variable the gateway reads (docs/gateway.md, Environment), for --help. */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['PORT', 'port to listen on (default 8787; --port wins)'],
  ['HOST', 'interface to listen on (default 0.0.0.0; --host wins)'],
  ['TIER_ASSIST_CONFIG', 'path of the JSON config file (--config wins)'],
  ['TIER_ASSIST_STATIC', '0: in a clone of the repository, do not serve the demo site'],
  ['ANTHROPIC_API_KEY', 'key for Anthropic tiers (mid claude-haiku-4-5, frontier claude-sonnet-4-5)'],
  ['ANTHROPIC_BASE_URL', 'another Anthropic-compatible endpoint'],
  ['OPENAI_API_KEY', 'key for OpenAI-compatible tiers (mid gpt-5-mini, frontier gpt-5)'],
  ['OPENAI_BASE_URL', 'an OpenAI-compatible server (OpenRouter, vLLM, Ollama); a key is then optional'],
  ['TIER_ASSIST_MID_MODEL', 'model the mid tier maps to'],
  ['TIER_ASSIST_FRONTIER_MODEL', 'model the frontier tier maps to'],
  ['TIER_ASSIST_MID_PROVIDER', 'anthropic or openai, for the mid tier'],
  ['TIER_ASSIST_FRONTIER_PROVIDER', 'anthropic or openai, for the frontier tier'],
  ['REDIS_URL', 'Redis for limits and budgets shared by several processes (when the file sets no store)'],
  [
    'TIER_ASSIST_PROCESSES',
    'gateway processes on the one port (default 1; "auto": one per core; needs Redis for limits)',
  ],
  ['TIER_ASSIST_USAGE_LOG', 'JSONL usage log path (default .cache/tier-assist/usage.jsonl)'],
  [
    'TIER_ASSIST_SMALL_BASE_URL',
    'OpenAI-compatible base URL of a self-hosted small model (turns the small tier on)',
  ],
  ['TIER_ASSIST_SMALL_MODEL', 'the model name that server knows (required with the base URL)'],
  [
    'TIER_ASSIST_SMALL_API_KEY',
    "the small tier's key, if its server needs one (OPENAI_API_KEY is never sent to it)",
  ],
  ['TIER_ASSIST_SMALL_PRICE_INPUT', 'small tier price, USD per million input tokens (default 0)'],
  ['TIER_ASSIST_SMALL_PRICE_OUTPUT', 'small tier price, USD per million output tokens (default 0)'],
];

export function helpText(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length)) + 2;
  return [
    `Usage: ${COMMAND} [--port N] [--host H] [--config FILE] [--static DIR]`,
    '',
    'Runs the tier-assist gateway: the OpenAI-compatible /v1/chat/completions for the mid and frontier',
    'tiers, site tokens, limits, budgets and the usage log (docs/gateway.md).',
    '',
    'Flags:',
    '  --port N        port to listen on (default: PORT or 8787; 0 picks a free port)',
    '  --host H        interface to listen on (default: HOST or 0.0.0.0)',
    '  --config FILE   JSON config file (default: TIER_ASSIST_CONFIG; optional)',
    '  --static DIR    also serve the files in DIR at / (cross-origin isolated)',
    '  -h, --help      print this help',
    '  -v, --version   print the version',
    '',
    'Environment:',
    ...ENVIRONMENT.map(([name, meaning]) => `  ${name.padEnd(width)}${meaning}`),
    '',
    'Example: ANTHROPIC_API_KEY=sk-ant-... npx tier-assist-gateway --port 8787 --config gateway.json',
  ].join('\n');
}

export type CliAction =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error'; message: string }
  | { kind: 'start'; port: number; hostname: string; configFile?: string; staticDir?: string };

/** Read the command line (flags win over env). Usage mistakes come back as `error`, never thrown. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined>): CliAction {
  let values: {
    port?: string;
    host?: string;
    config?: string;
    static?: string;
    help?: boolean;
    version?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        static: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const portText = values.port ?? env.PORT ?? '8787';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    return {
      kind: 'error',
      message: `${values.port !== undefined ? '--port' : 'PORT'} must be a port number from 0 to 65535, not "${portText}".`,
    };
  const configFile = values.config ?? env.TIER_ASSIST_CONFIG;
  if (configFile !== undefined && !existsSync(configFile))
    return {
      kind: 'error',
      message: `The config file ${configFile} does not exist (${values.config !== undefined ? '--config' : 'TIER_ASSIST_CONFIG'}).`,
    };
  if (values.static !== undefined && !(existsSync(values.static) && statSync(values.static).isDirectory()))
    return { kind: 'error', message: `--static ${values.static} is not a folder.` };
  return {
    kind: 'start',
    port,
    hostname: values.host ?? env.HOST ?? '0.0.0.0',
    ...(configFile !== undefined ? { configFile } : {}),
    ...(values.static !== undefined ? { staticDir: values.static } : {}),
  };
}

function main(): void {
  const env = process.env;
  const action = parseCli(process.argv.slice(2), env);
  const root = findRoot(dirname(fileURLToPath(import.meta.url)));
  if (action.kind === 'help') {
    console.log(helpText());
    return;
  }
  if (action.kind === 'version') {
    console.log(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    );
    return;
  }
  if (action.kind === 'error') {
    console.error(`${action.message}\nRun ${COMMAND} --help for the flags and environment variables.`);
    process.exit(2);
  }
  let started: RunningGateway;
  try {
    // TIER_ASSIST_PROCESSES=N: this process supervises N workers, each of which runs the code below.
    if (runPrimary({ processes: processCount(env) })) return;
    started = startServer({
      port: action.port,
      hostname: action.hostname,
      root,
      env,
      staticFiles: env.TIER_ASSIST_STATIC !== '0',
      ...(action.staticDir ? { staticDir: action.staticDir } : {}),
      ...(action.configFile ? { configFile: action.configFile } : {}),
    });
    const problem = sharedStateProblem(started.config, processCount(env));
    if (problem) throw new Error(problem);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const servesDemo = !action.staticDir && env.TIER_ASSIST_STATIC !== '0' && demoMounts(root).length > 0;
  started.server.on('listening', () => {
    const address = started.server.address();
    const actual = typeof address === 'object' && address ? address.port : action.port;
    const tiers = (['mid', 'frontier'] as const)
      .map((t) => {
        const u = started.tiers[t];
        return isResolved(u) ? `${t}=${u.provider}:${u.model}` : `${t}=not configured (set ${u.setting})`;
      })
      .join(', ');
    // The e2e helper reads this line for the port.
    console.log(
      `tier-assist gateway${servesDemo ? ' and demo' : ''} on http://localhost:${actual} (${tiers})`,
    );
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

/** Run as a command: directly, through tsx, or through npm's bin symlink (hence realpath). */
const isMain = (() => {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isMain) main();
