/**
 * The model cache: model files in IndexedDB, stored as fixed-size chunks (so an interrupted download
 * resumes where it stopped, with an HTTP Range request when the server allows it).
 *
 * - `list()` / `usage()`: cached models with sizes, completeness and last use; `delete(id)`.
 * - Every chunk carries its SHA-256; `verify(id)` checks sizes (quick) or hashes (deep). `open()`
 *   checks sizes and hashes while it reads, and throws away and re-fetches an entry that fails.
 * - Before downloading, the bytes still needed are compared with `navigator.storage.estimate()`:
 *   too little room -> {@link QuotaExceededError} with `data.neededBytes` / `data.availableBytes`,
 *   and nothing partial is left behind (also when the browser refuses a write mid-way).
 * - Aborting a download keeps the chunks stored so far (`resumable`); `delete(id)` cancels it.
 *
 * Schema (versioned; `MIGRATIONS[v]` upgrades v -> v+1): `models` (one record per model id, index
 * `byLastUsed` since v2) and `chunks` (key [modelId, index], index `byModel`).
 */
import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import {
  AbortError,
  ModelCorruptError,
  NetworkError,
  QuotaExceededError,
  throwIfAborted,
} from '../errors.ts';
import { openModelResponse } from './download.ts';
import type { LoadOptions, ModelDescriptor } from './types.ts';

export const MODEL_CACHE_DB = 'tier-assist-models';
export const MODEL_CACHE_VERSION = 2;
const DEFAULT_CHUNK = 8 * 1024 * 1024;

export interface CachedModelRecord {
  id: string;
  url: string;
  engine: ModelDescriptor['engine'];
  /** Expected total bytes (0 when the server did not say). */
  sizeBytes: number;
  storedBytes: number;
  chunkSize: number;
  chunkCount: number;
  complete: boolean;
  createdAt: number;
  lastUsedAt: number;
  etag?: string;
}

interface ChunkRecord {
  modelId: string;
  index: number;
  bytes: number;
  sha256: string;
  /** A Blob (Chromium keeps it as a file; reading it back is lazy); ArrayBuffer in older entries. */
  data: Blob | ArrayBuffer;
}

function sizeOf(data: Blob | ArrayBuffer): number {
  return data instanceof Blob ? data.size : data.byteLength;
}

export interface CachedModel {
  id: string;
  url: string;
  sizeBytes: number;
  storedBytes: number;
  complete: boolean;
  /** A download was interrupted: `download()` resumes it, `delete()` cancels it. */
  resumable: boolean;
  createdAt: number;
  lastUsedAt: number;
}

export interface ModelCacheOptions {
  dbName?: string;
  chunkSize?: number;
  /** Storage estimate (default navigator.storage.estimate); tests inject small quotas. */
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
  fetch?: typeof fetch;
  /** Check chunk hashes while reading in `open()` (default true). */
  verifyOnRead?: boolean;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: LoadOptions['onProgress'];
}

type Schema = unknown;
type Migration = (
  db: IDBPDatabase<Schema>,
  tx: IDBPTransaction<Schema, string[], 'versionchange'>,
) => Promise<void> | void;

/** MIGRATIONS[v] upgrades the database from version v to v + 1. */
const MIGRATIONS: Record<number, Migration> = {
  0: (db) => {
    db.createObjectStore('models', { keyPath: 'id' });
    const chunks = db.createObjectStore('chunks', { keyPath: ['modelId', 'index'] });
    chunks.createIndex('byModel', 'modelId');
  },
  1: async (_db, tx) => {
    // v2: last-use tracking (for "least recently used" listings); backfill from createdAt.
    const models = tx.objectStore('models');
    models.createIndex('byLastUsed', 'lastUsedAt');
    let cursor = await models.openCursor();
    while (cursor) {
      const value = cursor.value as CachedModelRecord;
      if (value.lastUsedAt === undefined) await cursor.update({ ...value, lastUsedAt: value.createdAt ?? 0 });
      cursor = await cursor.continue();
    }
  },
};

/** Open (and migrate) the cache database at `version` (tests open old versions to check migrations). */
export async function openModelCacheDb(
  name = MODEL_CACHE_DB,
  version = MODEL_CACHE_VERSION,
): Promise<IDBPDatabase<Schema>> {
  return openDB<Schema>(name, version, {
    async upgrade(db, oldVersion, newVersion, tx) {
      for (let v = oldVersion; v < (newVersion ?? version); v++) await MIGRATIONS[v]?.(db, tx);
    },
    blocking() {
      // Another context wants a newer schema: step aside.
      void 0;
    },
  });
}

