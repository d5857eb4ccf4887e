import { describe, expect, it } from 'vitest';
import { GatewayErrorBodySchema, TierAssistMetaSchema } from '../config/index.ts';
import type { Upstream } from '../../test/support/upstream.ts';
import { chatBody, post, readSseBody, testGateway, useUpstream, waitFor } from '../../test/support/server.ts';

let up: Upstream;
useUpstream({ reply: 'one two three four five six seven eight' }, (u) => (up = u));

describe('retries, timeouts and fallback before the first byte', () => {
  it('waits out a 429 retry-after, then answers', async () => {
    const { app, usageLog, metrics } = testGateway(up);
    up.faults.push({ kind: 'status', status: 429, retryAfter: 1 });
    const t0 = Date.now();
    const sse = await readSseBody(await app.request('/v1/chat/completions', post(chatBody())));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(sse.text).toBe('one two three four five six seven eight');
    expect(up.requests).toHaveLength(2);
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ outcome: 'ok', attempts: 2 });
    expect(metrics.render()).toMatch(/tier_assist_upstream_retries_total\{reason="429",tier="mid"\} 1/);
  });

  it('retries 500s with backoff', async () => {
    const { app } = testGateway(up, {}, { providers: 'openai' });
    up.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 502 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(200);
    expect((await readSseBody(res)).done).toBe(true);
    expect(up.requests).toHaveLength(3);
  });

  it('does not retry a 400 from the provider: 502 upstream at once', async () => {
    const { app } = testGateway(up, {}, {});
    up.faults.push({ kind: 'status', status: 400 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(502);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('upstream');
    expect(up.requests).toHaveLength(1);
  });

  it('a retry-after longer than maxRetryDelayMs is not waited for', async () => {
    const { app } = testGateway(up);
    up.faults.push({ kind: 'status', status: 429, retryAfter: 30 });
    const t0 = Date.now();
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBe('30');
  });

  it('a stall before the first byte times out and is retried', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'stall' });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(200);
    expect((await readSseBody(res)).done).toBe(true);
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]!.attempts).toBe(2);
  });

  it('stalls on every attempt end in 504 with outcome timeout', async () => {
    const { app, usageLog } = testGateway(up, {
      reliability: { retries: 1, firstByteTimeoutMs: 100, backoffBaseMs: 1, fallback: false },
    });
    up.faults.push({ kind: 'stall' }, { kind: 'stall' });
    const res = await app.request('/v1/chat/completions', post(chatBody({ tier: 'frontier' })));
    expect(res.status).toBe(504);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('upstream');
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ outcome: 'timeout', status: 504 });
  });

  it('falls back frontier -> mid when frontier keeps failing before the first byte', async () => {
    const { app, usageLog } = testGateway(
      up,
      { reliability: { retries: 1, backoffBaseMs: 1 } },
      { providers: 'mixed' },
    );
    up.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const sse = await readSseBody(
      await app.request('/v1/chat/completions', post(chatBody({ tier: 'frontier' }))),
    );
    expect(sse.done).toBe(true);
    const meta = TierAssistMetaSchema.parse((sse.events.at(-1) as { tier_assist: unknown }).tier_assist);
    expect(meta).toMatchObject({ tier: 'mid', fallbackFrom: 'frontier', model: 'gpt-5-mini' });
    expect(up.requests.map((r) => r.path)).toEqual(['/v1/messages', '/v1/messages', '/v1/chat/completions']);
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({
      tier: 'mid',
      requestedTier: 'frontier',
      fallbackFrom: 'frontier',
      attempts: 3,
    });
  });

  it('never falls back mid -> frontier', async () => {
    const { app } = testGateway(up, { reliability: { retries: 0 } });
    up.faults.push({ kind: 'status', status: 500 });
    expect((await app.request('/v1/chat/completions', post(chatBody()))).status).toBe(502);
    expect(up.requests).toHaveLength(1);
  });
});

