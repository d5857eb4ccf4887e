/**
 * What on-device model data this extension stores, and deleting it: the model cache (GGUF files for
 * the wasm engine), plus anything in the origin-private file system and Cache Storage, with sizes.
 */
import type { ModelCache } from '../../src/engines/index.ts';
import type { CacheEntry } from '../shared/messaging.ts';

async function walk(dir: FileSystemDirectoryHandle, prefix: string, out: CacheEntry[]): Promise<void> {
  const entries = (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
  for await (const [name, handle] of entries) {
    const path = `${prefix}${name}`;
    if (handle.kind === 'file')
      out.push({ id: `opfs:${path}`, bytes: (await (handle as FileSystemFileHandle).getFile()).size });
    else await walk(handle as FileSystemDirectoryHandle, `${path}/`, out);
  }
}

export async function listCache(models: ModelCache): Promise<{
  entries: CacheEntry[];
  usageBytes: number;
  quotaBytes: number;
}> {
  const entries: CacheEntry[] = (await models.list()).map((m) => ({
    id: `model:${m.id}`,
    bytes: m.storedBytes,
  }));
  try {
    await walk(await navigator.storage.getDirectory(), '', entries);
  } catch {
    // No OPFS in this context: nothing cached there.
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    let bytes = 0;
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      bytes += Number(res?.headers.get('content-length') ?? 0);
    }
    entries.push({ id: `cache:${name}`, bytes });
  }
  const estimate = await navigator.storage.estimate();
  return { entries, usageBytes: estimate.usage ?? 0, quotaBytes: estimate.quota ?? 0 };
}

export async function deleteCache(models: ModelCache, id: string): Promise<boolean> {
  if (id.startsWith('model:')) {
    const modelId = id.slice('model:'.length);
    if (!(await models.has(modelId))) return false;
    await models.delete(modelId);
    return true;
  }
  if (id.startsWith('cache:')) return caches.delete(id.slice('cache:'.length));
  if (!id.startsWith('opfs:')) return false;
  const parts = id.slice('opfs:'.length).split('/');
  const file = parts.pop();
  if (!file) return false;
  let dir = await navigator.storage.getDirectory();
  try {
    for (const part of parts) dir = await dir.getDirectoryHandle(part);
    await dir.removeEntry(file);
    return true;
  } catch {
    return false;
  }
}
