import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema } from '../config/index.ts';
import { startUpstream, type Upstream } from '../../test/support/upstream.ts';
import { createNodeTransport } from './node-transport.ts';
import { chatBody, readSseBody, testGateway, waitFor } from '../../test/support/server.ts';

let up: Upstream;
const transport = createNodeTransport();
beforeAll(async () => {
  up = await startUpstream({ reply: 'one two three four' });
});
afterAll(async () => {
  transport.close();
  await up.close();
});
beforeEach(() => {
  up.faults.length = 0;
  up.requests.length = 0;
});

const post = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the node:http transport (what npm start uses) behaves like fetch', () => {
  for (const providers of ['anthropic', 'openai'] as const) {
    it(`${providers}: streams, honours retry-after, reports cuts`, async () => {
      const { app, usageLog } = testGateway(up, {}, { providers, transport });
      up.faults.push({ kind: 'status', status: 429, retryAfter: 0.05 });
      const ok = await readSseBody(await app.request('/v1/chat/completions', post(chatBody())));
      expect(ok.text).toBe('one two three four');
      expect(up.requests).toHaveLength(2);
      expect(up.requests[1]!.headers[providers === 'anthropic' ? 'x-api-key' : 'authorization']).toContain(
        'sk-test-key',
      );
      up.faults.push({ kind: 'cut', afterDeltas: 2 });
      const cut = await readSseBody(await app.request('/v1/chat/completions', post(chatBody())));
      expect(cut.text).toBe('one two ');
      expect((cut.events.at(-1) as { error: { code: string } }).error.code).toBe('upstream');
      await waitFor(() => usageLog.records.length === 2);
      expect(usageLog.records.map((r) => r.outcome)).toEqual(['ok', 'upstream_error']);
    });
  }

  it('a 400 from the provider becomes a 502 with its message, not retried', async () => {
    const { app } = testGateway(up, {}, { transport });
    up.faults.push({ kind: 'status', status: 400 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(502);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.message).toContain('stand-in 400');
    expect(up.requests).toHaveLength(1);
  });

  it('a stall times out and a client abort reaches the provider', async () => {
    const { app, usageLog } = testGateway(up, {}, { transport });
    up.faults.push({ kind: 'stall' });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect((await readSseBody(res)).done).toBe(true);
    up.faults.push({ kind: 'slow', delayMs: 100 });
    const before = up.aborted;
    const slow = await app.request('/v1/chat/completions', post(chatBody()));
    const reader = slow.body!.getReader();
    await reader.read();
    await reader.cancel();
    await waitFor(() => up.aborted > before);
    await waitFor(() => usageLog.records.some((r) => r.outcome === 'client_abort'));
  });
});
