import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { crossOriginIsolation } from './isolation.ts';

/** Like cli.ts: the API is registered first, then isolation, then the static files. */
function app(options?: Parameters<typeof crossOriginIsolation>[0]) {
  const a = new Hono();
  a.get('/v1/tiers', (c) => c.json({ tiers: [] }));
  a.use('/*', crossOriginIsolation(options));
  a.get('/index.html', (c) => c.html('<!doctype html><title>demo</title>'));
  return a;
}

describe('crossOriginIsolation', () => {
  it('isolates the pages it serves and lets other origins load them (CORP + CORS)', async () => {
    const res = await app().request('/index.html');
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'cross-origin',
      'access-control-allow-origin': '*',
    });
  });

  it('sends credentialless when asked', async () => {
    const res = await app({ embedderPolicy: 'credentialless' }).request('/index.html');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('credentialless');
  });

  it('leaves the API routes registered before it alone (they keep their per-origin CORS)', async () => {
    const res = await app().request('/v1/tiers');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
  });
});
