/**
 * TIER_ASSIST_PROCESSES=2: one gateway command, two worker processes on one port, sharing one rate limit
 * through a real redis-server. Every request opens its own connection, so the primary hands them to the
 * workers in turn: with a per-process (memory) limit both workers would admit their own 5.
 */
import { request } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const LIMIT = 5;

let redis: RedisServer;
let up: Upstream;
let gw: RunningGateway;

beforeAll(async () => {
  [redis, up] = await Promise.all([startRedis(), startUpstream({ reply: 'one two three' })]);
  gw = await startGateway({
    upstream: up,
    staticFiles: false,
    env: { TIER_ASSIST_PROCESSES: '2' },
    config: {
      store: { kind: 'redis', url: redis.url },
      limits: { perIp: { requestsPerMinute: LIMIT } },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([redis?.stop(), up?.close()]);
});

/** Parent pid of a process, from /proc. */
function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

/** One chat request on a fresh connection (no keep-alive), so the primary picks a worker for each. */
function chatOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ tier: 'mid', stream: false, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

describe('two gateway processes on one port', () => {
  it('runs two workers under the command and enforces one shared rate limit through Redis', async () => {
    const primary = gw.child!.pid!;
    const workers = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return parentOf(pid) === primary;
        } catch {
          return false;
        }
      });
    expect(workers).toHaveLength(2);
    // The helper returns once the first worker listens; each worker prints its own line.
    await expect
      .poll(() => gw.logs().match(/gateway on http:\/\/localhost:/g)?.length ?? 0, { timeout: 20_000 })
      .toBe(2);

    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT + 2; i++) statuses.push((await chatOnNewConnection(gw.url)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(LIMIT + 2);
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
  });

  it('flushes every worker’s usage records into the one log on SIGTERM', async () => {
    const stopped = gw;
    await stopped.stop();
    const records = stopped.readUsage();
    // Every request above left one record (5 answered, 7 rate limited), whichever worker served it.
    expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(LIMIT);
  });
});

describe('the in-memory store with several processes', () => {
  it('refuses to start when limits are configured, naming REDIS_URL', async () => {
    await expect(
      startGateway({
        upstream: up,
        staticFiles: false,
        env: { TIER_ASSIST_PROCESSES: '2' },
        config: { limits: { perIp: { requestsPerMinute: LIMIT } } },
      }),
    ).rejects.toThrow(/REDIS_URL/);
  });
});
