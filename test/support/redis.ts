/**
 * A real, throwaway redis-server for tests: `const redis = await startRedis(); ... redis.url ...;
 * await redis.stop();`, and `await redis.restart()` for an outage and recovery on the same port. Listens
 * on 127.0.0.1 on a free port and persists nothing (--save '' --appendonly no), unless
 * `startRedis({ persist: true })`: then the data survives stop()/restart() (an RDB snapshot in a temp dir).
 * Needs `redis-server` on PATH or at /usr/bin/redis-server (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Start it again on the same port after stop() (an outage and recovery; the data is gone). */
  restart(): Promise<void>;
}

export function redisServerPath(): string {
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisOptions {
  /**
   * Keep the data across stop()/restart() (an RDB snapshot in a temp dir written on SIGTERM), like a
   * production Redis with persistence: an outage, not a wipe. Default false (persists nothing).
   */
  persist?: boolean;
}

async function startOnce(port: number, options: RedisOptions): Promise<RedisServer> {
  const dir = options.persist ? mkdtempSync(join(tmpdir(), 'ta-redis-')) : undefined;
  const spawnRedis = (p: number) => spawnRedisOn(p, dir);
  const child = await spawnRedis(port);
  // stop() keeps the snapshot (a restart() may follow); the dir goes when the test process exits.
  if (dir) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => stopChild(server.process),
    async restart() {
      await stopChild(server.process);
      // The port was just freed by our own process: binding it again can race TIME_WAIT briefly.
      let last: unknown;
      for (let i = 0; i < 20; i++) {
        try {
          server.process = await spawnRedis(port);
          return;
        } catch (error) {
          last = error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw last;
    },
  };
  return server;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

async function spawnRedisOn(port: number, dir: string | undefined): Promise<ChildProcess> {
  const child = spawn(
    redisServerPath(),
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      // With a dir: one save point, so SIGTERM writes dump.rdb there and the next start loads it.
      ...(dir ? ['--save', '3600 1', '--dir', dir, '--dbfilename', 'dump.rdb'] : ['--save', '']),
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (error) {
      last = error; // the port was taken between probing and binding: try another
    }
  }
  throw last;
}