describe('failures after the first byte', () => {
  for (const providers of ['anthropic', 'openai'] as const) {
    it(`${providers}: a cut stream ends with an SSE error event, [DONE], and estimated usage is recorded`, async () => {
      const { app, usageLog } = testGateway(up, {}, { providers });
      up.faults.push({ kind: 'cut', afterDeltas: 3 });
      const res = await app.request('/v1/chat/completions', post(chatBody()));
      expect(res.status).toBe(200);
      const sse = await readSseBody(res);
      expect(sse.text).toBe('one two three ');
      expect(sse.done).toBe(true);
      const last = sse.events.at(-1) as { error: unknown; usage: { completion_tokens: number } };
      expect(GatewayErrorBodySchema.shape.error.parse(last.error).code).toBe('upstream');
      expect(up.requests).toHaveLength(1); // no retry after the first byte
      await waitFor(() => usageLog.records.length === 1);
      const r = usageLog.records[0]!;
      expect(r.outcome).toBe('upstream_error');
      // Anthropic sent input tokens in message_start; output is estimated from the text that went out.
      expect(r.inputTokens).toBe(4);
      expect(r.outputTokens).toBe(Math.ceil('one two three '.length / 4));
      expect(r.usageEstimated).toBe(true);
      expect(r.costNanos).toBeGreaterThan(0);
    });

    it(`${providers}: a provider error event mid-stream becomes a final SSE error event`, async () => {
      const { app, usageLog } = testGateway(up, {}, { providers });
      up.faults.push({ kind: 'error-event', afterDeltas: 2 });
      const sse = await readSseBody(await app.request('/v1/chat/completions', post(chatBody())));
      expect(sse.text).toBe('one two ');
      expect(sse.done).toBe(true);
      expect((sse.events.at(-1) as { error: { code: string } }).error.code).toBe('upstream');
      await waitFor(() => usageLog.records.length === 1);
      expect(usageLog.records[0]!.outcome).toBe('upstream_error');
    });
  }

  it('non-streaming: a cut stream is a 502 JSON error and usage is still recorded', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'cut', afterDeltas: 2 });
    const res = await app.request('/v1/chat/completions', post(chatBody({ stream: false })));
    expect(res.status).toBe(502);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('upstream');
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ outcome: 'upstream_error', inputTokens: 4 });
  });

  it('a client disconnect aborts the upstream and records client_abort', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'slow', delayMs: 100 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ outcome: 'client_abort', status: 499 });
    await waitFor(() => up.aborted >= 1);
  });

  it('an aborted request signal (socket closed) aborts the upstream too', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'slow', delayMs: 100 });
    const controller = new AbortController();
    const res = await app.request(
      new Request('http://gw/v1/chat/completions', { ...post(chatBody()), signal: controller.signal }),
    );
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]!.outcome).toBe('client_abort');
    await reader.cancel().catch(() => undefined);
  });
});

describe('the per-attempt timeout', () => {
  it('cuts a stream that runs past attemptTimeoutMs: SSE error event, outcome timeout', async () => {
    const { app, usageLog } = testGateway(up, {
      reliability: { attemptTimeoutMs: 250, firstByteTimeoutMs: 200 },
    });
    up.faults.push({ kind: 'slow', delayMs: 60 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(200);
    const sse = await readSseBody(res);
    expect(sse.done).toBe(true);
    expect(sse.text.length).toBeGreaterThan(0);
    expect(sse.text).not.toBe('one two three four five six seven eight');
    expect((sse.events.at(-1) as { error: { code: string; message: string } }).error.code).toBe('upstream');
    await waitFor(() => usageLog.records.length === 1);
    expect(usageLog.records[0]).toMatchObject({ outcome: 'timeout', status: 504 });
    await waitFor(() => up.aborted >= 1);
  });

  it('non-streaming: a 504 JSON error', async () => {
    const { app } = testGateway(up, { reliability: { attemptTimeoutMs: 250, firstByteTimeoutMs: 200 } });
    up.faults.push({ kind: 'slow', delayMs: 60 });
    const res = await app.request('/v1/chat/completions', post(chatBody({ stream: false })));
    expect(res.status).toBe(504);
    expect(GatewayErrorBodySchema.parse(await res.json()).error.code).toBe('upstream');
  });
});
