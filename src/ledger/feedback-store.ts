/**
 * The browser's feedback store (issue 15): every FeedbackRecord an answer earned (verifier verdicts,
 * thumbs, "Ask a bigger model", re-asks) and the per-user online router's state, in their own IndexedDB
 * database (default "tier-feedback"), beside the ledger rather than inside it so the ledger's schema
 * does not move. Records hold features and scores only, never text (src/router/feedback.ts); each is
 * parsed on the way in and on the way out, and the store keeps at most MAX_STORED_FEEDBACK (oldest
 * dropped first). Browser-only (IndexedDB).
 *
 *   v1: store `records` (keyPath id, autoIncrement; index at), store `meta` (the router state under
 *       key "router").
 */
import { openDB, type IDBPDatabase } from 'idb';
import { InvalidInputError } from '../errors.ts';
import { MAX_STORED_FEEDBACK, parseFeedbackRecord, type FeedbackRecord } from '../router/feedback.ts';

export const DEFAULT_FEEDBACK_STORE = 'tier-feedback';
const DB_VERSION = 1;
const STATE_KEY = 'router';

/** One migration step per version (MIGRATIONS[v] upgrades v to v + 1). */
const MIGRATIONS: readonly ((db: IDBPDatabase<unknown>) => void)[] = [
  (db) => {
    const records = db.createObjectStore('records', { keyPath: 'id', autoIncrement: true });
    records.createIndex('at', 'at');
    db.createObjectStore('meta');
  },
];

/** The JSON export: the records as stored (no text), re-readable with parseFeedbackRecord. */
export interface FeedbackExport {
  kind: 'tier-feedback';
  version: 1;
  exportedAt: string;
  records: FeedbackRecord[];
}

export interface FeedbackStoreOptions {
  /** Most records kept (default MAX_STORED_FEEDBACK). */
  cap?: number;
}

export class FeedbackStore {
  readonly name: string;
  readonly #db: IDBPDatabase<unknown>;
  readonly #cap: number;

  private constructor(name: string, db: IDBPDatabase<unknown>, cap: number) {
    this.name = name;
    this.#db = db;
    this.#cap = cap;
  }

  /** Open (creating or migrating) the feedback database `name`. */
  static async open(
    name: string = DEFAULT_FEEDBACK_STORE,
    options: FeedbackStoreOptions = {},
  ): Promise<FeedbackStore> {
    const db = await openDB(name, DB_VERSION, {
      upgrade(database, oldVersion) {
        for (const step of MIGRATIONS.slice(oldVersion, DB_VERSION)) step(database);
      },
      blocking() {
        db.close();
      },
    });
    return new FeedbackStore(name, db, Math.max(1, options.cap ?? MAX_STORED_FEEDBACK));
  }

  /**
   * Store one record (parsed first: InvalidInputError naming the field for a bad one, nothing stored),
   * then drop the oldest records beyond the cap. Returns the record as stored.
   */
  async add(value: unknown): Promise<FeedbackRecord> {
    const record = parseFeedbackRecord(value);
    const tx = this.#db.transaction('records', 'readwrite');
    const store = tx.objectStore('records');
    await store.add(record);
    const extra = (await store.count()) - this.#cap;
    if (extra > 0) {
      let cursor = await store.openCursor();
      for (let i = 0; i < extra && cursor; i++) {
        await cursor.delete();
        cursor = await cursor.continue();
      }
    }
    await tx.done;
    return record;
  }

  /** Every stored record, oldest first. A stored row that no longer parses is skipped, never thrown. */
  async records(): Promise<FeedbackRecord[]> {
    const rows: unknown[] = await this.#db.getAll('records');
    const out: FeedbackRecord[] = [];
    for (const row of rows) {
      if (!row || typeof row !== 'object') continue;
      const { id: _id, ...rest } = row as Record<string, unknown>;
      try {
        out.push(parseFeedbackRecord(rest));
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
      }
    }
    return out;
  }

  async count(): Promise<number> {
    return this.#db.count('records');
  }

  /** The saved online-router state (unparsed: createOnlineRouter parses it), or undefined. */
  async loadState(): Promise<unknown> {
    return this.#db.get('meta', STATE_KEY);
  }

  async saveState(state: unknown): Promise<void> {
    await this.#db.put('meta', state, STATE_KEY);
  }

  /** The records as JSON (no text: features, scores, tier, signal), for the person or the site to keep. */
  async export(now: () => number = Date.now): Promise<string> {
    const data: FeedbackExport = {
      kind: 'tier-feedback',
      version: 1,
      exportedAt: new Date(now()).toISOString(),
      records: await this.records(),
    };
    return JSON.stringify(data);
  }

  /** Forget every record and the learned state. */
  async clear(): Promise<void> {
    const tx = this.#db.transaction(['records', 'meta'], 'readwrite');
    await Promise.all([tx.objectStore('records').clear(), tx.objectStore('meta').clear(), tx.done]);
  }

  close(): void {
    this.#db.close();
  }
}
