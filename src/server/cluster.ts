/**
 * Several gateway processes on one port (node:cluster): `TIER_ASSIST_PROCESSES=N` (or `auto`, one per
 * core) makes the command a primary that forks N workers; each worker is the ordinary gateway, and the
 * primary hands incoming connections to them in turn. Limits and budgets are shared only through a Redis
 * store, so N > 1 with the in-memory store is refused when any limit or budget is configured (each process
 * would enforce its own copy: N times the limit). The primary forwards SIGTERM/SIGINT (each worker flushes
 * its usage log), replaces a worker that dies, and gives up when workers die right after starting.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { TierError } from '../errors.ts';
import type { GatewayConfig } from './config.ts';

/** How many processes TIER_ASSIST_PROCESSES asks for (1 when unset). Throws config_invalid on nonsense. */
export function processCount(env: Record<string, string | undefined>): number {
  const text = env.TIER_ASSIST_PROCESSES?.trim();
  if (text === undefined || text === '') return 1;
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new TierError(
      'config_invalid',
      `TIER_ASSIST_PROCESSES must be a whole number from 1 to 256, or "auto" (one per core); got "${text}".`,
    );
  return n;
}

/**
 * Why `processes` processes cannot share this config's state, or undefined when they can: limits and
 * budgets need the Redis store once there is more than one process.
 */
export function sharedStateProblem(config: GatewayConfig, processes: number): string | undefined {
  if (processes <= 1 || config.store.kind === 'redis') return undefined;
  const { perSite, perUser, perIp } = config.limits;
  const limited = [perSite, perUser, perIp].some((l) => l.requestsPerMinute || l.tokensPerMinute);
  const sites = config.sites.filter((s) => s.dailyBudgetUsd !== undefined || s.limits);
  if (!limited && sites.length === 0) return undefined;
  return `TIER_ASSIST_PROCESSES=${processes} with the in-memory store would give each process its own rate limits and budgets (${processes} x the configured ones). Set REDIS_URL (or store.kind "redis" in the config file) so the processes share them, or run one process.`;
}

export interface ClusterOptions {
  processes: number;
  /** Where the primary reports (default console.error). */
  log?: (line: string) => void;
  /** A worker that dies within this many ms of starting counts as a failed start (default 5000). */
  startupMs?: number;
}

/**
 * Run the primary of a cluster: fork the workers and supervise them. Returns false in a worker (and when
 * one process is asked for): the caller then starts the gateway as usual. Returns true in the primary,
 * which must not start a server itself.
 */
export function runPrimary(options: ClusterOptions): boolean {
  if (options.processes <= 1 || !cluster.isPrimary) {
    // A worker whose primary is gone (killed hard) stops gracefully instead of lingering on the port.
    if (cluster.isWorker) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    return false;
  }
  const log = options.log ?? ((line: string) => console.error(`[tier-assist gateway] ${line}`));
  const startupMs = options.startupMs ?? 5000;
  const started = new Map<Worker, number>();
  let stopping = false;
  let failedStarts = 0;
  let exitCode = 0;

  const fork = () => started.set(cluster.fork(), Date.now());
  cluster.on('exit', (worker, code, signal) => {
    const since = started.get(worker) ?? 0;
    started.delete(worker);
    if (!stopping) {
      if (Date.now() - since < startupMs) failedStarts++;
      if (failedStarts >= options.processes) {
        // Every worker fails as it starts (bad config, port taken): stop instead of forking forever.
        log(`workers keep exiting at start (last: ${signal ?? `code ${code}`}); stopping`);
        stopping = true;
        exitCode = code || 1;
        for (const w of started.keys()) w.kill('SIGTERM');
      } else {
        log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
        fork();
      }
    }
    if (stopping && started.size === 0) process.exit(exitCode);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of started.keys()) w.process.kill(signal);
    if (started.size === 0) process.exit(exitCode);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < options.processes; i++) fork();
  return true;
}
