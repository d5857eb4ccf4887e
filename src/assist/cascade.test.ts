/** The cascade's steps as events, with the real router and verifier (Node). */
import { describe, expect, it } from 'vitest';
import { scriptedEngine, scriptedGateway } from '../../test/support/engines.ts';
import { EngineUnavailableError } from '../errors.ts';
import type { LedgerEntry } from '../ledger/record.ts';
import { route, verifyAnswer } from '../router/index.ts';
import { runCascade } from './cascade.ts';
import type { CascadeEvent, CascadePolicy, CascadeRequest } from './cascade-types.ts';
import type { AssistDeps, RemoteChat } from './types.ts';

const TRIAGE_SCHEMA = {
  type: 'object',
  required: ['category', 'priority'],
  properties: { category: { type: 'string' }, priority: { type: 'string' } },
};

function setup(engineAnswers: string[], remote: RemoteChat | undefined, finish?: 'stop' | 'length') {
  const engine = scriptedEngine(engineAnswers, finish ? { finish } : {});
  const booked: LedgerEntry[] = [];
  const deps: AssistDeps = {
    route,
    verifyAnswer,
    localEngine: async () => engine,
    localAvailable: () => true,
    remote,
    ledger: { record: async (entry) => void booked.push(entry) },
  };
  return { engine, deps, booked };
}

const POLICY: CascadePolicy = {
  quality: 0,
  privacy: 'redact',
  tiers: ['local', 'mid', 'frontier'],
  surface: 'test',
  verify: 'always',
  booking: 'attempts',
};

