/**
 * The usage log: one record per chat request (site, tier, model, tokens, cost, latency, outcome), written
 * whatever happens to the request (client abort, upstream failure, rejection). Implementations: memory
 * (tests), an append-only JSONL file (embedded default, usage-file.ts) and a Redis stream
 * (stores/redis-usage.ts). Secrets never enter a record; prompt text only when the site opts in.
 */
import { z } from 'zod';
import { GatewayTierSchema } from '../config/index.ts';
import { AutoRouteSchema } from './auto-record.ts';

export const OutcomeSchema = z.enum([
  'ok',
  'client_abort',
  'upstream_error',
  'timeout',
  'rate_limited',
  'budget_exceeded',
  'not_configured',
]);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const UsageRecordSchema = z.object({
  id: z.string(),
  /** ISO time the request arrived. */
  ts: z.string(),
  /** UTC day, YYYY-MM-DD (budget day). */
  day: z.string(),
  site: z.string(),
  user: z.string().optional(),
  surface: z.string().optional(),
  reason: z.string().optional(),
  requestedTier: GatewayTierSchema,
  tier: GatewayTierSchema,
  fallbackFrom: GatewayTierSchema.optional(),
  /** `model: "auto"`: the router's decision, the verifier's verdict on a small answer, the escalation. */
  route: AutoRouteSchema.optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  /** True when the provider never reported counts (cut stream) and they were estimated from text. */
  usageEstimated: z.boolean().optional(),
  costNanos: z.number().int().nonnegative(),
  frontierCostNanos: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  ttfbMs: z.number().nonnegative().optional(),
  attempts: z.number().int().nonnegative(),
  outcome: OutcomeSchema,
  status: z.number().int(),
  errorCode: z.string().optional(),
  stream: z.boolean(),
  /** Only when the site sets logPrompts. */
  prompt: z.array(z.object({ role: z.string(), content: z.string() })).optional(),
});
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

export interface UsageQuery {
  site: string;
  /** Inclusive UTC days, YYYY-MM-DD. */
  from: string;
  to: string;
}

/** Whether a record belongs to a query's site and day range (every usage log filters with this). */
export function matchesUsageQuery(record: UsageRecord, q: UsageQuery): boolean {
  return record.site === q.site && record.day >= q.from && record.day <= q.to;
}

export interface UsageLog {
  /** Queue a record; resolves once it is durably written (callers need not await it). */
  append(record: UsageRecord): Promise<void>;
  /** Records of one site within a day range. */
  query(query: UsageQuery): Promise<UsageRecord[]>;
  /**
   * The same records, streamed: read in pages/chunks so a log of any size is never held in memory
   * (GET /v1/usage sums them as they come).
   */
  scan(query: UsageQuery): AsyncIterable<UsageRecord>;
  /** Resolves when every appended record is written. */
  flush(): Promise<void>;
  /** Records written so far by this process, and waiting to be written. */
  stats(): { written: number; pending: number; failures: number };
  close(): Promise<void>;
}

export function createMemoryUsageLog(): UsageLog & { records: UsageRecord[] } {
  const records: UsageRecord[] = [];
  return {
    records,
    async append(record) {
      records.push(record);
    },
    async query(q) {
      return records.filter((r) => matchesUsageQuery(r, q));
    },
    async *scan(q) {
      for (const r of records) if (matchesUsageQuery(r, q)) yield r;
    },
    async flush() {},
    stats: () => ({ written: records.length, pending: 0, failures: 0 }),
    async close() {},
  };
}

/**
 * A writer that never drops a record: records queue in memory and a single loop writes them in order with
 * `write(batch)`; a failed write is retried with backoff (the batch stays queued) until it succeeds.
 * `batchMs` holds the first record of a batch that long so the records of many requests go out as one
 * write (one syscall or one Redis round trip instead of one per request); `flush()` and a full batch
 * write at once. A record waits in memory either way until its write succeeds (SIGTERM flushes).
 */
const later: (fn: () => void) => void =
  (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0));

/** Sleep `ms`; `onWake` receives a function that ends the sleep early. */
function pause(ms: number, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((r) => {
    const timer = setTimeout(r, ms);
    onWake(() => {
      clearTimeout(timer);
      r();
    });
  });
}

export interface QueuedWriterOptions {
  maxBatch?: number;
  retryMs?: number;
  maxRetryMs?: number;
  onError?: (error: unknown) => void;
  /** How long the first record of a batch waits for others (ms; default 0: the next macrotask). */
  batchMs?: number;
}

