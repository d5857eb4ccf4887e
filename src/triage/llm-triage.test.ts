import { describe, expect, it } from 'vitest';
import type {
  ChatMessage,
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LocalEngine,
} from '../engines/types.ts';
import { InvalidOutputError } from '../errors.ts';
import type { RemoteChatRequest, RemoteResult } from '../remote/index.ts';
import type { TextStream } from '../remote/channel.ts';
import { extractJson, fieldConfidence, runLlmTriage, type TriageGateway } from './llm-triage.ts';

const LABELS = ['cancel_order', 'track_order', 'get_refund'];
const CANDIDATES = [
  { label: 'cancel_order', p: 0.8 },
  { label: 'track_order', p: 0.15 },
];
const GOOD = {
  category: 'cancel_order',
  priority: 'high',
  sentiment: 'negative',
  language: 'en',
  summary: 'Wants to cancel.',
  reply: 'Done, your order is cancelled.',
};

/** A scripted engine: answers each chat with the next text (test double for the LocalEngine interface). */
function scriptedEngine(
  answers: string[],
  logprobs = false,
): LocalEngine & { calls: { messages: ChatMessage[]; options: GenerateOptions }[] } {
  const calls: { messages: ChatMessage[]; options: GenerateOptions }[] = [];
  return {
    calls,
    capabilities: { kind: 'wasm', jsonSchema: true, logprobs, completion: true, gpu: false },
    model: { id: 'scripted', label: 'scripted', sizeBytes: 0, memoryBytes: 0, engine: 'wasm' },
    load: async () => undefined,
    unload: async () => undefined,
    complete: () => {
      throw new Error('not used');
    },
    chat(messages, options = {}): GenerationStream {
      calls.push({ messages, options });
      const text = answers.shift() ?? '';
      const result: GenerateResult = {
        text,
        finishReason: 'stop',
        usage: { promptTokens: 1, completionTokens: 1 },
        timings: { ttftMs: 1, totalMs: 1, decodeTokPerSec: 1 },
        model: 'scripted',
        ...(logprobs
          ? {
              logprobs: [...text].map((c) => ({
                token: c,
                logprob: c === 'h' ? Math.log(0.2) : Math.log(0.99),
              })),
            }
          : {}),
      };
      return {
        result: Promise.resolve(result),
        async *[Symbol.asyncIterator]() {
          yield text;
        },
      };
    },
  };
}

function scriptedGateway(answers: string[]): TriageGateway & { requests: RemoteChatRequest[] } {
  const requests: RemoteChatRequest[] = [];
  return {
    requests,
    chat(request): TextStream<RemoteResult> {
      requests.push(request);
      const text = answers.shift() ?? '';
      const result: RemoteResult = {
        text,
        finishReason: 'stop',
        model: 'mid',
        usage: { promptTokens: 1, completionTokens: 1 },
        meta: undefined,
        timings: { ttftMs: 1, totalMs: 1 },
      };
      return {
        result: Promise.resolve(result),
        async *[Symbol.asyncIterator]() {
          yield text;
        },
      } as unknown as TextStream<RemoteResult>;
    },
  };
}

