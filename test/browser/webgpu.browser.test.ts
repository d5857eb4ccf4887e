import { describe, expect, it } from 'vitest';

describe('browser harness', () => {
  it('exposes a real WebGPU adapter (SwiftShader on CPU, no shader-f16)', async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    expect(gpu).toBeDefined();
    const adapter = (await gpu!.requestAdapter()) as {
      features: Set<string>;
      info?: { vendor: string; architecture: string; isFallbackAdapter?: boolean };
      limits: { maxStorageBufferBindingSize: number };
    } | null;
    expect(adapter).not.toBeNull();
    expect(adapter!.features.has('shader-f16')).toBe(false);
    expect(adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it('has IndexedDB', async () => {
    const request = indexedDB.open('harness-smoke', 1);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onupgradeneeded = () => request.result.createObjectStore('s');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    expect(db.objectStoreNames.contains('s')).toBe(true);
    db.close();
  });
});
