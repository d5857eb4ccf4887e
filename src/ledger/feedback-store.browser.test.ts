import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { feedbackRecord } from '../router/feedback.ts';
import { FeedbackStore } from './feedback-store.ts';

const opened: FeedbackStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) {
    await s.clear();
    s.close();
  }
});
let n = 0;
async function open(cap?: number): Promise<FeedbackStore> {
  const store = await FeedbackStore.open(`feedback-store-test-${Date.now()}-${n++}`, cap ? { cap } : {});
  opened.push(store);
  return store;
}
const decided = {
  features: { scores: { local: 0.9, mid: 0.95 }, dense: [0.1], idx: [3], val: [1] },
  tier: 'local' as const,
  propensity: 1,
};
const at = (ms: number) =>
  feedbackRecord('thumbs-up', decided, { surface: 'tier-assist', task: 'chat', at: ms });

describe('FeedbackStore (IndexedDB)', () => {
  it('keeps at most the cap, dropping the oldest first', async () => {
    const store = await open(3);
    for (let i = 1; i <= 5; i++) await store.add(at(i));
    expect((await store.records()).map((r) => r.at)).toEqual([3, 4, 5]);
  });

  it('refuses a record that does not parse (typed error, nothing stored) and one with text fields', async () => {
    const store = await open();
    await expect(store.add({ ...at(1), signal: 'maybe' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.add({ ...at(1), prompt: 'my secret question' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(await store.count()).toBe(0);
  });

  it('exports the records as JSON and keeps the router state across a reopen', async () => {
    const store = await open();
    await store.add(at(7));
    await store.saveState({ version: 1, note: 'state' });
    const data = JSON.parse(await store.export(() => 0)) as { kind: string; records: unknown[] };
    expect(data.kind).toBe('tier-feedback');
    expect(data.records).toEqual([at(7)]);
    const again = await FeedbackStore.open(store.name);
    expect(await again.loadState()).toEqual({ version: 1, note: 'state' });
    again.close();
  });
});
