/**
 * The ledger's IndexedDB database (idb): versioned schema, one migration step per version.
 *
 *   v1: store `requests` (keyPath id, autoIncrement; index time). A record held float dollars and one
 *       latency: {time, surface, task, tier, model, tokensIn, tokensOut, latencyMs, costUsd,
 *       frontierCostUsd, escalated, reason}.
 *   v2: records reshaped to integer nano-dollars, split latency (ttftMs null for old rows, totalMs),
 *       cached input tokens, escalation reason and a local `day` (index day); new stores `daily`
 *       (rolled-up aggregates, keyPath key, index day) and `meta` (settings).
 *
 * Browser-only (IndexedDB). Everything else in src/ledger is pure.
 */
import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { TaskKindSchema, TierSchema } from '../config/schemas.ts';
import { ON_DEVICE_MODEL, dayKey, type LedgerRecord } from './record.ts';
import { usdToNanos } from './money.ts';

export const DB_VERSION = 2;

type Db = IDBPDatabase<unknown>;
type UpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>;

/** The record shape of schema v1 (kept to migrate old databases and to test the migration). */
export interface RecordV1 {
  id?: number;
  time: number;
  surface: string;
  task: string;
  tier: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  costUsd: number;
  frontierCostUsd: number;
  escalated: boolean;
  reason: string;
}

const num = (value: unknown, fallback = 0): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;

/** Reshape one v1 record into v2. Never drops a record: unreadable fields get neutral defaults. */
export function migrateRecordV1toV2(old: Partial<RecordV1> & Record<string, unknown>): LedgerRecord {
  const time = Math.round(num(old.time, 0));
  const task = TaskKindSchema.safeParse(old.task);
  const tier = TierSchema.safeParse(old.tier);
  const record: LedgerRecord = {
    time,
    day: dayKey(time),
    surface: typeof old.surface === 'string' && old.surface ? old.surface : 'unknown',
    task: task.success ? task.data : 'chat',
    tier: tier.success ? tier.data : 'frontier',
    model: typeof old.model === 'string' && old.model ? old.model : ON_DEVICE_MODEL,
    inputTokens: Math.round(num(old.tokensIn)),
    outputTokens: Math.round(num(old.tokensOut)),
    cachedInputTokens: 0,
    ttftMs: null,
    totalMs: num(old.latencyMs),
    costNanos: usdToNanos(num(old.costUsd)),
    frontierNanos: usdToNanos(num(old.frontierCostUsd)),
    escalated: old.escalated === true,
    escalationReason: null,
    reason: typeof old.reason === 'string' ? old.reason : '',
  };
  if (typeof old.id === 'number') record.id = old.id;
  return record;
}

/** MIGRATIONS[v] upgrades a database at version v to v + 1, inside the versionchange transaction. */
export const MIGRATIONS: readonly ((db: Db, tx: UpgradeTx) => Promise<void>)[] = [
  async (db) => {
    const requests = db.createObjectStore('requests', { keyPath: 'id', autoIncrement: true });
    requests.createIndex('time', 'time');
  },
  async (db, tx) => {
    const requests = tx.objectStore('requests');
    let cursor = await requests.openCursor();
    while (cursor) {
      await cursor.update(migrateRecordV1toV2(cursor.value as Partial<RecordV1> & Record<string, unknown>));
      cursor = await cursor.continue();
    }
    requests.createIndex('day', 'day');
    const daily = db.createObjectStore('daily', { keyPath: 'key' });
    daily.createIndex('day', 'day');
    db.createObjectStore('meta');
  },
];

/**
 * Open (creating or migrating) the ledger database `name` at `version` (default the current one; tests
 * open older versions to seed them). Resolves once every migration step has run.
 */
export async function openLedgerDb(
  name: string,
  version: number = DB_VERSION,
  onClosed?: () => void,
): Promise<Db> {
  let failure: unknown;
  const db = await openDB(name, version, {
    upgrade(database, oldVersion, newVersion, tx) {
      const steps = MIGRATIONS.slice(oldVersion, newVersion ?? version);
      void (async () => {
        try {
          for (const step of steps) await step(database, tx);
        } catch (error) {
          failure = error;
          tx.abort();
        }
      })();
    },
    blocking() {
      // Another tab needs a newer schema: let it upgrade; this connection reopens on next use.
      db.close();
      onClosed?.();
    },
    terminated() {
      onClosed?.();
    },
  }).catch((error: unknown) => {
    throw failure ?? error;
  });
  return db;
}
