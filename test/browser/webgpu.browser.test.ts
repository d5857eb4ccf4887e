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

  it('gives the adapter llama.cpp asks for (no power preference) to workers too: SwiftShader, no shader-f16', async () => {
    // wllama runs llama.cpp in a worker, whose navigator.gpu is what its WebGPU backend sees.
    const code = `(async () => {
      const a = await navigator.gpu.requestAdapter({ forceFallbackAdapter: false });
      postMessage(a ? { f16: a.features.has('shader-f16'), fallback: a.info.isFallbackAdapter, arch: a.info.architecture } : null);
    })();`;
    const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    const seen = await new Promise<unknown>((resolve) => (worker.onmessage = (e) => resolve(e.data)));
    worker.terminate();
    expect(seen).toEqual({ f16: false, fallback: true, arch: 'swiftshader' });
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
