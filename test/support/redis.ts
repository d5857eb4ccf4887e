/**
 * A real, throwaway redis-server for tests: `const redis = await startRedis(); ... redis.url ...;
 * await redis.stop();`, and `await redis.restart()` for an outage and recovery on the same port. Listens on 127.0.0.1 on a free port, persists nothing (--save '' --appendonly no).
 * Needs `redis-server` on PATH or at /usr/bin/redis-server (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

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

async function startOnce(port: number): Promise<RedisServer> {
  const child = await spawnRedis(port);
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

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    redisServerPath(),
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
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

export async function startRedis(): Promise<RedisServer> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(await freePort());
    } catch (error) {
      last = error; // the port was taken between probing and binding: try another
    }
  }
  throw last;
}
