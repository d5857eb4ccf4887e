/**
 * <tier-triage feedback-store>: an agent's correction of a field a tier filled, and an acceptance (Copy
 * tags), end up in the feedback store (src/ledger/feedback-store.ts) with the right signal and tier, and
 * the store holds none of the ticket's text. The on-device model and the gateway are scripted doubles of
 * their interfaces (the classifier is the real one, in its worker).
 */
import { deleteDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { FeedbackStore } from '../../src/ledger/feedback-store.ts';
import { scriptedEngine, scriptedGateway } from '../../test/support/engines.ts';
import './tier-triage.ts';
import type { TierTriage } from './tier-triage.ts';

const ANSWER = {
  category: 'cancel_order',
  priority: 'high',
  sentiment: 'negative',
  language: 'en',
  summary: 'Customer Zorblax wants order 88231 cancelled.',
  reply: 'Dear Zorblax, order 88231 is cancelled.',
};
const TICKET = 'Hello, I am Zorblax and I would like to cancel order 88231 that I placed yesterday please';

const dbs: string[] = [];
const elements: HTMLElement[] = [];
afterEach(async () => {
  for (const el of elements.splice(0)) el.remove();
  for (const name of dbs.splice(0)) await deleteDB(name);
});

async function mount(attrs: Record<string, string>): Promise<TierTriage> {
  const el = document.createElement('tier-triage');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  // The device answers ANSWER (no logprobs: each field gets confidence 0.5); the gateway changes the priority.
  el.engine = scriptedEngine([JSON.stringify(ANSWER)]);
  el.gatewayClient = scriptedGateway(JSON.stringify({ ...ANSWER, priority: 'urgent' }));
  document.body.append(el);
  elements.push(el);
  await el.ready;
  await el.updateComplete;
  return el;
}

describe('<tier-triage feedback-store>', () => {
  it('records a correction and an acceptance with the tier that filled the fields, and no ticket text', async () => {
    const id = `${Date.now()}-${Math.random()}`;
    const feedback = `triage-feedback-${id}`;
    dbs.push(feedback, `triage-fb-classifier-${id}`);
    const el = await mount({ 'store-name': `triage-fb-classifier-${id}`, 'feedback-store': feedback });
    const signals: string[] = [];
    el.addEventListener('tier-triage-feedback', (e) => signals.push(`${e.detail.signal}:${e.detail.tier}`));

    // ticket 1, on device (every model field at 0.5 meets the 0.5 threshold): the agent corrects the priority
    const first = await el.triage(TICKET);
    expect(first.fields.priority).toMatchObject({ value: 'high', source: 'device' });
    await el.correct('priority', 'urgent');
    expect(signals).toEqual(['correction:local']);

    // ticket 2, priority and the other 0.5 fields escalate to the gateway (mid); the agent copies the tags
    el.fieldThreshold = 0.6;
    const second = await el.triage(TICKET + ' thanks');
    expect(second.fields.priority).toMatchObject({ value: 'urgent', source: 'gateway' });
    const tiers = new Set(
      Object.values(second.fields).map((f) =>
        f.source === 'device' ? 'local' : f.source === 'gateway' ? 'mid' : '',
      ),
    );
    tiers.delete('');
    await el.updateComplete;
    await page.getByRole('button', { name: 'Copy tags' }).click();
    await expect.poll(() => signals.length).toBe(1 + tiers.size);
    expect(signals.slice(1).sort()).toEqual([...tiers].map((t) => `accepted:${t}`).sort());
    expect(signals).toContain('accepted:mid');

    // copying again, or correcting a field of a tier already accepted, records nothing new
    await el.accept();
    await el.correct('sentiment', 'neutral');

    const store = await FeedbackStore.open(feedback);
    const records = await store.records();
    const dump = await store.export();
    store.close();
    expect(records.map((r) => `${r.signal}:${r.feedback.tier}`)).toEqual(signals);
    expect(records.every((r) => r.surface === 'tier-triage' && r.task === 'triage')).toBe(true);
    expect(records[0]!.feedback.correct).toBe(false);
    expect(records.at(-1)!.feedback.correct).toBe(true);
    expect(records[0]!.feedback.features.idx.length).toBeGreaterThan(0);
    for (const word of ['Zorblax', '88231', 'cancel', 'order', 'placed', 'yesterday', 'urgent'])
      expect(dump).not.toContain(word);
  });

  it('records nothing without the attribute, and nothing for the classifier-only category', async () => {
    const id = `${Date.now()}-${Math.random()}`;
    dbs.push(`triage-fb-off-${id}`, `triage-fb-cls-${id}`, `triage-fb-cls-store-${id}`);
    const off = await mount({ 'store-name': `triage-fb-off-${id}` });
    const heard: string[] = [];
    off.addEventListener('tier-triage-feedback', (e) => heard.push(e.detail.signal));
    await off.triage(TICKET);
    await off.correct('priority', 'low');
    await off.accept();
    expect(heard).toEqual([]);

    // the classifier alone (no model, no gateway): its category is not a tier's answer
    const cls = document.createElement('tier-triage');
    cls.setAttribute('store-name', `triage-fb-cls-${id}`);
    cls.setAttribute('feedback-store', `triage-fb-cls-store-${id}`);
    document.body.append(cls);
    elements.push(cls);
    await cls.ready;
    cls.addEventListener('tier-triage-feedback', (e) => heard.push(e.detail.signal));
    await cls.triage(TICKET);
    await cls.correct('category', 'track_order');
    await cls.accept();
    expect(heard).toEqual([]);
    const store = await FeedbackStore.open(`triage-fb-cls-store-${id}`);
    expect(await store.count()).toBe(0);
    store.close();
  });
});