async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function isQuotaDomError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { name?: string }).name === 'QuotaExceededError'
  );
}

function publicView(r: CachedModelRecord): CachedModel {
  return {
    id: r.id,
    url: r.url,
    sizeBytes: r.sizeBytes,
    storedBytes: r.storedBytes,
    complete: r.complete,
    resumable: !r.complete,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
  };
}

export class ModelCache {
  private readonly dbPromise: Promise<IDBPDatabase<Schema>>;
  private readonly options: ModelCacheOptions;
  /** One download per model id at a time. */
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(options: ModelCacheOptions = {}) {
    this.options = options;
    this.dbPromise = openModelCacheDb(options.dbName ?? MODEL_CACHE_DB);
  }

  private get chunkSize(): number {
    return this.options.chunkSize ?? DEFAULT_CHUNK;
  }

  async close(): Promise<void> {
    (await this.dbPromise).close();
  }

  private async record(id: string): Promise<CachedModelRecord | undefined> {
    return (await (await this.dbPromise).get('models', id)) as CachedModelRecord | undefined;
  }

  /** Cached models, most recently used first. */
  async list(): Promise<CachedModel[]> {
    const all = (await (await this.dbPromise).getAll('models')) as CachedModelRecord[];
    return all.sort((a, b) => b.lastUsedAt - a.lastUsedAt).map(publicView);
  }

  async get(id: string): Promise<CachedModel | undefined> {
    const r = await this.record(id);
    return r ? publicView(r) : undefined;
  }

  /** Bytes stored for all models (complete and partial). */
  async usage(): Promise<{ totalBytes: number; models: number }> {
    const all = await this.list();
    return { totalBytes: all.reduce((n, m) => n + m.storedBytes, 0), models: all.length };
  }

  /** True when the model is fully stored and passes the quick (size) check. */
  async has(id: string): Promise<boolean> {
    return (await this.verify(id, 'size')).ok;
  }

  /** Remove a model (also cancels/cleans an interrupted download). */
  async delete(id: string): Promise<void> {
    const db = await this.dbPromise;
    const tx = db.transaction(['models', 'chunks'], 'readwrite');
    const chunks = tx.objectStore('chunks');
    let cursor = await chunks.index('byModel').openKeyCursor(IDBKeyRange.only(id));
    while (cursor) {
      await chunks.delete(cursor.primaryKey);
      cursor = await cursor.continue();
    }
    await tx.objectStore('models').delete(id);
    await tx.done;
  }

  async clear(): Promise<void> {
    for (const m of await this.list()) await this.delete(m.id);
  }

  /**
   * Check an entry: 'size' compares the chunks' sizes with the record (cheap); 'hash' also re-hashes
   * every chunk. A failing entry should be deleted and fetched again (`open()` does that).
   */
  async verify(id: string, depth: 'size' | 'hash' = 'size'): Promise<{ ok: boolean; reason?: string }> {
    const r = await this.record(id);
    if (!r) return { ok: false, reason: 'not cached' };
    if (!r.complete) return { ok: false, reason: `incomplete: ${r.storedBytes} of ${r.sizeBytes} bytes` };
    const db = await this.dbPromise;
    let total = 0;
    for (let i = 0; i < r.chunkCount; i++) {
      const c = (await db.get('chunks', [id, i])) as ChunkRecord | undefined;
      if (!c) return { ok: false, reason: `chunk ${i} is missing` };
      if (sizeOf(c.data) !== c.bytes) return { ok: false, reason: `chunk ${i} has the wrong size` };
      const bytes =
        depth === 'hash' ? (c.data instanceof Blob ? await c.data.arrayBuffer() : c.data) : undefined;
      if (bytes && (await sha256Hex(bytes)) !== c.sha256)
        return { ok: false, reason: `chunk ${i} does not match its hash` };
      total += c.bytes;
    }
    if (total !== r.storedBytes || (r.sizeBytes > 0 && total !== r.sizeBytes))
      return { ok: false, reason: `stored ${total} bytes, expected ${r.sizeBytes}` };
    return { ok: true };
  }

