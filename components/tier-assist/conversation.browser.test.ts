import type { ReactiveController } from 'lit';
import { describe, expect, it } from 'vitest';
import type { AssistAnswer, AssistRequest } from '../../src/assist/types.ts';
import { clearConversation } from '../shared/conversation-store.ts';
import { EngineController } from '../shared/engine-controller.ts';
import { DEFAULT_SETTINGS, applyAttribute, type Settings } from './attributes.ts';
import { ConversationController, type CascadeFactory } from './conversation.ts';
import type { TierAssistEventMap } from './events.ts';

let keys = 0;

function answer(text: string): AssistAnswer {
  return {
    text,
    tier: 'mid',
    model: 'fake-mid',
    decision: { tier: 'mid', reason: 'test', scores: {} as AssistAnswer['decision']['scores'], flags: [] },
    ttftMs: 1,
    latencyMs: 2,
    costUsd: 0.0001,
    frontierCostUsd: 0.001,
    usage: { promptTokens: 3, completionTokens: 4 },
    finishReason: 'stop',
    notes: [],
    pii: [],
    redacted: false,
  };
}

/** A controller on a bare host, with a cascade factory that counts how often it builds. */
function setup(build: (n: number) => Promise<{ ask(r: AssistRequest): Promise<AssistAnswer> }>) {
  const controllers: ReactiveController[] = [];
  const host = {
    addController: (c: ReactiveController) => void controllers.push(c),
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  const state = {
    settings: { ...DEFAULT_SETTINGS, gateway: '/' } as Readonly<Settings>,
    builds: [] as unknown[],
  };
  const events: (keyof TierAssistEventMap)[] = [];
  const createCascade: CascadeFactory = (options) => {
    state.builds.push(options.settings);
    return build(state.builds.length);
  };
  const key = `conversation-test-${Date.now()}-${keys++}`;
  const engine = new EngineController(host, {
    loadProvider: () => Promise.reject(new Error('no engine in this test')),
    model: () => undefined,
  });
  const conversation = new ConversationController(host, {
    settings: () => state.settings,
    storageKey: () => key,
    engine,
    emit: (type) => {
      events.push(type);
      return true;
    },
    onError: () => undefined,
    blocked: () => undefined,
    prepare: async () => undefined,
    createCascade,
  });
  for (const c of controllers) c.hostConnected?.();
  return { conversation, state, events, done: () => clearConversation(key) };
}

describe('ConversationController', () => {
  it('builds one cascade for many questions, and a new one only when a setting it uses changes', async () => {
    const { conversation, state, events, done } = setup(async () => ({
      ask: async (r) => answer(`Answer to ${r.text}`),
    }));
    await conversation.ask('first?');
    await conversation.ask('second?');
    expect(state.builds).toHaveLength(1);
    expect(conversation.turns.map((t) => t.text)).toEqual([
      'first?',
      'Answer to first?',
      'second?',
      'Answer to second?',
    ]);
    expect(events.filter((e) => e === 'tier-response')).toHaveLength(2);

    // The on-device model and the placeholder are not the cascade's business: it is kept.
    state.settings = applyAttribute(state.settings, 'model', 'other-model');
    state.settings = applyAttribute(state.settings, 'placeholder', 'Ask me');
    await conversation.ask('third?');
    expect(state.builds).toHaveLength(1);

    state.settings = applyAttribute(state.settings, 'quality', '0.9');
    await conversation.ask('fourth?');
    expect(state.builds).toHaveLength(2);
    expect(state.builds[1]).toMatchObject({ quality: 0.9, privacy: 'redact' });
    await conversation.ask('fifth?');
    expect(state.builds).toHaveLength(2);
    await done();
  });

  it('a cascade that could not be built shows the error and is built again on the next question', async () => {
    const { conversation, state, done } = setup(async (n) => {
      if (n === 1) throw new Error('router weights failed to load');
      return { ask: async () => answer('Fine now.') };
    });
    await conversation.ask('first?');
    expect(conversation.turns.at(-1)).toMatchObject({ role: 'assistant', text: '' });
    expect(conversation.turns.at(-1)?.error).toBeTruthy();
    await conversation.ask('again?');
    expect(state.builds).toHaveLength(2);
    expect(conversation.turns.at(-1)).toMatchObject({ text: 'Fine now.', badge: { tier: 'mid' } });
    await done();
  });
});
