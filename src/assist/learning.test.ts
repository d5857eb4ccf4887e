/** The browser learner (learning.ts) through the real cascade, router and verifier, with an in-memory sink (Node). */
import { describe, expect, it } from 'vitest';
import { scriptedEngine } from '../../test/support/engines.ts';
import type { FeedbackRecord } from '../router/feedback.ts';
import { route, verifyAnswer } from '../router/index.ts';
import type { RouteContext } from '../router/types.ts';
import { runCascade } from './cascade.ts';
import type { CascadePolicy } from './cascade-types.ts';
import { Learner, type FeedbackSink } from './learning.ts';
import type { AssistDeps } from './types.ts';

function memorySink(initial?: unknown): FeedbackSink & { records: FeedbackRecord[]; state: unknown } {
  const sink = {
    records: [] as FeedbackRecord[],
    state: initial,
    add: async (r: unknown) => (sink.records.push(r as FeedbackRecord), r as FeedbackRecord),
    loadState: async () => sink.state,
    saveState: async (s: unknown) => void (sink.state = JSON.parse(JSON.stringify(s))),
  };
  return sink;
}

const POLICY: CascadePolicy = {
  quality: 0.5,
  privacy: 'redact',
  tiers: ['local', 'mid', 'frontier'],
  surface: 'test',
  verify: 'always',
};
const CONTEXT: RouteContext = { task: 'chat', quality: 0.5, turn: 1, localAvailable: true };
const QUESTIONS = [
  'Translate "good morning" into French.',
  'What is the capital of France?',
  'Write a haiku about rain.',
  'Prove that there are infinitely many primes and discuss the history of the proof.',
  'Refactor this function to use async/await: function f(cb) { g(function (e, r) { cb(e, r); }); }',
];

describe('Learner', () => {
  it('with nothing learned decides exactly as the static router (same tier and reason)', async () => {
    const learner = await Learner.open({ store: memorySink(), config: { exploreRate: 0 } });
    for (const q of QUESTIONS) {
      const { decision, tag } = learner.route(q, CONTEXT);
      expect(decision).toEqual(route(q, CONTEXT));
      expect(tag.propensity).toBe(1);
      expect(JSON.stringify(tag)).not.toContain('Translate');
    }
  });

  it('in the cascade: the answer carries its tag and the verifier verdict is recorded, without text', async () => {
    const sink = memorySink();
    const learner = await Learner.open({ store: sink });
    const deps: AssistDeps = {
      route,
      learner,
      verifyAnswer,
      localEngine: async () => scriptedEngine(['Bonjour.']),
      localAvailable: () => true,
      remote: undefined,
    };
    const prompt = 'Translate "good morning" into French.';
    const answer = await runCascade(
      { input: { kind: 'chat', messages: [{ role: 'user', content: prompt }] }, prompt, task: 'chat' },
      deps,
      POLICY,
    );
    expect(answer.tier).toBe('local');
    expect(answer.learning?.features.idx.length).toBeGreaterThan(0);
    await learner.flush();
    expect(sink.records.map((r) => r.signal)).toEqual(['verifier-accept']);
    expect(sink.records[0]).toMatchObject({
      surface: 'tier-assist',
      task: 'chat',
      feedback: { tier: 'local' },
    });
    expect(JSON.stringify([sink.records, sink.state]).toLowerCase()).not.toContain('morning');
  });

  it('record-only (learning off) stores feedback but neither learns nor changes a decision', async () => {
    const sink = memorySink();
    const learner = await Learner.open({ store: sink, learn: false, refitEvery: 1 });
    const q = QUESTIONS[0]!;
    for (let i = 0; i < 40; i++) await learner.record('thumbs-down', 'local', learner.route(q, CONTEXT).tag);
    expect(sink.records).toHaveLength(40);
    expect(sink.state).toBeUndefined();
    expect(learner.route(q, CONTEXT).decision).toEqual(route(q, CONTEXT));
  });

  it('a malformed saved state is discarded: it starts again from the static router', async () => {
    const learner = await Learner.open({ store: memorySink({ version: 1, config: { buckets: 3 } }) });
    expect(learner.router.state().counters.updates).toBe(0);
    expect(learner.route(QUESTIONS[1]!, CONTEXT).decision.tier).toBe(route(QUESTIONS[1]!, CONTEXT).tier);
  });

  it('an override (the person asked for a bigger model) is never explored and has propensity 1', async () => {
    const learner = await Learner.open({ store: memorySink(), config: { exploreRate: 0.5, exploreBand: 1 } });
    for (let i = 0; i < 20; i++) {
      const { decision, tag } = learner.route(QUESTIONS[1]!, { ...CONTEXT, userAskedBigger: true });
      expect(decision.flags).toContain('user-asked-bigger');
      expect(tag.propensity).toBe(1);
    }
  });
});
