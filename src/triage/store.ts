/**
 * IndexedDB persistence for triage: the current model (exported JSON, with its label set and version)
 * and the agents' corrections, kept as training examples. Schema versioned with one migration step per
 * version (v1: `models` keyed by name, `examples` auto-increment with a `createdAt` index).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { z } from 'zod';
import { QuotaExceededError } from '../errors.ts';
import { ModelJsonSchema, TRIAGE_FIELDS, type ModelJson } from './schema.ts';

export const TrainingExampleSchema = z.object({
  text: z.string(),
  label: z.string().min(1),
  /** Which field the agent corrected (category examples train the classifier). */
  field: z.enum(TRIAGE_FIELDS).default('category'),
  createdAt: z.number(),
});
export type TrainingExample = z.infer<typeof TrainingExampleSchema>;

interface TriageDb extends DBSchema {
  models: { key: string; value: { name: string; model: unknown; savedAt: number } };
  examples: { key: number; value: TrainingExample; indexes: { createdAt: number } };
}

export const TRIAGE_DB_VERSION = 1;

function wrapQuota(error: unknown): never {
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    throw new QuotaExceededError(
      'The browser refused to store more triage data: free some site storage and try again.',
      { cause: error },
    );
  }
  throw error;
}

export class TriageStore {
  private constructor(private readonly db: IDBPDatabase<TriageDb>) {}

  /** Open (and migrate) the database; `name` lets each site or test keep its own. */
  static async open(name = 'tier-triage'): Promise<TriageStore> {
    const db: IDBPDatabase<TriageDb> = await openDB<TriageDb>(name, TRIAGE_DB_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('models', { keyPath: 'name' });
          database
            .createObjectStore('examples', { autoIncrement: true })
            .createIndex('createdAt', 'createdAt');
        }
      },
      // another tab upgrades or deletes the database: let it (this page reopens on its next load)
      blocking() {
        db.close();
      },
    });
    return new TriageStore(db);
  }

  async saveModel(model: ModelJson, name = 'current'): Promise<void> {
    await this.db.put('models', { name, model, savedAt: Date.now() }).catch(wrapQuota);
  }

  /** The stored model, or undefined when none is stored or it no longer parses (then it is ignored). */
  async loadModel(name = 'current'): Promise<ModelJson | undefined> {
    const row = await this.db.get('models', name);
    if (!row) return undefined;
    const parsed = ModelJsonSchema.safeParse(row.model);
    return parsed.success ? parsed.data : undefined;
  }

  async addExample(example: Omit<TrainingExample, 'createdAt'> & { createdAt?: number }): Promise<void> {
    const value = TrainingExampleSchema.parse({ ...example, createdAt: example.createdAt ?? Date.now() });
    await this.db.add('examples', value).catch(wrapQuota);
  }

  async examples(field: TrainingExample['field'] = 'category'): Promise<TrainingExample[]> {
    const all = await this.db.getAllFromIndex('examples', 'createdAt');
    return all.flatMap((row) => {
      const parsed = TrainingExampleSchema.safeParse(row);
      return parsed.success && parsed.data.field === field ? [parsed.data] : [];
    });
  }

  async countExamples(): Promise<number> {
    return this.db.count('examples');
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction(['models', 'examples'], 'readwrite');
    await Promise.all([tx.objectStore('models').clear(), tx.objectStore('examples').clear(), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
