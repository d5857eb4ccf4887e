import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileUsageLog } from './usage-file.ts';
import { createQueuedWriter, summarize, type UsageRecord } from './usage.ts';

function record(i: number, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: `r${i}`,
    ts: '2026-11-29T10:00:00.000Z',
    day: '2026-11-29',
    site: 'shop',
    requestedTier: 'mid',
    tier: 'mid',
    inputTokens: 10,
    outputTokens: 20,
    costNanos: 110_000,
    frontierCostNanos: 330_000,
    latencyMs: 5,
    attempts: 1,
    outcome: 'ok',
    status: 200,
    stream: true,
    ...extra,
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ta-usage-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('usage log', () => {
  it('the JSONL file keeps every record of a burst, in order', async () => {
    const path = join(tempDir(), 'deep', 'usage.jsonl');
    const log = createFileUsageLog(path);
    await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(record(i))));
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => (JSON.parse(l) as UsageRecord).id)).toEqual(
      Array.from({ length: 500 }, (_, i) => `r${i}`),
    );
    expect(log.stats()).toEqual({ written: 500, pending: 0, failures: 0 });
  });

  it('retryNow() cuts a long backoff short (the store is back), failing() tells a stuck queue', async () => {
    let down = true;
    const landed: string[] = [];
    const writer = createQueuedWriter(
      async (batch) => {
        if (down) throw new Error('store down');
        landed.push(...batch.map((r) => r.id));
      },
      { retryMs: 60_000 },
    );
    const done = writer.append(record(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(writer.failing()).toBe(true);
    expect(writer.stats()).toEqual({ written: 0, pending: 1, failures: 1 });
    down = false;
    const t0 = Date.now();
    writer.retryNow();
    await done;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(landed).toEqual(['r1']);
    expect(writer.failing()).toBe(false);
  });

  it('a file whose last line was torn by a crash gets its newline before the next record', async () => {
    const path = join(tempDir(), 'usage.jsonl');
    appendFileSync(path, JSON.stringify(record(0)) + '\n{"id":"torn');
    const log = createFileUsageLog(path);
    await log.append(record(1));
    const got = await log.query({ site: 'shop', from: '2026-11-29', to: '2026-11-29' });
    expect(got.map((r) => r.id)).toEqual(['r0', 'r1']);
    await log.close();
  });

  it('a failing write is retried until it lands; nothing is dropped', async () => {
    const landed: string[] = [];
    let failuresLeft = 2;
    const writer = createQueuedWriter(
      async (batch) => {
        if (failuresLeft-- > 0) throw new Error('disk full');
        landed.push(...batch.map((r) => r.id));
      },
      { retryMs: 1 },
    );
    await Promise.all([writer.append(record(1)), writer.append(record(2)), writer.append(record(3))]);
    expect(landed).toEqual(['r1', 'r2', 'r3']);
    expect(writer.stats()).toEqual({ written: 3, pending: 0, failures: 2 });
  });

  it('query filters by site and day and skips a torn last line', async () => {
    const path = join(tempDir(), 'usage.jsonl');
    const log = createFileUsageLog(path);
    await log.append(record(1));
    await log.append(record(2, { site: 'other' }));
    await log.append(record(3, { day: '2026-11-01' }));
    appendFileSync(path, '{"id":"torn","ts":');
    const got = await log.query({ site: 'shop', from: '2026-11-29', to: '2026-11-29' });
    expect(got.map((r) => r.id)).toEqual(['r1']);
  });

  it('summarize adds per day and tier with exact nano-dollar sums', () => {
    const days = summarize([
      record(1),
      record(2, { tier: 'frontier', costNanos: 330_000 }),
      record(3, { outcome: 'upstream_error', costNanos: 1 }),
      record(4, { day: '2026-11-28' }),
    ]);
    expect(days.map((d) => d.day)).toEqual(['2026-11-28', '2026-11-29']);
    const d = days[1]!;
    expect(d).toMatchObject({
      requests: 3,
      errors: 1,
      inputTokens: 30,
      outputTokens: 60,
      byOutcome: { ok: 2, upstream_error: 1 },
    });
    expect(d.costUsd).toBe(440_001 / 1e9);
    expect(d.savedUsd).toBe((990_000 - 440_001) / 1e9);
    expect(d.byTier.frontier).toEqual({
      requests: 1,
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 330_000 / 1e9,
    });
  });
});
