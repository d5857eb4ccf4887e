/**
 * GET /v1/usage over logs far larger than one read: the JSONL file is streamed line by line and the Redis
 * stream paged with XRANGE COUNT, summed on the fly, and the totals stay exact to the nano-dollar.
 */
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/support/redis.ts';
import { createRedisUsageLog } from './stores/redis-usage.ts';
import { SECRET, ORIGIN, testGateway } from '../../test/support/server.ts';
import { createFileUsageLog } from './usage-file.ts';
import { matchesUsageQuery, summarize, type UsageLog, type UsageRecord } from './usage.ts';

const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'];
const NOW = Date.parse('2026-03-05T12:00:00Z');

/** Deterministic records over 5 days, 2 sites, 2 tiers, several outcomes, with large odd costs. */
function makeRecords(n: number): UsageRecord[] {
  let seed = 7; // mulberry32
  const rand = (m: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * m);
  };
  const outcomes = ['ok', 'ok', 'ok', 'client_abort', 'upstream_error', 'budget_exceeded'] as const;
  return Array.from({ length: n }, (_, i) => {
    const tier = rand(3) === 0 ? 'frontier' : 'mid';
    return {
      id: `r${i}`,
      ts: `${DAYS[i % 5]}T10:00:00.000Z`,
      day: DAYS[rand(5)]!,
      site: rand(4) === 0 ? 'other' : 'shop',
      requestedTier: tier,
      tier,
      inputTokens: rand(5000),
      outputTokens: rand(2000),
      costNanos: rand(9_999_999) * 37,
      frontierCostNanos: 400_000_000 + rand(99_999_999),
      latencyMs: rand(3000),
      attempts: 1,
      outcome: outcomes[rand(outcomes.length)]!,
      status: 200,
      stream: true,
    };
  });
}

interface UsageBody {
  site: string;
  from: string;
  to: string;
  days: ReturnType<typeof summarize>;
  total: { requests: number; costUsd: number; frontierCostUsd: number; savedUsd: number };
}

async function getUsage(usageLog: UsageLog, from: string, to: string): Promise<UsageBody> {
  const { app } = testGateway(
    undefined,
    { sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET }] },
    { usageLog, now: () => NOW },
  );
  const res = await app.request(`/v1/usage?from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${SECRET}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as UsageBody;
}

/** What the old whole-log implementation answered, plus integer sums computed independently. */
function expected(records: UsageRecord[], from: string, to: string) {
  const q = { site: 'shop', from, to };
  const matching = records.filter((r) => matchesUsageQuery(r, q));
  let cost = 0;
  let frontier = 0;
  for (const r of matching) {
    cost += r.costNanos;
    frontier += r.frontierCostNanos;
  }
  return { days: summarize(matching), requests: matching.length, cost, frontier };
}

function checkExact(body: UsageBody, want: ReturnType<typeof expected>) {
  expect(body.days).toEqual(JSON.parse(JSON.stringify(want.days)));
  expect(body.total.requests).toBe(want.requests);
  // Integer nano-dollar sums, divided once: exact, not accumulated float error.
  expect(body.days.reduce((n, d) => n + Math.round(d.costUsd * 1e9), 0)).toBe(want.cost);
  expect(body.days.reduce((n, d) => n + Math.round(d.frontierCostUsd * 1e9), 0)).toBe(want.frontier);
  expect(body.days.reduce((n, d) => n + d.requests, 0)).toBe(want.requests);
}

describe('GET /v1/usage streams large logs', () => {
  it('JSONL file of 40,000 records (~150 read chunks): identical summary, exact totals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ta-usage-'));
    try {
      const path = join(dir, 'usage.jsonl');
      const records = makeRecords(40_000);
      // Plus lines a crash or an old version may leave: blank, torn, not a record.
      writeFileSync(
        path,
        records.map((r) => JSON.stringify(r)).join('\n') +
          '\n\n{"site":"shop","day":"2026-03-02"}\n{"site":"sh',
      );
      expect(statSync(path).size).toBeGreaterThan(150 * 64 * 1024);
      const log = createFileUsageLog(path);
      try {
        const all = await getUsage(log, '2026-03-01', '2026-03-05');
        const want = expected(records, '2026-03-01', '2026-03-05');
        expect(want.requests).toBeGreaterThan(25_000);
        checkExact(all, want);
        expect(all.days).toHaveLength(5);
        checkExact(
          await getUsage(log, '2026-03-02', '2026-03-03'),
          expected(records, '2026-03-02', '2026-03-03'),
        );
        // A record appended through the log is counted on the next read.
        await log.append({ ...records[0]!, id: 'late', site: 'shop', day: '2026-03-05', costNanos: 1 });
        const after = await getUsage(log, '2026-03-05', '2026-03-05');
        expect(after.total.requests).toBe(expected(records, '2026-03-05', '2026-03-05').requests + 1);
      } finally {
        await log.close();
      }
      // No log file yet: an empty summary, not an error.
      const none = createFileUsageLog(join(dir, 'missing.jsonl'));
      expect((await getUsage(none, '2026-03-01', '2026-03-05')).days).toEqual([]);
      await none.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('Redis stream', () => {
    let redis: RedisServer;
    let client: Redis;
    beforeAll(async () => {
      redis = await startRedis();
      client = new Redis(redis.url);
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
    });

    it('pages through XRANGE (COUNT 100) over 2,500 entries: identical summary, exact totals', async () => {
      const records = makeRecords(2500);
      const pipeline = client.pipeline();
      for (const r of records) pipeline.xadd('big', '*', 'r', JSON.stringify(r));
      pipeline.xadd('big', '*', 'x', 'not a usage entry');
      await pipeline.exec();
      const log = createRedisUsageLog({ url: redis.url, stream: 'big', pageSize: 100 });
      try {
        await client.config('RESETSTAT');
        checkExact(
          await getUsage(log, '2026-03-01', '2026-03-05'),
          expected(records, '2026-03-01', '2026-03-05'),
        );
        // 2,501 entries in pages of 100: 26 reads, none of them the whole stream.
        const stats = (await client.info('commandstats')).match(/cmdstat_xrange:calls=(\d+)/);
        expect(Number(stats?.[1])).toBe(26);
        checkExact(
          await getUsage(log, '2026-03-04', '2026-03-04'),
          expected(records, '2026-03-04', '2026-03-04'),
        );
      } finally {
        await log.close();
      }
    });
  });
});
