import { describe, expect, it } from 'vitest';
import type { ChatMessage, GenerateOptions, GenerateResult, LocalEngine } from '../engines/types.ts';
import { DeviceLostError, EngineUnavailableError, NotConfiguredError, AbortError } from '../errors.ts';
import { createTextChannel as createChannel } from '../engines/stream.ts';
import { route as realRoute, verifyAnswer as realVerify } from '../router/index.ts';
import type { Decision, RouteContext } from '../router/types.ts';
import { scriptedGateway } from '../../test/support/engines.ts';
import { Orchestrator } from './orchestrator.ts';
import type { AssistDeps, AssistEvent } from './types.ts';

/** A LocalEngine double that streams a fixed answer word by word (or fails). */
function fakeEngine(answer: string, options: { fail?: Error; finish?: 'stop' | 'length' } = {}) {
  const seen: ChatMessage[][] = [];
  const engine: LocalEngine = {
    capabilities: { kind: 'wasm', jsonSchema: false, logprobs: false, completion: true, gpu: false },
    model: { id: 'fake', label: 'Fake 1B', sizeBytes: 1, memoryBytes: 1, engine: 'wasm' },
    load: async () => undefined,
    unload: async () => undefined,
    complete: () => {
      throw new Error('unused');
    },
    chat(messages: ChatMessage[], opts: GenerateOptions = {}) {
      seen.push(messages);
      const ch = createChannel<GenerateResult>();
      void (async () => {
        if (options.fail) return ch.fail(options.fail);
        let text = '';
        for (const word of answer.split(/(?<= )/)) {
          await new Promise((r) => setTimeout(r, 1));
          if (opts.signal?.aborted) {
            return ch.finish(result(text, 'abort'));
          }
          text += word;
          ch.push(word);
        }
        ch.finish(result(text, options.finish ?? 'stop'));
      })();
      return ch.stream;
    },
  };
  const result = (text: string, finishReason: GenerateResult['finishReason']): GenerateResult => ({
    text,
    finishReason,
    usage: { promptTokens: 5, completionTokens: 3 },
    timings: { ttftMs: 1, totalMs: 2, decodeTokPerSec: 100 },
    model: 'fake',
  });
  return { engine, seen };
}

/** The scripted gateway of test/support, shaped as this file's tests use it. */
function fakeRemote(answer: string, options: { fail?: Error } = {}) {
  const remote = scriptedGateway(answer, options);
  return { requests: remote.requests, remote };
}

const decide =
  (tier: Decision['tier']) =>
  (_text: string, ctx: RouteContext = {}): Decision => {
    let t = tier;
    const flags: Decision['flags'] = [];
    if (ctx.piiFound && ctx.privacy === 'local-only') {
      t = 'local';
      flags.push('pii-local-only');
    } else if (t === 'local' && ctx.localAvailable === false) t = 'mid';
    return { tier: t, reason: `stand-in chose ${t}`, scores: { local: 0.5, mid: 0.5 }, flags };
  };

function deps(overrides: Partial<AssistDeps>): AssistDeps {
  return {
    route: decide('local'),
    verifyAnswer: () => ({ accept: true, reason: 'fine', signals: {} }),
    localEngine: async () => undefined,
    localAvailable: () => true,
    remote: undefined,
    ...overrides,
  };
}

