/**
 * The model cache with real IndexedDB in Chromium, downloading over real HTTP from a Node server
 * (test/support/gguf-server.ts) that can refuse requests or cut a download off.
 */
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_REPLY } from '../../test/support/gguf.ts';
import { startModelServer, type ModelServer } from '../../test/support/gguf-commands.ts';
import { AbortError, NetworkError, QuotaExceededError } from '../errors.ts';
import { ModelCache, openModelCacheDb } from './model-cache.ts';
import type { LoadProgress, ModelDescriptor } from './types.ts';
import { createWasmEngine } from './wasm.ts';
import { chooseEngine, createEngine, probeCapabilities } from './index.ts';

let servers: ModelServer[] = [];
const caches: ModelCache[] = [];
let dbCount = 0;
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
  for (const c of caches.splice(0)) {
    await c.clear();
    await c.close();
  }
});

async function serve(options: Parameters<typeof startModelServer>[0] = {}): Promise<ModelServer> {
  const s = await startModelServer(options);
  servers.push(s);
  return s;
}

function cache(options: ConstructorParameters<typeof ModelCache>[0] = {}): ModelCache {
  const c = new ModelCache({
    dbName: `mc-test-${Date.now()}-${dbCount++}`,
    chunkSize: 16 * 1024,
    ...options,
  });
  caches.push(c);
  return c;
}

function descriptor(server: ModelServer, id = 'tiny.gguf'): ModelDescriptor {
  return { id, label: 'Tiny', sizeBytes: server.sizeBytes, memoryBytes: 0, engine: 'wasm', url: server.url };
}

async function digest(blob: Blob): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('model cache (IndexedDB)', () => {
  it('downloads with progress, lists size and last use, then serves offline', async () => {
    const server = await serve();
    const c = cache();
    const model = descriptor(server);
    const progress: LoadProgress[] = [];
    const first = await c.open(model, { onProgress: (p) => progress.push(p) });
    expect(first.size).toBe(server.sizeBytes);
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.at(-1)).toMatchObject({
      loadedBytes: server.sizeBytes,
      totalBytes: server.sizeBytes,
      fromCache: false,
    });
    expect(new Set(downloads.map((p) => p.loadedBytes)).size).toBeGreaterThan(1);

    const [entry] = await c.list();
    expect(entry).toMatchObject({
      id: 'tiny.gguf',
      sizeBytes: server.sizeBytes,
      storedBytes: server.sizeBytes,
      complete: true,
      resumable: false,
    });
    expect(entry?.lastUsedAt).toBeGreaterThan(0);
    expect(await c.usage()).toEqual({ totalBytes: server.sizeBytes, models: 1 });
    expect(await c.has('tiny.gguf')).toBe(true);
    expect((await c.verify('tiny.gguf', 'hash')).ok).toBe(true);

    await server.mode('refuse');
    const before = (await server.stats()).requests;
    const offline: LoadProgress[] = [];
    const second = await c.open(model, { onProgress: (p) => offline.push(p) });
    expect((await server.stats()).requests).toBe(before);
    expect(await digest(second)).toBe(await digest(first));
    expect(offline.every((p) => p.fromCache && p.phase === 'cache-read')).toBe(true);

    await c.delete('tiny.gguf');
    expect(await c.list()).toEqual([]);
    expect((await c.usage()).totalBytes).toBe(0);
  });

  it('refuses a model that does not fit the quota, with needed/available bytes, leaving nothing', async () => {
    const server = await serve();
    const small = cache({ estimate: async () => ({ quota: 50_000, usage: 10_000 }) });
    const error = await small.download(descriptor(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).data).toMatchObject({
      neededBytes: server.sizeBytes,
      availableBytes: 40_000,
    });
    expect(await small.list()).toEqual([]);
    expect((await server.stats()).requests).toBe(0);

    // A huge declared size against the real browser quota.
    const real = cache();
    const huge = { ...descriptor(server, 'huge.gguf'), sizeBytes: 10 ** 15 };
    const hugeError = await real.download(huge).catch((e: unknown) => e);
    expect(hugeError).toBeInstanceOf(QuotaExceededError);
    expect((hugeError as QuotaExceededError).data?.neededBytes).toBe(10 ** 15);
    expect(await real.list()).toEqual([]);
  });

  it('a download cut off mid-way is kept as resumable, then resumes with a Range request', async () => {
    const server = await serve();
    const c = cache();
    const model = descriptor(server);
    await server.mode('cut', { cutAfter: 40 * 1024 });
    await expect(c.download(model)).rejects.toBeInstanceOf(NetworkError);
    const partial = await c.get('tiny.gguf');
    expect(partial).toMatchObject({ complete: false, resumable: true });
    expect(partial?.storedBytes).toBeGreaterThan(0);
    expect(partial?.storedBytes).toBeLessThan(server.sizeBytes);
    expect(await c.has('tiny.gguf')).toBe(false);

    await server.mode('ok');
    const progress: LoadProgress[] = [];
    await c.download(model, { onProgress: (p) => progress.push(p) });
    expect((await server.stats()).rangeRequests).toBe(1);
    expect(progress[0]?.loadedBytes).toBe(partial?.storedBytes);
    expect((await c.verify('tiny.gguf', 'hash')).ok).toBe(true);
    const blob = await c.read('tiny.gguf');
    expect(blob.size).toBe(server.sizeBytes);
  });

  it('cancels a download (abort keeps it resumable; delete removes it)', async () => {
    const server = await serve({ dim: 256 });
    const c = cache();
    const controller = new AbortController();
    const error = await c
      .download(descriptor(server), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.loadedBytes > 0) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((await c.get('tiny.gguf'))?.complete).toBe(false);
    await c.delete('tiny.gguf');
    expect(await c.get('tiny.gguf')).toBeUndefined();
  });

  it('detects a corrupt chunk and a truncated entry, and re-fetches them', async () => {
    const server = await serve();
    const dbName = `mc-corrupt-${Date.now()}`;
    const c = cache({ dbName });
    const model = descriptor(server);
    const good = await digest(await c.open(model));

    const db = await openDB(dbName);
    const chunk = (await db.get('chunks', ['tiny.gguf', 1])) as { data: Blob };
    const bytes = new Uint8Array(await chunk.data.arrayBuffer());
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    chunk.data = new Blob([bytes]);
    await db.put('chunks', chunk);
    expect((await c.verify('tiny.gguf', 'size')).ok).toBe(true);
    expect((await c.verify('tiny.gguf', 'hash')).reason).toMatch(/chunk 1/);
    const requests = (await server.stats()).requests;
    expect(await digest(await c.open(model))).toBe(good);
    expect((await server.stats()).requests).toBe(requests + 1);

    await db.delete('chunks', ['tiny.gguf', 2]);
    expect((await c.verify('tiny.gguf')).reason).toMatch(/chunk 2 is missing/);
    expect(await digest(await c.open(model))).toBe(good);
    expect((await server.stats()).requests).toBe(requests + 2);
    db.close();
  });

  it('migrates a version-1 database (adds last-use tracking)', async () => {
    const dbName = `mc-migrate-${Date.now()}`;
    const v1 = await openModelCacheDb(dbName, 1);
    await v1.put('models', {
      id: 'old',
      url: 'http://x/old.gguf',
      engine: 'wasm',
      sizeBytes: 0,
      storedBytes: 0,
      chunkSize: 1,
      chunkCount: 0,
      complete: false,
      createdAt: 1234,
    });
    v1.close();
    const c = cache({ dbName });
    expect((await c.get('old'))?.lastUsedAt).toBe(1234);
    const db = await openDB(dbName);
    expect(db.version).toBe(2);
    expect(db.transaction('models').store.indexNames.contains('byLastUsed')).toBe(true);
    db.close();
  });
});

