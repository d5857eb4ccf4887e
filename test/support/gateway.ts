/**
 * Start a real tier-assist gateway for end-to-end tests, on 127.0.0.1 and a random free port.
 *
 *   import { startGateway } from '../support/gateway.ts';
 *   import { startUpstream } from '../support/upstream.ts';
 *
 *   const upstream = await startUpstream();               // stand-in for the paid providers
 *   const gw = await startGateway({
 *     upstream,                                           // mid/frontier -> the stand-in (Anthropic)
 *     config: { sites: [{ id: 'demo', origins: ['http://127.0.0.1:1234'], secret: 's'.repeat(20) }] },
 *   });
 *   const token = await gw.mintToken('demo', 's'.repeat(20), 'http://127.0.0.1:1234');
 *   await fetch(`${gw.url}/v1/chat/completions`, {...});
 *   await gw.stop();                                      // flushes the usage log, frees the port
 *
 * Options:
 *   upstream?    a startUpstream() stand-in; maps both tiers to it (`providers`: 'anthropic' default,
 *                'openai', or 'mixed' = mid on OpenAI-compatible, frontier on Anthropic)
 *   config?      extra gateway config (GatewayConfigInput: sites, users, limits, reliability, store...)
 *   env?         extra env for the gateway (e.g. { ANTHROPIC_API_KEY: '' } for the not-configured path)
 *   mode?        'process' (default: `tsx src/server/cli.ts` as a child process, like `npm start`) or
 *                'in-process' (startServer() in this process: faster, shares memory with the test)
 *   staticFiles? serve public/ and dist/components like `npm start` (default true)
 *   entry?       process mode: run a built entry (e.g. 'dist/server/cli.js') with plain node instead of
 *                tsx + src/server/cli.ts
 * Result: { url, port, usageLogPath, logs(), mintToken(site, secret, origin, user?), readUsage(), stop() }.
 * The usage log is a JSONL file in a fresh temp dir (usageLogPath) unless config.usageLog says otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '../../src/server/config.ts';
import type { UsageRecord } from '../../src/server/usage.ts';
import type { Upstream } from './upstream.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface GatewayOptions {
  upstream?: Upstream;
  providers?: 'anthropic' | 'openai' | 'mixed';
  config?: GatewayConfigInput;
  env?: Record<string, string>;
  mode?: 'process' | 'in-process';
  staticFiles?: boolean;
  /** Process mode: a built entry (e.g. dist/server/cli.js) to run with plain node instead of tsx + source. */
  entry?: string;
}

export interface RunningGateway {
  url: string;
  port: number;
  usageLogPath: string;
  /** stdout + stderr of the gateway process so far ('' in-process). */
  logs(): string;
  /** POST /v1/tokens with the site secret; returns the browser token. */
  mintToken(site: string, secret: string, origin: string, user?: string): Promise<string>;
  /** Records in the JSONL usage log (after the writes so far landed). */
  readUsage(): UsageRecord[];
  /** The child process in process mode (e.g. to kill it hard). */
  child: ChildProcess | undefined;
  stop(): Promise<void>;
}

function tiersFor(
  upstream: Upstream,
  providers: GatewayOptions['providers'] = 'anthropic',
): GatewayConfigInput['tiers'] {
  const make = (tier: 'mid' | 'frontier') => {
    const provider = providers === 'mixed' ? (tier === 'mid' ? 'openai' : 'anthropic') : providers;
    return provider === 'anthropic'
      ? {
          provider,
          model: tier === 'mid' ? 'claude-haiku-4-5' : 'claude-sonnet-4-5',
          baseUrl: upstream.anthropicBaseUrl,
          apiKey: 'sk-stand-in',
          maxTokens: 256,
        }
      : {
          provider,
          model: tier === 'mid' ? 'gpt-5-mini' : 'gpt-5',
          baseUrl: upstream.openaiBaseUrl,
          apiKey: 'sk-stand-in',
          maxTokens: 256,
        };
  };
  return { mid: make('mid'), frontier: make('frontier') };
}

export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tier-gw-'));
  const usageLogPath = join(dir, 'usage.jsonl');
  const config: GatewayConfigInput = {
    usageLog: { kind: 'file', path: usageLogPath },
    ...(options.upstream ? { tiers: tiersFor(options.upstream, options.providers) } : {}),
    ...options.config,
  };
  const configPath = join(dir, 'gateway.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TIER_ASSIST_CONFIG: configPath,
    PORT: '0',
    HOST: '127.0.0.1',
    TIER_ASSIST_STATIC: options.staticFiles === false ? '0' : '1',
    ...options.env,
  };

  let output = '';
  let child: ChildProcess | undefined;
  let port: number;
  let stopInProcess: (() => Promise<void>) | undefined;
  let finalUsage: UsageRecord[] | undefined;
  const readUsage = (): UsageRecord[] => {
    if (finalUsage) return finalUsage;
    if (!existsSync(usageLogPath)) return [];
    return readFileSync(usageLogPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as UsageRecord);
  };

  if (options.mode === 'in-process') {
    const { startServer } = await import('../../src/server/cli.ts');
    const started = startServer({
      port: 0,
      hostname: '127.0.0.1',
      env,
      root: ROOT,
      staticFiles: options.staticFiles !== false,
    });
    await new Promise<void>((r) =>
      started.server.listening ? r() : started.server.once('listening', () => r()),
    );
    const address = started.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    stopInProcess = started.close;
  } else {
    const args = options.entry
      ? [resolve(ROOT, options.entry)]
      : ['--import', 'tsx', join(ROOT, 'src/server/cli.ts')];
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start in 30 s:\n${output}`)), 30_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /on http:\/\/localhost:(\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${code}) before listening:\n${output}`));
      });
    });
  }

  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    usageLogPath,
    child,
    logs: () => output,
    async mintToken(site, secret, origin, user) {
      const res = await fetch(`${url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ origin, ...(user ? { user } : {}) }),
      });
      if (!res.ok) throw new Error(`minting for ${site} failed: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    readUsage,
    async stop() {
      if (stopInProcess) await stopInProcess();
      else if (child!.exitCode === null) {
        const proc = child!;
        await new Promise<void>((r) => {
          proc.once('exit', () => r());
          proc.kill('SIGTERM');
          setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
        });
      }
      // the usage log stays readable (readUsage) after the temporary directory is gone
      finalUsage ??= readUsage();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
