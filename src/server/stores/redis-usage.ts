/**
 * Usage log as a Redis stream (XADD), shared by every gateway process. Node (ioredis); wired in by cli.ts.
 * While Redis is down, records wait in the process's queue (createQueuedWriter: never dropped, retried
 * with backoff, and retried at once when the connection is ready again). Delivery is at least once: a
 * batch whose reply was lost to a timeout may be written twice.
 */
import { createGuardedRedis } from './redis-client.ts';
import {
  UsageRecordSchema,
  createQueuedWriter,
  matchesUsageQuery,
  type UsageLog,
  type UsageRecord,
} from '../usage.ts';

export interface RedisUsageLogOptions {
  url: string;
  stream?: string;
  onError?: (error: unknown) => void;
  /** Longest one Redis command may take (ms, default 1000). */
  commandTimeoutMs?: number;
  /** Longest reconnect pause (ms, default 1000). */
  maxReconnectDelayMs?: number;
  /** First retry delay of a failed write (ms, default 200; doubles up to 10 s). */
  retryMs?: number;
  /** How long close() waits for queued records to reach Redis before giving up on them (ms, default 5000). */
  closeTimeoutMs?: number;
}

export function createRedisUsageLog(options: RedisUsageLogOptions): UsageLog {
  const timeout = options.commandTimeoutMs ?? 1000;
  const guarded = createGuardedRedis({
    url: options.url,
    commandTimeoutMs: timeout,
    ...(options.maxReconnectDelayMs !== undefined
      ? { maxReconnectDelayMs: options.maxReconnectDelayMs }
      : {}),
    onRecover: () => writer.retryNow(),
  });
  const stream = options.stream ?? 'ta:usage';
  const writer = createQueuedWriter(
    (batch) =>
      guarded.run('write usage records', async (redis) => {
        const multi = redis.multi();
        for (const r of batch) multi.xadd(stream, '*', 'r', JSON.stringify(r));
        const results = await multi.exec();
        const failed = results?.find(([error]) => error);
        if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
      }),
    {
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    },
  );
  // Wait for queued records before reading, but never longer than one command timeout: while Redis is
  // down the read below fails fast with store_unavailable instead.
  const settle = () =>
    writer.failing()
      ? Promise.resolve()
      : Promise.race([writer.flush(), new Promise<void>((r) => setTimeout(r, timeout).unref?.())]);
  return {
    append: writer.append,
    flush: writer.flush,
    stats: writer.stats,
    async query(q) {
      await settle();
      const out: UsageRecord[] = [];
      let start = '-';
      for (;;) {
        const entries = await guarded.run('read the usage log', (redis) =>
          redis.xrange(stream, start, '+', 'COUNT', 1000),
        );
        for (const [, fields] of entries) {
          const i = fields.indexOf('r');
          if (i < 0) continue;
          const parsed = UsageRecordSchema.safeParse(JSON.parse(fields[i + 1] ?? 'null'));
          if (parsed.success && matchesUsageQuery(parsed.data, q)) out.push(parsed.data);
        }
        if (entries.length < 1000) break;
        start = '(' + entries[entries.length - 1]![0];
      }
      return out;
    },
    async close() {
      const closeTimeout = options.closeTimeoutMs ?? 5000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gaveUp = await Promise.race([
        writer.flush().then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), closeTimeout))),
      ]);
      clearTimeout(timer);
      if (gaveUp)
        options.onError?.(
          new Error(
            `Closing with ${writer.stats().pending} usage records not written: Redis stayed unreachable for ${closeTimeout} ms.`,
          ),
        );
      await guarded.close();
    },
  };
}
