/**
 * Per-element conversation persistence in IndexedDB (raw API: no dependency in the first load).
 * Database `tier-assist`, version 1, store `conversations` keyed by `key`. What is read back is parsed
 * (storage is a trust boundary); a record that does not parse is ignored, never trusted.
 */
import * as z from 'zod/mini';

const DB_NAME = 'tier-assist';
const DB_VERSION = 1;
const STORE = 'conversations';

const TierSchema = z.enum(['local', 'mid', 'frontier']);

export const BadgeSchema = z.object({
  tier: TierSchema,
  model: z.string(),
  latencyMs: z.number(),
  costUsd: z.number(),
  reason: z.string(),
  notes: z.array(z.string()),
  escalatedFrom: z.optional(TierSchema),
});
export type Badge = z.infer<typeof BadgeSchema>;

export const TurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  badge: z.optional(BadgeSchema),
  /** An error shown in place of an answer (message only). */
  error: z.optional(z.string()),
  stopped: z.optional(z.boolean()),
});
export type Turn = z.infer<typeof TurnSchema>;

const RecordSchema = z.object({
  key: z.string(),
  version: z.literal(1),
  turns: z.array(TurnSchema),
  updatedAt: z.number(),
});

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      // v0 -> v1: the conversations store.
      if (!request.result.objectStoreNames.contains(STORE))
        request.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = run(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export async function loadConversation(key: string): Promise<Turn[]> {
  const value: unknown = await tx('readonly', (s) => s.get(key));
  const parsed = RecordSchema.safeParse(value);
  return parsed.success ? parsed.data.turns : [];
}

export async function saveConversation(key: string, turns: Turn[]): Promise<void> {
  await tx('readwrite', (s) => s.put({ key, version: 1, turns, updatedAt: Date.now() }));
}

export async function clearConversation(key: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(key));
}