describe('Orchestrator', () => {
  it('answers on-device when routed local and the verifier accepts, emitting timed steps in order', async () => {
    const { engine } = fakeEngine('Open the app and tap Cards.');
    const events: AssistEvent[] = [];
    const o = new Orchestrator(deps({ localEngine: async () => engine }));
    const answer = await o.ask({
      text: 'How do I freeze my card?',
      history: [],
      onEvent: (e) => events.push(e),
    });
    expect(answer).toMatchObject({
      tier: 'local',
      text: 'Open the app and tap Cards.',
      costUsd: 0,
      model: 'Fake 1B',
    });
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual([
      'privacy',
      'route',
      'attempt',
      'model-ready',
      'first-token',
      'delta',
      'verify',
      'done',
    ]);
    const times = events.map((e) => e.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('escalates a rejected on-device answer to mid, unless the host vetoes it', async () => {
    const { engine } = fakeEngine('I am not sure.');
    const { remote, requests } = fakeRemote('A full answer.');
    const reject = () => ({ accept: false, reason: 'the answer hedges', signals: {} });
    const o = new Orchestrator(deps({ localEngine: async () => engine, remote, verifyAnswer: reject }));
    const events: AssistEvent[] = [];
    const answer = await o.ask({ text: 'q', history: [], onEvent: (e) => events.push(e) });
    expect(answer).toMatchObject({
      tier: 'mid',
      text: 'A full answer.',
      escalatedFrom: 'local',
      costUsd: 0.00003,
    });
    expect(events.find((e) => e.type === 'escalate')).toMatchObject({
      from: 'local',
      to: 'mid',
      vetoed: false,
    });
    expect(requests).toHaveLength(1);

    const vetoed = await o.ask({ text: 'q', history: [], beforeEscalate: () => false });
    expect(vetoed.tier).toBe('local');
    expect(vetoed.notes.join(' ')).toMatch(/bigger model/);
    expect(requests).toHaveLength(1);
  });

  it('falls back to mid with a note when the device fails (device lost)', async () => {
    const { engine } = fakeEngine('', { fail: new DeviceLostError() });
    const { remote } = fakeRemote('From mid.');
    const events: AssistEvent[] = [];
    const o = new Orchestrator(deps({ localEngine: async () => engine, remote }));
    const answer = await o.ask({ text: 'q', history: [], onEvent: (e) => events.push(e) });
    expect(answer.tier).toBe('mid');
    expect(answer.notes).toHaveLength(1);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'local', to: 'mid' });
  });

  it('falls back to the device with a note when the gateway fails on a request the device can answer', async () => {
    const { engine } = fakeEngine('Local answer.');
    const { remote } = fakeRemote('', {
      fail: new NotConfiguredError('Add ANTHROPIC_API_KEY', { data: { setting: 'ANTHROPIC_API_KEY' } }),
    });
    const o = new Orchestrator(deps({ route: decide('mid'), localEngine: async () => engine, remote }));
    const answer = await o.ask({ text: 'q', history: [] });
    expect(answer).toMatchObject({ tier: 'local', text: 'Local answer.' });
    expect(answer.notes[0]).toMatch(/ANTHROPIC_API_KEY/);
  });

  it('surfaces the gateway error when no on-device engine can answer', async () => {
    const { remote } = fakeRemote('', {
      fail: new NotConfiguredError('Add ANTHROPIC_API_KEY', { data: { setting: 'ANTHROPIC_API_KEY' } }),
    });
    const o = new Orchestrator(deps({ route: decide('local'), localAvailable: () => false, remote }));
    await expect(o.ask({ text: 'q', history: [] })).rejects.toBeInstanceOf(NotConfiguredError);
  });

  it('redacts personal data before it leaves the device and restores it in the answer', async () => {
    const { remote, requests } = fakeRemote('We will write to [EMAIL_1] about card [CARD_1].');
    const o = new Orchestrator(deps({ route: decide('mid'), remote }), { privacy: 'redact' });
    const answer = await o.ask({
      text: 'I am ann@example.com, card 4111 1111 1111 1111 was stolen',
      history: [],
    });
    const sent = JSON.stringify(requests[0]!.messages);
    expect(sent).not.toContain('ann@example.com');
    expect(sent).not.toContain('4111');
    expect(answer.text).toBe('We will write to ann@example.com about card 4111 1111 1111 1111.');
    expect(answer).toMatchObject({ redacted: true, pii: ['email', 'card'] });
  });

  it('keeps personal data on the device under local-only, and refuses to send it anywhere', async () => {
    const { remote, requests } = fakeRemote('never');
    const { engine } = fakeEngine('ok');
    const o = new Orchestrator(deps({ route: decide('frontier'), remote, localEngine: async () => engine }), {
      privacy: 'local-only',
    });
    expect((await o.ask({ text: 'my email is a@b.io', history: [] })).tier).toBe('local');
    const none = new Orchestrator(
      deps({
        route: decide('frontier'),
        remote,
        localEngine: async () => undefined,
        localAvailable: () => false,
      }),
      {
        privacy: 'local-only',
      },
    );
    await expect(none.ask({ text: 'my email is a@b.io', history: [] })).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
    expect(requests).toHaveLength(0);
    await expect(
      none.ask({ text: 'my email is a@b.io', history: [], forceTier: 'frontier' }),
    ).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(requests).toHaveLength(0);
  });

  it('one AbortSignal cancels the on-device generation', async () => {
    const { engine } = fakeEngine('a b c d e f g h i j k l m n o p');
    const controller = new AbortController();
    const o = new Orchestrator(deps({ localEngine: async () => engine }));
    const promise = o.ask({
      text: 'q',
      history: [],
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'first-token') controller.abort();
      },
    });
    await expect(promise).rejects.toBeInstanceOf(AbortError);
  });

  it('"Ask a bigger model" skips the router choice and the device', async () => {
    const { remote, requests } = fakeRemote('Big answer.');
    const o = new Orchestrator(deps({ remote }));
    const answer = await o.ask({ text: 'q', history: [], forceTier: 'frontier', previousTier: 'local' });
    expect(answer.tier).toBe('frontier');
    expect(requests[0]!.tier).toBe('frontier');
    expect(answer.decision.flags).toContain('user-asked-bigger');
  });

  it('works with the real router and verifier: an empty on-device answer escalates', async () => {
    const { engine } = fakeEngine('', { finish: 'length' });
    const { remote } = fakeRemote('Real answer.');
    const o = new Orchestrator(
      {
        route: realRoute,
        verifyAnswer: realVerify,
        localEngine: async () => engine,
        localAvailable: () => true,
        remote,
      },
      { quality: 0 },
    );
    const answer = await o.ask({ text: 'thanks!', history: [] });
    expect(answer.decision.tier).toBe('local');
    expect(answer).toMatchObject({ tier: 'mid', escalatedFrom: 'local' });
  });

  it('records each answer in the ledger', async () => {
    const { engine } = fakeEngine('ok');
    const entries: unknown[] = [];
    const o = new Orchestrator(
      deps({ localEngine: async () => engine, ledger: { record: async (e) => entries.push(e) } }),
    );
    await o.ask({ text: 'q', history: [] });
    await new Promise((r) => setTimeout(r, 5));
    expect(entries[0]).toMatchObject({ surface: 'assist', tier: 'local', escalated: false });
  });
});
