import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackBatch } from '../../test/support/server.ts';
import { startRedis, type RedisServer } from '../../test/support/redis.ts';
import { parseOnlineState } from '../router/learning.ts';
import { createFeedbackLearner } from './feedback-learner.ts';
import { createMemoryStore } from './stores/memory.ts';
import { createRedisStore } from './stores/redis.ts';
import type { FeedbackStore, GatewayStore } from './stores/types.ts';

let redis: RedisServer;
let a: GatewayStore;
let b: GatewayStore;
beforeAll(async () => {
  redis = await startRedis();
  a = createRedisStore({ url: redis.url, prefix: 'fb1:' });
  b = createRedisStore({ url: redis.url, prefix: 'fb1:' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

const site = () => `site-${Math.random().toString(36).slice(2)}`;
const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => `{"n":${from + i}}`);

describe.each([
  ['redis (two clients)', () => [a.feedback, b.feedback] as const],
  ['memory', () => [createMemoryStore().feedback, null] as const],
])('%s feedback store', (_name, stores) => {
  it('numbers records in order, keeps the newest `cap` and reads any range of what is kept', async () => {
    const [s1, s2] = stores();
    const other: FeedbackStore = s2 ?? s1;
    const id = site();
    expect(await s1.router(id)).toEqual({ state: null, applied: 0, seq: 0, stored: 0 });
    expect(await s1.since(id, 0, 10)).toEqual({ records: [], firstSeq: 1, seq: 0 });
    expect(await s1.append(id, recs(1, 3), 5)).toEqual({ seq: 3, stored: 3 });
    expect(await other.append(id, recs(4, 4), 5)).toEqual({ seq: 7, stored: 5 });
    // Records 1 and 2 went out (oldest first); what is kept still carries its number.
    expect(await other.since(id, 0, 10)).toEqual({ records: recs(3, 5), firstSeq: 3, seq: 7 });
    expect(await s1.since(id, 4, 2)).toEqual({ records: recs(5, 2), firstSeq: 5, seq: 7 });
    expect(await s1.since(id, 7, 10)).toEqual({ records: [], firstSeq: 8, seq: 7 });
    // Another site is separate.
    expect((await s1.router(site())).seq).toBe(0);
  });

  it('saving the router is a compare-and-set on the last learned record', async () => {
    const [s1, s2] = stores();
    const other: FeedbackStore = s2 ?? s1;
    const id = site();
    await s1.append(id, recs(1, 4), 10);
    expect(await s1.saveRouter(id, 0, '{"v":1}', 4)).toBe(true);
    // A second gateway that started from applied = 0 too loses: its state is not written.
    expect(await other.saveRouter(id, 0, '{"v":2}', 2)).toBe(false);
    expect(await other.router(id)).toEqual({ state: '{"v":1}', applied: 4, seq: 4, stored: 4 });
    expect(await other.saveRouter(id, 4, '{"v":3}', 4)).toBe(true);
    expect((await s1.router(id)).state).toBe('{"v":3}');
  });

  it('concurrent appends from both clients lose nothing and never interleave a batch', async () => {
    const [s1, s2] = stores();
    const id = site();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => ((i % 2 && s2) || s1).append(id, recs(i * 100, 10), 1000)),
    );
    const all = await s1.since(id, 0, 1000);
    expect(all.seq).toBe(200);
    expect(all.records).toHaveLength(200);
    for (let i = 0; i < 200; i += 10) {
      const first = (JSON.parse(all.records[i]!) as { n: number }).n;
      expect(all.records.slice(i, i + 10)).toEqual(recs(first, 10));
    }
  });
});

describe('feedback learner', () => {
  it('two gateways catching up at once save the same state one gateway alone would', async () => {
    const id = site();
    const batches = [
      feedbackBatch(60, { signal: 'thumbs-down', tier: 'mid' }).records,
      feedbackBatch(60, { signal: 'thumbs-up', tier: 'frontier' }).records,
      feedbackBatch(40, { signal: 'ask-bigger', tier: 'local' }).records,
    ];
    const la = createFeedbackLearner(a.feedback, { refitEvery: 50, chunk: 7 });
    const lb = createFeedbackLearner(b.feedback, { refitEvery: 50, chunk: 7 });
    for (const [i, batch] of batches.entries()) await (i % 2 ? lb : la).append(id, batch);
    const [va, vb] = await Promise.all([la.catchUp(id), lb.catchUp(id)]);
    // Alone, on a fresh memory store, with the same records in the same order.
    const alone = createFeedbackLearner(createMemoryStore().feedback, { refitEvery: 50 });
    for (const batch of batches) await alone.append('solo', batch);
    const expected = await alone.catchUp('solo');
    const saved = await a.feedback.router(id);
    expect(saved.applied).toBe(160);
    expect(parseOnlineState(JSON.parse(saved.state!))).toEqual(expected.state);
    // Refits at record 50 and 150 (at 100 the first is still on probation: 50 of its 60 outcomes seen).
    expect(expected.counts).toEqual({ records: 160, stored: 160, learned: 160, refits: 2, rollbacks: 0 });
    expect(expected.state!.counters.updates).toBe(160);
    for (const v of [va, vb]) expect(v.counts.learned).toBe(160);
  });

  it('a stored state that does not parse is rebuilt from the records still kept', async () => {
    const id = site();
    const errors: unknown[] = [];
    const learner = createFeedbackLearner(a.feedback, { log: (e) => errors.push(e) });
    await learner.append(id, feedbackBatch(30).records);
    const good = await learner.catchUp(id);
    expect(await a.feedback.saveRouter(id, 30, '{"version":1,"config":{}}', 30)).toBe(true);
    await learner.append(id, feedbackBatch(1).records);
    const rebuilt = await learner.catchUp(id);
    expect(errors.length).toBeGreaterThan(0);
    expect(rebuilt.counts.learned).toBe(31);
    expect(rebuilt.state!.counters.updates).toBe(31);
    expect(good.state!.counters.updates).toBe(30);
  });
});