function chat(text: string, events: CascadeEvent[], extra: Partial<CascadeRequest> = {}): CascadeRequest {
  return {
    input: { kind: 'chat', messages: [{ role: 'user', content: text }] },
    prompt: text,
    task: 'chat',
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

describe('runCascade: escalation', () => {
  it('escalates an on-device answer the verifier rejects, reporting each step in order', async () => {
    const gateway = scriptedGateway('You are welcome, glad it helped.');
    const { deps } = setup([''], gateway, 'length');
    const events: CascadeEvent[] = [];
    const answer = await runCascade(chat('thanks!', events), deps, POLICY);
    expect(answer).toMatchObject({
      tier: 'mid',
      escalatedFrom: 'local',
      text: 'You are welcome, glad it helped.',
    });
    expect(answer.escalationReason).toMatch(/^verifier: /);
    const steps = events
      .filter((e) => e.type !== 'delta' && e.type !== 'first-token')
      .map((e) => ('tier' in e ? `${e.type}:${e.tier}` : e.type));
    expect(steps).toEqual([
      'privacy',
      'route',
      'attempt:local',
      'model-ready:local',
      'attempt-done',
      'booked',
      'verify',
      'escalate',
      'reset:mid',
      'attempt:mid',
      'attempt-done',
      'booked',
      'done',
    ]);
    const verify = events.find((e) => e.type === 'verify');
    expect(verify?.type === 'verify' && verify.verdict.accept).toBe(false);
    const escalate = events.find((e) => e.type === 'escalate');
    expect(escalate).toMatchObject({ from: 'local', to: 'mid', vetoed: false });
    expect(escalate?.type === 'escalate' && escalate.reason.length).toBeGreaterThan(0);
    expect(gateway.requests).toHaveLength(1);
  });
});

describe('runCascade: privacy', () => {
  it('redacts personal data before it leaves the device: the gateway sees placeholders, the person never does', async () => {
    const gateway = scriptedGateway('We will write to [EMAIL_1] about card [CARD_1].');
    const { deps } = setup(['unused'], gateway);
    const events: CascadeEvent[] = [];
    const text = 'I am ann@example.com and card 4111 1111 1111 1111 was stolen, block it';
    const answer = await runCascade(chat(text, events, { forceTier: 'mid' }), deps, POLICY);
    const sent = JSON.stringify(gateway.requests);
    expect(sent).not.toContain('ann@example.com');
    expect(sent).not.toContain('4111');
    expect(sent).toContain('[EMAIL_1]');
    expect(answer).toMatchObject({
      tier: 'mid',
      redacted: true,
      text: 'We will write to ann@example.com about card 4111 1111 1111 1111.',
    });
    const redacted = events.findIndex((e) => e.type === 'redacted');
    const firstRemoteDelta = events.findIndex((e) => e.type === 'delta' && e.tier === 'mid');
    expect(redacted).toBeGreaterThan(-1);
    expect(redacted).toBeLessThan(firstRemoteDelta);
    expect(events[redacted]).toMatchObject({ tier: 'mid', placeholders: 2 });
    for (const e of events) if (e.type === 'delta') expect(e.text).not.toMatch(/\[(EMAIL|CARD)_1\]/);
  });

  it('under local-only, personal data is never sent, not even when the device fails', async () => {
    const gateway = scriptedGateway('never');
    const engine = scriptedEngine([], { fail: new EngineUnavailableError('gone') });
    const deps: AssistDeps = {
      route,
      verifyAnswer,
      localEngine: async () => engine,
      localAvailable: () => true,
      remote: gateway,
    };
    const events: CascadeEvent[] = [];
    const request = chat('write to ann@example.com about the long and complex tax question', events);
    await expect(runCascade(request, deps, { ...POLICY, privacy: 'local-only' })).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
    expect(gateway.requests).toHaveLength(0);
    expect(events.at(-1)?.type).toBe('error');
  });
});

describe('runCascade: booking and policy', () => {
  it('books every model run with "attempts", and one entry for the answer with "answer"', async () => {
    const gateway = scriptedGateway('A full answer.');
    const a = setup([''], gateway, 'length');
    await runCascade(chat('thanks!', []), a.deps, POLICY);
    expect(a.booked.map((b) => `${b.surface}:${b.tier}:${String(b.escalated)}`)).toEqual([
      'test:local:false',
      'test:mid:true',
    ]);
    expect(a.booked[1]).toMatchObject({ model: 'mid-model', costUsd: 0.00003, task: 'chat' });

    const b = setup([''], gateway, 'length');
    await runCascade(chat('thanks!', []), b.deps, { ...POLICY, booking: 'answer' });
    expect(b.booked).toHaveLength(1);
    expect(b.booked[0]).toMatchObject({ tier: 'mid', escalated: true });
  });

  it('verifies only flagged tasks under "flagged": invalid triage JSON escalates, a sentence rewrite stays', async () => {
    const gateway = scriptedGateway('{"category":"billing","priority":"high"}');
    const t = setup(['not json'], gateway);
    const flagged: CascadePolicy = { ...POLICY, verify: 'flagged' };
    const triage = await runCascade(
      { ...chat('charged twice, refund please', []), task: 'triage', jsonSchema: TRIAGE_SCHEMA },
      t.deps,
      flagged,
    );
    expect(triage.decision.flags).toContain('cascade');
    expect(triage).toMatchObject({ tier: 'mid', text: '{"category":"billing","priority":"high"}' });

    const r = setup(['not json'], gateway);
    const rewrite = await runCascade({ ...chat('send report now', []), task: 'rewrite' }, r.deps, flagged);
    expect(rewrite).toMatchObject({ tier: 'local', text: 'not json' });
    expect(gateway.requests).toHaveLength(1);
  });
});

describe('runCascade: inputs and fallbacks', () => {
  it('continues a completion prefix on the device with engine.complete', async () => {
    const { engine, deps } = setup(['see you tomorrow.'], undefined);
    const answer = await runCascade(
      { input: { kind: 'complete', prefix: 'Thanks, ' }, prompt: 'Thanks, ', task: 'autocomplete' },
      deps,
      { ...POLICY, verify: 'flagged', tiers: ['local'] },
    );
    expect(engine.prefixes).toEqual(['Thanks, ']);
    expect(engine.chats).toHaveLength(0);
    expect(answer).toMatchObject({ tier: 'local', text: 'see you tomorrow.' });
  });

  it('without fallbacks, a device failure is the answer (no silent trip to the gateway)', async () => {
    const gateway = scriptedGateway('never');
    const engine = scriptedEngine([], { fail: new EngineUnavailableError('gone') });
    const deps: AssistDeps = {
      route,
      verifyAnswer,
      localEngine: async () => engine,
      localAvailable: () => true,
      remote: gateway,
    };
    const request = { ...chat('send report now', []), task: 'rewrite' as const };
    await expect(runCascade(request, deps, { ...POLICY, fallback: false })).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
    expect(gateway.requests).toHaveLength(0);
    const answer = await runCascade(request, deps, POLICY);
    expect(answer.tier).toBe('mid');
    expect(answer.notes[0]).toMatch(/On-device model unavailable/);
  });
});