export function createQueuedWriter(
  write: (batch: UsageRecord[]) => Promise<void>,
  options: QueuedWriterOptions = {},
) {
  const queue: { record: UsageRecord; done: () => void }[] = [];
  let running = false;
  let gathering: ReturnType<typeof setTimeout> | undefined;
  let written = 0;
  let failures = 0;
  let failing = false;
  let idle: (() => void)[] = [];
  let wake: (() => void) | undefined;
  const maxBatch = options.maxBatch ?? 256;
  const retryMs = options.retryMs ?? 200;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  const batchMs = options.batchMs ?? 0;
  /** Start the write loop now (a flush, a full batch) instead of at the end of the batching window. */
  const startNow = () => {
    if (gathering === undefined) return;
    clearTimeout(gathering);
    gathering = undefined;
    void loop();
  };

  const loop = async () => {
    let delay = retryMs;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      try {
        await write(batch.map((b) => b.record));
        queue.splice(0, batch.length);
        written += batch.length;
        failing = false;
        for (const b of batch) b.done();
        delay = retryMs;
      } catch (error) {
        failures++;
        failing = true;
        options.onError?.(error);
        await pause(delay, (w) => (wake = w));
        wake = undefined;
        delay = Math.min(delay * 2, maxRetryMs);
      }
    }
    running = false;
    const waiters = idle;
    idle = [];
    for (const w of waiters) w();
  };

  return {
    append(record: UsageRecord): Promise<void> {
      return new Promise<void>((done) => {
        queue.push({ record, done });
        // Start the loop on the next macrotask (or after batchMs), not inside the request's finish: the
        // records of every request that finishes meanwhile go out as one write, off the response path.
        if (!running) {
          running = true;
          if (batchMs > 0) gathering = setTimeout(startNow, batchMs);
          else later(() => void loop());
        } else if (queue.length >= maxBatch) startNow();
      });
    },
    flush(): Promise<void> {
      if (!running && queue.length === 0) return Promise.resolve();
      startNow();
      return new Promise<void>((r) => idle.push(r));
    },
    /** Retry a failed write now instead of after the backoff (e.g. when the store is reachable again). */
    retryNow(): void {
      wake?.();
    },
    /** True while the last write failed and records wait for a retry. */
    failing: () => failing && queue.length > 0,
    stats: () => ({ written, pending: queue.length, failures }),
  };
}

export interface DaySummary {
  day: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  frontierCostUsd: number;
  savedUsd: number;
  byTier: Record<string, { requests: number; inputTokens: number; outputTokens: number; costUsd: number }>;
  byOutcome: Record<string, number>;
}

type DayAcc = DaySummary & { costNanos: number; frontierNanos: number; tierNanos: Map<string, number> };

/**
 * Sums records per day (and tier, outcome) one at a time, so GET /v1/usage can stream a log of any size
 * through it: memory grows with the number of days, not records. Sums are exact integer nano-dollars.
 */
export function createUsageSummary() {
  const days = new Map<string, DayAcc>();
  return {
    add(r: UsageRecord): void {
      let d = days.get(r.day);
      if (!d) {
        d = {
          day: r.day,
          requests: 0,
          errors: 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          frontierCostUsd: 0,
          savedUsd: 0,
          byTier: {},
          byOutcome: {},
          costNanos: 0,
          frontierNanos: 0,
          tierNanos: new Map(),
        };
        days.set(r.day, d);
      }
      d.requests++;
      if (r.outcome !== 'ok') d.errors++;
      d.inputTokens += r.inputTokens;
      d.outputTokens += r.outputTokens;
      d.costNanos += r.costNanos;
      d.frontierNanos += r.frontierCostNanos;
      d.byOutcome[r.outcome] = (d.byOutcome[r.outcome] ?? 0) + 1;
      const t = (d.byTier[r.tier] ??= { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
      t.requests++;
      t.inputTokens += r.inputTokens;
      t.outputTokens += r.outputTokens;
      d.tierNanos.set(r.tier, (d.tierNanos.get(r.tier) ?? 0) + r.costNanos);
    },
    days(): DaySummary[] {
      return [...days.values()]
        .sort((a, b) => a.day.localeCompare(b.day))
        .map(({ costNanos, frontierNanos, tierNanos, ...d }) => {
          const byTier = Object.fromEntries(
            Object.entries(d.byTier).map(([tier, t]) => [
              tier,
              { ...t, costUsd: (tierNanos.get(tier) ?? 0) / 1e9 },
            ]),
          );
          return {
            ...d,
            byTier,
            costUsd: costNanos / 1e9,
            frontierCostUsd: frontierNanos / 1e9,
            savedUsd: (frontierNanos - costNanos) / 1e9,
          };
        });
    },
  };
}

/** Sum records per day (and tier, outcome) for GET /v1/usage. */
export function summarize(records: Iterable<UsageRecord>): DaySummary[] {
  const summary = createUsageSummary();
  for (const r of records) summary.add(r);
  return summary.days();
}

/** Collect a scan into an array (UsageLog.query for logs that implement scan). */
export async function collect(records: AsyncIterable<UsageRecord>): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

/**
 * Parse one stored record (a JSONL line or a stream entry's JSON) when it belongs to the query: the cheap
 * site and day test runs on the raw JSON first, so only matching records pay for schema validation.
 * Unparseable or invalid entries (a torn last line after a crash) yield undefined, never an error.
 */
export function parseMatching(json: string, q: UsageQuery): UsageRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { site, day } = raw as { site?: unknown; day?: unknown };
  if (site !== q.site || typeof day !== 'string' || day < q.from || day > q.to) return undefined;
  const parsed = UsageRecordSchema.safeParse(raw);
  return parsed.success && matchesUsageQuery(parsed.data, q) ? parsed.data : undefined;
}
