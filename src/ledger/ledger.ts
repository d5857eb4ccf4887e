/**
 * The client ledger: one IndexedDB record per request, bounded by rolling old records into daily
 * aggregates, with summaries, exports and change notifications (an in-page `change` event and a
 * BroadcastChannel for other pages and contexts). Browser-only; the arithmetic lives in pure modules.
 */
import type { IDBPDatabase } from 'idb';
import { parse } from '../config/parse.ts';
import { QuotaExceededError, TierError, toTierError } from '../errors.ts';
import { toCsv, toJsonExport, parseJsonExport } from './export.ts';
import { FREE_ON_DEVICE, OnDeviceCostSchema, PRICES, type OnDeviceCost, type PriceTable } from './prices.ts';
import {
  DailyAggregateSchema,
  LedgerEntrySchema,
  LedgerRecordSchema,
  addDays,
  dayKey,
  toRecord,
  type DailyAggregate,
  type LedgerEntry,
  type LedgerRecord,
} from './record.ts';
import {
  DEFAULT_ROLL_UP,
  foldRecords,
  mergeAggregates,
  selectForRollUp,
  type RollUpPolicy,
} from './rollup.ts';
import { openLedgerDb } from './store.ts';
import { resolveRange, summarize, type Summary, type SummaryRange } from './summary.ts';

export const DEFAULT_LEDGER_NAME = 'tier-ledger';

/** The BroadcastChannel a ledger announces changes on (other pages, popups and workers can listen). */
export function ledgerChannelName(name: string): string {
  return `tier-ledger:${name}`;
}

export type LedgerChangeKind = 'record' | 'import' | 'roll-up' | 'clear' | 'settings';

/** Detail of the `change` event and of BroadcastChannel messages. */
export interface LedgerChange {
  kind: LedgerChangeKind;
  name: string;
  /** The new record for kind 'record'. */
  record?: LedgerRecord;
}

export interface LedgerOptions {
  /** Bound and roll-up policy (default 5,000 records, fold to 80%, fold anything older than 90 days). */
  rollUp?: Partial<RollUpPolicy>;
  prices?: PriceTable;
  /** Clock (tests and demos pin it). */
  now?: () => number;
}

const ON_DEVICE_KEY = 'onDeviceCost';

export class Ledger extends EventTarget {
  readonly name: string;
  private db: IDBPDatabase<unknown> | undefined;
  private readonly channel: BroadcastChannel | undefined;
  private readonly policy: RollUpPolicy;
  private readonly prices: PriceTable;
  private readonly now: () => number;
  private onDevice: OnDeviceCost = FREE_ON_DEVICE;

  private constructor(name: string, db: IDBPDatabase<unknown>, options: LedgerOptions) {
    super();
    this.name = name;
    this.db = db;
    this.policy = { ...DEFAULT_ROLL_UP, ...options.rollUp };
    this.prices = options.prices ?? PRICES;
    this.now = options.now ?? Date.now;
    this.channel =
      typeof BroadcastChannel === 'function' ? new BroadcastChannel(ledgerChannelName(name)) : undefined;
  }

  /** Open (create or migrate) the ledger database `name`. */
  static async open(name: string = DEFAULT_LEDGER_NAME, options: LedgerOptions = {}): Promise<Ledger> {
    const holder: { ledger?: Ledger } = {};
    const db = await openLedgerDb(name, undefined, () => {
      if (holder.ledger) holder.ledger.db = undefined;
    }).catch((error: unknown) => {
      throw new TierError(
        'internal',
        `Could not open the ledger database "${name}": ${toTierError(error).message}. Check that this page may use IndexedDB (not a private window with storage blocked).`,
        { cause: error },
      );
    });
    const ledger = new Ledger(name, db, options);
    holder.ledger = ledger;
    const stored = (await db.get('meta', ON_DEVICE_KEY)) as unknown;
    if (stored !== undefined) {
      const parsed = OnDeviceCostSchema.safeParse(stored);
      if (parsed.success) ledger.onDevice = parsed.data;
    }
    return ledger;
  }