describe('runLlmTriage', () => {
  it('keeps confident on-device fields and sends the classifier candidates and the label enum', async () => {
    const engine = scriptedEngine([JSON.stringify(GOOD)]);
    const gateway = scriptedGateway([]);
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine,
      gateway,
      threshold: 0.5,
    });
    expect(out.fields.category).toEqual({ value: 'cancel_order', confidence: 0.8, source: 'device' });
    expect(out.escalated).toEqual([]);
    expect(gateway.requests).toHaveLength(0);
    expect(engine.calls[0]!.messages[0]!.content).toContain('cancel_order (80%)');
    expect(JSON.stringify(engine.calls[0]!.options.jsonSchema)).toContain(
      '"enum":["cancel_order","track_order","get_refund"]',
    );
  });

  it('escalates only the fields below the threshold (per-field confidence from logprobs)', async () => {
    const engine = scriptedEngine([JSON.stringify(GOOD)], true); // every "h" is unsure: "high" is the low field
    const gateway = scriptedGateway([
      JSON.stringify({ ...GOOD, priority: 'urgent', summary: 'from the mid tier' }),
    ]);
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine,
      gateway,
      threshold: 0.9,
    });
    expect(out.escalated).toContain('priority');
    expect(out.fields.priority).toEqual({ value: 'urgent', confidence: 0.9, source: 'gateway' });
    expect(out.fields.language.source).toBe('device');
    expect(gateway.requests[0]!.tier).toBe('mid');
  });

  it('retries invalid JSON on the device once, then escalates; invalid output is never returned', async () => {
    const engine = scriptedEngine([
      '{"category": "cancel_order", "prio',
      JSON.stringify({ ...GOOD, category: 'not_a_label' }),
    ]);
    const gateway = scriptedGateway(['Sure! ' + JSON.stringify(GOOD)]);
    const booked: { tier: string; surface: string; escalated?: boolean }[] = [];
    const ledger = {
      record: async (entry: { tier: string; surface: string; escalated?: boolean }) => booked.push(entry),
    };
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine,
      gateway,
      ledger,
    });
    expect(booked.map((b) => `${b.surface}:${b.tier}:${b.escalated ?? false}`)).toEqual([
      'triage:local:false',
      'triage:local:false',
      'triage:mid:true',
    ]);
    expect(engine.calls).toHaveLength(2);
    expect(out.attempts.map((a) => `${a.source}:${a.ok}`)).toEqual([
      'device:false',
      'device:false',
      'gateway:true',
    ]);
    expect(out.fields.category).toMatchObject({ value: 'cancel_order', source: 'gateway' });

    const nowhere = runLlmTriage({
      text: 'x',
      labels: LABELS,
      candidates: CANDIDATES,
      engine: scriptedEngine(['nope', 'nope']),
      gateway: scriptedGateway(['nope', 'still nope']),
    });
    await expect(nowhere).rejects.toBeInstanceOf(InvalidOutputError);
  });

  it('applies the privacy policy: redacts before the gateway and restores in the reply; local-only does not send', async () => {
    const text = 'Cancel my order, write to ann.lee@example.com';
    const gateway = scriptedGateway([JSON.stringify({ ...GOOD, reply: 'We wrote to [EMAIL_1].' })]);
    const out = await runLlmTriage({
      text,
      labels: LABELS,
      candidates: CANDIDATES,
      engine: scriptedEngine(['bad', 'bad']),
      gateway,
      privacy: 'redact',
    });
    expect(JSON.stringify(gateway.requests)).not.toContain('ann.lee@example.com');
    expect(out.fields.reply.value).toContain('ann.lee@example.com');

    const local = scriptedGateway([JSON.stringify(GOOD)]);
    await expect(
      runLlmTriage({
        text,
        labels: LABELS,
        candidates: CANDIDATES,
        engine: scriptedEngine(['bad', 'bad']),
        gateway: local,
        privacy: 'local-only',
      }),
    ).rejects.toBeInstanceOf(InvalidOutputError);
    expect(local.requests).toHaveLength(0);
  });

  it('parses JSON out of chatty answers and aligns logprobs to a field value', () => {
    expect(extractJson('```json\n{"a": 1}\n```')).toEqual({ a: 1 });
    expect(() => extractJson('no json')).toThrow(InvalidOutputError);
    const text = '{"priority":"low"}';
    const lps = [...text].map((c) => ({ token: c, logprob: c === 'l' ? Math.log(0.5) : 0 }));
    expect(fieldConfidence(text, lps, 'priority', 'low')).toBeGreaterThan(0.7);
    expect(fieldConfidence(text, lps, 'priority', 'low')).toBeLessThan(1);
    expect(fieldConfidence(text, undefined, 'priority', 'low')).toBeUndefined();
  });
});
