/** The embedded usage log: an append-only JSONL file (Node). Wired in by cli.ts. */
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import {
  collect,
  createQueuedWriter,
  parseMatching,
  type UsageLog,
  type UsageQuery,
  type UsageRecord,
} from './usage.ts';

export function createFileUsageLog(
  path: string,
  options: {
    onError?: (error: unknown) => void;
    /** Gather records this long before a write (ms, default 20): one append per batch, not per request. */
    batchMs?: number;
  } = {},
): UsageLog {
  // One handle opened in append mode and kept (reopened after a failed write), not one open per batch.
  let handle: FileHandle | undefined;
  const writer = createQueuedWriter(
    async (batch) => {
      if (!handle) {
        await mkdir(dirname(path), { recursive: true });
        handle = await open(path, 'a+');
        // A crash can leave a torn last line without its newline: end it, or the first new record would be
        // glued to it and lost to every reader.
        const { size } = await handle.stat();
        if (size > 0) {
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) await handle.write('\n');
        }
      }
      try {
        let text = '';
        for (const r of batch) text += JSON.stringify(r) + '\n';
        await handle.write(text);
      } catch (error) {
        const stale = handle;
        handle = undefined;
        await stale.close().catch(() => undefined);
        throw error;
      }
    },
    { batchMs: options.batchMs ?? 20, ...(options.onError ? { onError: options.onError } : {}) },
  );
  // Stream the JSONL line by line (node:readline over a read stream): memory stays flat whatever the
  // log's size, and only lines of the queried site and days are validated.
  async function* scan(q: UsageQuery): AsyncGenerator<UsageRecord> {
    await writer.flush();
    const input = createReadStream(path, { encoding: 'utf8' });
    const opened = await new Promise<boolean>((resolve) => {
      input.once('open', () => resolve(true));
      input.once('error', () => resolve(false)); // no log yet: no records
    });
    if (!opened) return;
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line) continue;
        const r = parseMatching(line, q);
        if (r) yield r;
      }
    } finally {
      lines.close();
      input.destroy();
    }
  }

  return {
    append: writer.append,
    flush: writer.flush,
    stats: writer.stats,
    query: (q) => collect(scan(q)),
    scan,
    async close() {
      await writer.flush();
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
  };
}