  private async database(): Promise<IDBPDatabase<unknown>> {
    this.db ??= await openLedgerDb(this.name, undefined, () => {
      this.db = undefined;
    });
    return this.db;
  }

  private announce(change: Omit<LedgerChange, 'name'>): void {
    const detail: LedgerChange = { ...change, name: this.name };
    this.dispatchEvent(new CustomEvent<LedgerChange>('change', { detail }));
    this.channel?.postMessage(detail);
  }

  /** Record one request. Validates the entry (ConfigError names a bad field), prices it and stores it. */
  async record(entry: LedgerEntry): Promise<LedgerRecord> {
    const valid = parse(LedgerEntrySchema, entry, 'ledger entry');
    const record = toRecord(valid, { prices: this.prices, onDevice: this.onDevice }, this.now());
    const db = await this.database();
    let id: number;
    try {
      id = (await db.add('requests', record)) as number;
    } catch (error) {
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        throw new QuotaExceededError(
          'The browser has no storage left for the ledger. Export it (ledger.export) and clear it, or open it with a lower rollUp.maxRecords.',
          { cause: error },
        );
      }
      throw toTierError(error);
    }
    const stored = { ...record, id };
    try {
      await this.rollUpIfNeeded(db);
    } catch {
      // The record is safely stored; a roll-up that failed (e.g. storage pressure) is retried on the next record.
    }
    this.announce({ kind: 'record', record: stored });
    return stored;
  }

  private async rollUpIfNeeded(db: IDBPDatabase<unknown>): Promise<void> {
    const total = await db.count('requests');
    const oldest = await db.transaction('requests').store.index('time').openCursor();
    const cutoff = addDays(dayKey(this.now()), -this.policy.maxAgeDays);
    const cutoffPassed = oldest !== null && (oldest.value as LedgerRecord).day < cutoff;
    if (total > this.policy.maxRecords || cutoffPassed) await this.rollUp();
  }

  /** Fold old records into daily aggregates per the policy now; returns how many records were folded. */
  async rollUp(): Promise<number> {
    const db = await this.database();
    const tx = db.transaction(['requests', 'daily'], 'readwrite');
    const requests = tx.objectStore('requests');
    const daily = tx.objectStore('daily');
    const all = ((await requests.index('time').getAll()) as LedgerRecord[]).sort(
      (a, b) => a.time - b.time || (a.id ?? 0) - (b.id ?? 0),
    );
    const fold = selectForRollUp(all, dayKey(this.now()), this.policy);
    if (fold.length === 0) {
      await tx.done;
      return 0;
    }
    const existing = new Map<string, DailyAggregate>();
    for (const key of new Set(fold.map((r) => [r.day, r.tier, r.surface, r.task, r.model].join('|')))) {
      const agg = (await daily.get(key)) as DailyAggregate | undefined;
      if (agg) existing.set(key, agg);
    }
    for (const agg of foldRecords(fold, existing).values()) await daily.put(agg);
    for (const r of fold) if (r.id !== undefined) await requests.delete(r.id);
    await tx.done;
    this.announce({ kind: 'roll-up' });
    return fold.length;
  }

  /** Every stored request record, oldest first. */
  async records(): Promise<LedgerRecord[]> {
    const db = await this.database();
    const raw = (await db.getAllFromIndex('requests', 'time')) as unknown[];
    return raw.map((r) => parse(LedgerRecordSchema, r, 'stored ledger record'));
  }

  /** Every rolled-up daily aggregate, oldest day first. */
  async aggregates(): Promise<DailyAggregate[]> {
    const db = await this.database();
    const raw = (await db.getAllFromIndex('daily', 'day')) as unknown[];
    return raw.map((a) => parse(DailyAggregateSchema, a, 'stored ledger aggregate'));
  }

  /** Saved vs all-frontier, share and latency per tier and the daily series over a range (default 30 days). */
  async summary(range: SummaryRange = '30d'): Promise<Summary> {
    const [summary] = await this.summaries([range]);
    return summary!;
  }

  /** Several summaries from one read of the store (the dashboard asks for today, 7 and 30 days at once). */
  async summaries(ranges: readonly SummaryRange[]): Promise<Summary[]> {
    const resolved = ranges.map((r) => resolveRange(r, this.now()));
    if (resolved.length === 0) return [];
    const from = resolved.reduce((m, r) => (r.from < m ? r.from : m), resolved[0]!.from);
    const to = resolved.reduce((m, r) => (r.to > m ? r.to : m), resolved[0]!.to);
    const db = await this.database();
    const bound = IDBKeyRange.bound(from, to);
    const records = ((await db.getAllFromIndex('requests', 'day', bound)) as unknown[]).map((r) =>
      parse(LedgerRecordSchema, r, 'stored ledger record'),
    );
    const aggregates = ((await db.getAllFromIndex('daily', 'day', bound)) as unknown[]).map((a) =>
      parse(DailyAggregateSchema, a, 'stored ledger aggregate'),
    );
    return resolved.map((range) => summarize(records, aggregates, range));
  }

  /** The whole ledger as CSV (requests then rolled-up days) or JSON (re-importable with `import`). */
  async export(format: 'json' | 'csv' = 'json'): Promise<string> {
    const [records, aggregates] = await Promise.all([this.records(), this.aggregates()]);
    if (format === 'csv') return toCsv(records, aggregates);
    return JSON.stringify(toJsonExport(records, aggregates, this.now()));
  }

  /**
   * Import a JSON export. Records are appended (ids kept when free, else new ones); aggregates of the
   * same day and group are added together. `replace: true` empties the ledger first.
   */
  async import(
    json: string | unknown,
    options: { replace?: boolean } = {},
  ): Promise<{ records: number; daily: number }> {
    const data = parseJsonExport(json);
    const db = await this.database();
    const tx = db.transaction(['requests', 'daily'], 'readwrite');
    const requests = tx.objectStore('requests');
    const daily = tx.objectStore('daily');
    if (options.replace) {
      await requests.clear();
      await daily.clear();
    }
    for (const record of data.records) {
      const taken = record.id !== undefined && (await requests.getKey(record.id)) !== undefined;
      if (taken) {
        const { id: _id, ...rest } = record;
        await requests.add(rest);
      } else await requests.add(record);
    }
    for (const agg of data.daily) {
      const current = (await daily.get(agg.key)) as DailyAggregate | undefined;
      await daily.put(current ? mergeAggregates(current, agg) : agg);
    }
    await tx.done;
    this.announce({ kind: 'import' });
    return { records: data.records.length, daily: data.daily.length };
  }

  /** The on-device cost setting ($0 by default). */
  get onDeviceCost(): OnDeviceCost {
    return this.onDevice;
  }

  /** Price future on-device answers by energy and/or amortised hardware (persisted for every surface). */
  async setOnDeviceCost(setting: Partial<OnDeviceCost>): Promise<OnDeviceCost> {
    const valid = parse(OnDeviceCostSchema, { ...this.onDevice, ...setting }, 'on-device cost setting');
    const db = await this.database();
    await db.put('meta', valid, ON_DEVICE_KEY);
    this.onDevice = valid;
    this.announce({ kind: 'settings' });
    return valid;
  }

  /** Delete every record and aggregate. */
  async clear(): Promise<void> {
    const db = await this.database();
    const tx = db.transaction(['requests', 'daily'], 'readwrite');
    await Promise.all([tx.objectStore('requests').clear(), tx.objectStore('daily').clear(), tx.done]);
    this.announce({ kind: 'clear' });
  }

  close(): void {
    this.channel?.close();
    this.db?.close();
    this.db = undefined;
  }
}