describe('wasm engine with the model cache', () => {
  it('downloads once, then loads offline from the cache (the server refuses the second fetch)', async () => {
    const server = await serve();
    const c = cache();
    const model = descriptor(server);
    const online = createWasmEngine({ source: c });
    await online.load(model);
    expect((await online.chat([{ role: 'user', content: 'hi' }]).result).text).toBe(TINY_REPLY);
    await online.unload();

    await server.mode('refuse');
    const requests = (await server.stats()).requests;
    const offline = createWasmEngine({ source: c });
    const progress: LoadProgress[] = [];
    await offline.load(model, { onProgress: (p) => progress.push(p) });
    expect((await server.stats()).requests).toBe(requests);
    expect(progress.some((p) => p.phase === 'cache-read' && p.fromCache)).toBe(true);
    expect((await offline.chat([{ role: 'user', content: 'hi' }]).result).text).toBe(TINY_REPLY);
    await offline.unload();
  });

  it('probe -> choice -> lazy engine -> cached load -> chat, with a self-hosted GGUF', async () => {
    const server = await serve({ reply: 'Routed on device.' });
    const c = cache();
    const gguf = descriptor(server, 'self-hosted.gguf');
    const choice = chooseEngine(await probeCapabilities(), { prefer: 'wasm', ggufModel: gguf });
    expect(choice).toMatchObject({ engine: 'wasm', downloadBytes: server.sizeBytes });
    expect(choice.model?.url).toBe(server.url);
    const engine = await createEngine('wasm', { cache: c });
    await engine.load(choice.model!);
    expect((await engine.chat([{ role: 'user', content: 'hi' }]).result).text).toBe('Routed on device.');
    await engine.unload();
    const cachedIds = (await c.list()).filter((m) => m.complete).map((m) => m.id);
    expect(
      chooseEngine(await probeCapabilities(), { prefer: 'wasm', ggufModel: gguf, cachedModelIds: cachedIds })
        .downloadBytes,
    ).toBe(0);
  });

  it('without a cache, a refusing server is a typed network error', async () => {
    const server = await serve();
    await server.mode('refuse');
    const engine = createWasmEngine();
    await expect(engine.load(descriptor(server))).rejects.toBeInstanceOf(NetworkError);
  });
});
