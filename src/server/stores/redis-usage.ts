/**
 * Usage log as a Redis stream (XADD), shared by every gateway process. Node (ioredis); wired in by cli.ts.
 * While Redis is down, records wait in the process's queue (createQueuedWriter: never dropped, retried
 * with backoff, and retried at once when the connection is ready again). A batch whose reply was lost
 * (timeout) is looked for in the stream's last 20,000 entries before it is written again, so it is not
 * written twice.
 */
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../errors.ts';
import { createGuardedRedis, type GuardedRedis } from './redis-client.ts';
import {
  collect,
  createQueuedWriter,
  parseMatching,
  type UsageLog,
  type UsageQuery,
  type UsageRecord,
} from '../usage.ts';

type QueuedWriter = ReturnType<typeof createQueuedWriter>;

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
  /** Entries per XRANGE page when reading (default 1000). */
  pageSize?: number;
  /** How long close() waits for queued records to reach Redis before giving up on them (ms, default 5000). */
  closeTimeoutMs?: number;
}

/** Which of the uncertain record ids are already in the stream's last 20,000 entries. */
async function findLanded(
  redis: Redis,
  stream: string,
  uncertain: ReadonlySet<string>,
): Promise<Set<string>> {
  const found = new Set<string>();
  let end = '+';
  for (let page = 0; page < 20 && found.size < uncertain.size; page++) {
    const entries = await redis.xrevrange(stream, end, '-', 'COUNT', 1000);
    for (const [, fields] of entries) {
      const i = fields.indexOf('r');
      try {
        const id = (JSON.parse(fields[i + 1] ?? 'null') as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && uncertain.has(id)) found.add(id);
      } catch {
        // not a usage entry
      }
    }
    if (entries.length < 1000) break;
    end = '(' + entries[entries.length - 1]![0];
  }
  return found;
}

/**
 * Page through the stream with XRANGE ... COUNT pageSize: one page in memory at a time. A record is
 * written after its request started, so entries added (Redis time) before the first queried day, less an
 * hour for clock skew between the gateway and Redis, cannot match and are skipped by the range itself.
 */
async function* scanStream(
  guarded: GuardedRedis,
  stream: string,
  pageSize: number,
  q: UsageQuery,
): AsyncGenerator<UsageRecord> {
  const fromMs = Date.parse(`${q.from}T00:00:00Z`) - 3_600_000;
  let start = Number.isFinite(fromMs) && fromMs > 0 ? `${fromMs}-0` : '-';
  for (;;) {
    const entries = await guarded.run('read the usage log', (redis) =>
      redis.xrange(stream, start, '+', 'COUNT', pageSize),
    );
    for (const [, fields] of entries) {
      const i = fields.indexOf('r');
      const r = i < 0 ? undefined : parseMatching(fields[i + 1] ?? '', q);
      if (r) yield r;
    }
    if (entries.length < pageSize) return;
    start = '(' + entries[entries.length - 1]![0];
  }
}

/** Flush what is queued (at most closeTimeoutMs), report what could not be written, then disconnect. */
async function closeLog(
  writer: QueuedWriter,
  guarded: GuardedRedis,
  options: RedisUsageLogOptions,
): Promise<void> {
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
  // Ids of records whose write was sent but not answered (timeout, connection lost): MULTI/EXEC may have
  // run. Before writing them again, look for them at the end of the stream, so a retry does not add them
  // twice.
  const uncertain = new Set<string>();
  const landedIds = (redis: Redis) => findLanded(redis, stream, uncertain);
  const writer = createQueuedWriter(
    async (batch) => {
      let todo = batch;
      if (uncertain.size > 0) {
        const landed = await guarded.run('check which usage records were written', landedIds);
        todo = batch.filter((r) => !landed.has(r.id));
        uncertain.clear();
      }
      if (todo.length === 0) return;
      try {
        await guarded.run('write usage records', async (redis) => {
          const multi = redis.multi();
          for (const r of todo) multi.xadd(stream, '*', 'r', JSON.stringify(r));
          const results = await multi.exec();
          const failed = results?.find(([error]) => error);
          if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
        });
      } catch (error) {
        if (error instanceof StoreUnavailableError && error.data?.sent === true)
          for (const r of todo) uncertain.add(r.id);
        throw error;
      }
    },
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
  const pageSize = options.pageSize ?? 1000;
  async function* scan(q: UsageQuery): AsyncGenerator<UsageRecord> {
    await settle();
    yield* scanStream(guarded, stream, pageSize, q);
  }

  return {
    append: writer.append,
    flush: writer.flush,
    stats: writer.stats,
    query: (q) => collect(scan(q)),
    scan,
    close: () => closeLog(writer, guarded, options),
  };
}