  /**
   * Download a model into the cache (resuming a partial entry). Checks the quota first; progress is
   * byte-level over the whole file (resumed bytes count as already loaded).
   */
  download(model: ModelDescriptor, options: DownloadOptions = {}): Promise<void> {
    const running = this.inflight.get(model.id);
    if (running) return running;
    const task = this.downloadNow(model, options).finally(() => this.inflight.delete(model.id));
    this.inflight.set(model.id, task);
    return task;
  }

  private async availableBytes(): Promise<number | undefined> {
    const estimate =
      this.options.estimate ?? globalThis.navigator?.storage?.estimate?.bind(navigator.storage);
    if (!estimate) return undefined;
    try {
      const { quota, usage } = await estimate();
      if (quota === undefined) return undefined;
      return Math.max(0, quota - (usage ?? 0));
    } catch {
      return undefined;
    }
  }

  private quotaError(
    model: ModelDescriptor,
    needed: number,
    available: number,
    cause?: unknown,
  ): QuotaExceededError {
    const mb = (n: number): string => `${Math.ceil(n / (1024 * 1024))} MB`;
    return new QuotaExceededError(
      `Not enough storage for "${model.label || model.id}": it needs ${mb(needed)} more, the browser allows ${mb(available)}. Free up disk space, delete cached models, or pick a smaller model.`,
      { cause, data: { neededBytes: needed, availableBytes: available, modelId: model.id } },
    );
  }

