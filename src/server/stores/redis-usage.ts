/** Usage log as a Redis stream (XADD), shared by every gateway process. Node (ioredis); wired in by cli.ts. */
import { Redis } from 'ioredis';
import {
  UsageRecordSchema,
  createQueuedWriter,
  matchesUsageQuery,
  type UsageLog,
  type UsageRecord,
} from '../usage.ts';

export function createRedisUsageLog(options: {
  url: string;
  stream?: string;
  onError?: (error: unknown) => void;
}): UsageLog {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 2 });
  const stream = options.stream ?? 'ta:usage';
  const writer = createQueuedWriter(
    async (batch) => {
      const multi = redis.multi();
      for (const r of batch) multi.xadd(stream, '*', 'r', JSON.stringify(r));
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
    },
    options.onError ? { onError: options.onError } : {},
  );
  return {
    append: writer.append,
    flush: writer.flush,
    stats: writer.stats,
    async query(q) {
      await writer.flush();
      const out: UsageRecord[] = [];
      let start = '-';
      for (;;) {
        const entries = await redis.xrange(stream, start, '+', 'COUNT', 1000);
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
      await writer.flush();
      await redis.quit().catch(() => undefined);
    },
  };
}
