import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';

describe('gateway app', () => {
  it('answers /healthz with 200 JSON', async () => {
    const res = await createApp({ version: '1.2.3' }).request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ status: 'ok', version: '1.2.3' });
  });
});