  private async downloadNow(model: ModelDescriptor, options: DownloadOptions): Promise<void> {
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    if (!model.url) throw new NetworkError(`The model "${model.id}" has no URL to download from.`);
    const db = await this.dbPromise;
    let rec = await this.record(model.id);
    if (rec && (rec.url !== model.url || rec.complete)) {
      if (rec.complete && (await this.verify(model.id, 'size')).ok && rec.url === model.url) return;
      await this.delete(model.id);
      rec = undefined;
    }
    const now = Date.now();
    if (!rec) {
      rec = {
        id: model.id,
        url: model.url,
        engine: model.engine,
        sizeBytes: model.sizeBytes,
        storedBytes: 0,
        chunkSize: this.chunkSize,
        chunkCount: 0,
        complete: false,
        createdAt: now,
        lastUsedAt: now,
      };
    }
    const record: CachedModelRecord = rec;

    // Quota: what is still missing must fit now (known size) - nothing is written otherwise.
    const available = await this.availableBytes();
    const checkQuota = async (total: number): Promise<void> => {
      if (available === undefined || total <= 0) return;
      const needed = total - record.storedBytes;
      if (needed > available) {
        if (record.storedBytes > 0) await this.delete(model.id);
        throw this.quotaError(model, needed, available);
      }
    };
    await checkQuota(record.sizeBytes);

    const { response, totalBytes, resumed } = await openModelResponse(model.url, {
      ...(signal ? { signal } : {}),
      fromByte: record.storedBytes,
      expectedBytes: record.sizeBytes,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
    if (!resumed && record.storedBytes > 0) {
      // The server ignored the Range request: start over.
      await this.delete(model.id);
      record.storedBytes = 0;
      record.chunkCount = 0;
    }
    if (totalBytes > 0 && record.sizeBytes > 0 && totalBytes !== record.sizeBytes) {
      // The file changed or the catalog size is wrong: trust the server, but check the quota again.
      record.sizeBytes = totalBytes;
    } else if (record.sizeBytes === 0) {
      record.sizeBytes = totalBytes;
    }
    await checkQuota(record.sizeBytes);

    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunkSize = record.chunkSize;
    let buffer = new Uint8Array(chunkSize);
    let filled = 0;
    const report = (): void =>
      onProgress?.({
        phase: 'download',
        loadedBytes: record.storedBytes + filled,
        totalBytes: Math.max(record.sizeBytes, record.storedBytes + filled),
        fromCache: false,
      });
    const flush = async (): Promise<void> => {
      if (filled === 0) return;
      const data = buffer.subarray(0, filled);
      const chunk: ChunkRecord = {
        modelId: model.id,
        index: record.chunkCount,
        bytes: filled,
        sha256: await sha256Hex(data),
        data: new Blob([data]),
      };
      const tx = db.transaction(['models', 'chunks'], 'readwrite');
      record.chunkCount += 1;
      record.storedBytes += filled;
      await Promise.all([tx.objectStore('chunks').put(chunk), tx.objectStore('models').put(record), tx.done]);
      filled = 0;
      buffer = new Uint8Array(chunkSize);
    };
    report();
    try {
      await db.put('models', record);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let offset = 0;
        while (offset < value.byteLength) {
          const take = Math.min(chunkSize - filled, value.byteLength - offset);
          buffer.set(value.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === chunkSize) await flush();
        }
        report();
      }
      await flush();
    } catch (error) {
      if (isQuotaDomError(error) || isQuotaDomError((error as { cause?: unknown })?.cause)) {
        await this.delete(model.id).catch(() => undefined);
        throw this.quotaError(
          model,
          record.sizeBytes - record.storedBytes,
          (await this.availableBytes()) ?? 0,
          error,
        );
      }
      if (signal?.aborted)
        throw new AbortError('The model download was cancelled; it can be resumed later.', { cause: error });
      throw new NetworkError(
        `The model download from ${model.url} broke off after ${record.storedBytes} bytes. Try again to resume.`,
        {
          cause: error,
          data: { url: model.url, storedBytes: record.storedBytes },
        },
      );
    }
    if (record.sizeBytes > 0 && record.storedBytes !== record.sizeBytes) {
      throw new NetworkError(
        `The model download from ${model.url} ended early (${record.storedBytes} of ${record.sizeBytes} bytes). Try again to resume.`,
        { data: { url: model.url, storedBytes: record.storedBytes } },
      );
    }
    record.complete = true;
    record.sizeBytes = record.storedBytes;
    await db.put('models', record);
  }

  /** Read a complete entry as one Blob (checks sizes, and hashes unless turned off). */
  async read(id: string, options: DownloadOptions & { verify?: boolean } = {}): Promise<Blob> {
    const r = await this.record(id);
    if (!r?.complete)
      throw new ModelCorruptError(`"${id}" is not fully in the model cache.`, { data: { modelId: id } });
    const db = await this.dbPromise;
    const parts: (ArrayBuffer | Blob)[] = [];
    let loaded = 0;
    const verify = options.verify ?? this.options.verifyOnRead ?? true;
    // One read transaction per batch of chunks (a transaction per chunk is measurably slower).
    const BATCH = 16;
    for (let first = 0; first < r.chunkCount; first += BATCH) {
      throwIfAborted(options.signal);
      const last = Math.min(r.chunkCount, first + BATCH) - 1;
      const batch = (await db.getAll('chunks', IDBKeyRange.bound([id, first], [id, last]))) as ChunkRecord[];
      for (let i = first; i <= last; i++) {
        const c = batch[i - first];
        if (!c || c.index !== i || sizeOf(c.data) !== c.bytes)
          throw new ModelCorruptError(`Chunk ${i} of "${id}" is missing or truncated in the model cache.`, {
            data: { modelId: id, chunk: i },
          });
        if (verify) {
          const bytes = c.data instanceof Blob ? await c.data.arrayBuffer() : c.data;
          if ((await sha256Hex(bytes)) !== c.sha256)
            throw new ModelCorruptError(`Chunk ${i} of "${id}" is corrupt in the model cache.`, {
              data: { modelId: id, chunk: i },
            });
          parts.push(bytes);
        } else {
          // Blob chunks stay on disk until the engine reads them (no copy here).
          parts.push(c.data);
        }
        loaded += c.bytes;
      }
      options.onProgress?.({
        phase: 'cache-read',
        loadedBytes: loaded,
        totalBytes: r.storedBytes,
        fromCache: true,
      });
    }
    if (loaded !== r.storedBytes)
      throw new ModelCorruptError(
        `"${id}" has ${loaded} bytes in the model cache, expected ${r.storedBytes}.`,
        {
          data: { modelId: id },
        },
      );
    await db.put('models', { ...r, lastUsedAt: Date.now() });
    return new Blob(parts);
  }

  /**
   * The model's bytes: from the cache when complete and intact (no network), else downloaded into
   * the cache first. A corrupt entry is deleted and fetched again once.
   */
  async open(model: ModelDescriptor, options: LoadOptions = {}): Promise<Blob> {
    const rec = await this.record(model.id);
    const usable =
      rec?.complete === true && rec.url === model.url && (await this.verify(model.id, 'size')).ok;
    if (usable) {
      try {
        return await this.read(model.id, options);
      } catch (error) {
        if (!(error instanceof ModelCorruptError)) throw error;
        await this.delete(model.id);
      }
    } else if (rec?.complete) {
      await this.delete(model.id);
    }
    await this.download(model, options);
    return this.read(model.id, options);
  }
}
