/**
 * One status per request: whatever a chat request ends in, the status its usage record carries is the one
 * the client got, and the error body's code is the record's errorCode (both come from error-map.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../test/support/upstream.ts';
import { GatewayErrorBodySchema } from '../config/index.ts';
import {
  ORIGIN,
  SECRET,
  chatBody,
  post,
  testGateway,
  useUpstream,
  waitFor,
} from '../../test/support/server.ts';
import type { UsageRecord } from './usage.ts';

let up: Upstream;
useUpstream({ reply: 'one two three four five six seven eight' }, (u) => (up = u));

async function lastRecord(records: UsageRecord[]): Promise<UsageRecord> {
  await waitFor(() => records.length === 1);
  return records[0]!;
}

async function expectRecorded(res: Response, records: UsageRecord[], outcome: string): Promise<void> {
  const body = GatewayErrorBodySchema.parse(await res.json());
  expect(await lastRecord(records)).toMatchObject({
    outcome,
    status: res.status,
    errorCode: body.error.code,
  });
}

describe('the usage record carries the status the client got', () => {
  it('tier not configured: 503 not_configured in the response and the record', async () => {
    const { app, usageLog } = testGateway(undefined);
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(503);
    await expectRecorded(res, usageLog.records, 'not_configured');
  });

  it('daily budget used up: 429 budget_exceeded in the response and the record', async () => {
    const { app, usageLog } = testGateway(up, {
      sites: [{ id: 'shop', origins: [ORIGIN], secret: SECRET, dailyBudgetUsd: 0.000001 }],
    });
    const minted = await app.request(
      '/v1/tokens',
      post(JSON.stringify({ origin: ORIGIN }), { authorization: `Bearer ${SECRET}` }),
    );
    const { token } = (await minted.json()) as { token: string };
    const res = await app.request(
      '/v1/chat/completions',
      post(chatBody(), { origin: ORIGIN, authorization: `Bearer ${token}` }),
    );
    expect(res.status).toBe(429);
    await expectRecorded(res, usageLog.records, 'budget_exceeded');
    expect(up.requests).toHaveLength(0);
  });

  it('provider refuses before the first byte: 502 upstream in the response and the record', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'status', status: 400 });
    const res = await app.request('/v1/chat/completions', post(chatBody()));
    expect(res.status).toBe(502);
    await expectRecorded(res, usageLog.records, 'upstream_error');
  });

  it('stream cut mid-answer without streaming: 502 upstream in the response and the record', async () => {
    const { app, usageLog } = testGateway(up);
    up.faults.push({ kind: 'cut', afterDeltas: 2 });
    const res = await app.request('/v1/chat/completions', post(chatBody({ stream: false })));
    expect(res.status).toBe(502);
    await expectRecorded(res, usageLog.records, 'upstream_error');
  });

  it('an answer: 200 in the response and the record, no error code', async () => {
    const { app, usageLog } = testGateway(up);
    const res = await app.request('/v1/chat/completions', post(chatBody({ stream: false })));
    expect(res.status).toBe(200);
    const record = await lastRecord(usageLog.records);
    expect(record).toMatchObject({ outcome: 'ok', status: 200 });
    expect(record.errorCode).toBeUndefined();
  });
});
