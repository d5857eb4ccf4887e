/**
 * What on-device model data this extension stores, and deleting it: the origin-private file system
 * (wllama's GGUF cache) and Cache Storage (WebLLM's weights), with sizes.
 */
import type { CacheEntry } from '../messaging.ts';

async function walk(dir: FileSystemDirectoryHandle, prefix: string, out: CacheEntry[]): Promise<void> {
  const entries = (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
  for await (const [name, handle] of entries) {
    const path = `${prefix}${name}`;
    if (handle.kind === 'file')
      out.push({ id: `opfs:${path}`, bytes: (await (handle as FileSystemFileHandle).getFile()).size });
    else await walk(handle as FileSystemDirectoryHandle, `${path}/`, out);
  }
}

export async function listCache(): Promise<{
  entries: CacheEntry[];
  usageBytes: number;
  quotaBytes: number;
}> {
  const entries: CacheEntry[] = [];
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

export async function deleteCache(id: string): Promise<boolean> {
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
