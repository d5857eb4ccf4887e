/** The embedded usage log: an append-only JSONL file (Node). Wired in by cli.ts. */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  UsageRecordSchema,
  createQueuedWriter,
  matchesUsageQuery,
  type UsageLog,
  type UsageRecord,
} from './usage.ts';

export function createFileUsageLog(
  path: string,
  options: { onError?: (error: unknown) => void } = {},
): UsageLog {
  // One handle opened in append mode and kept (reopened after a failed write), not one open per batch.
  let handle: FileHandle | undefined;
  const writer = createQueuedWriter(
    async (batch) => {
      if (!handle) {
        await mkdir(dirname(path), { recursive: true });
        handle = await open(path, 'a');
      }
      try {
        await handle.write(batch.map((r) => JSON.stringify(r) + '\n').join(''));
      } catch (error) {
        const stale = handle;
        handle = undefined;
        await stale.close().catch(() => undefined);
        throw error;
      }
    },
    options.onError ? { onError: options.onError } : {},
  );
  return {
    append: writer.append,
    flush: writer.flush,
    stats: writer.stats,
    async query(q) {
      await writer.flush();
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return [];
      }
      const out: UsageRecord[] = [];
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const r = UsageRecordSchema.parse(JSON.parse(line));
          if (matchesUsageQuery(r, q)) out.push(r);
        } catch {
          // A torn last line after a crash is skipped, never fatal.
        }
      }
      return out;
    },
    async close() {
      await writer.flush();
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
  };
}
