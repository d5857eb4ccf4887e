import { describe, expect, it } from 'vitest';
import type {
  ChatMessage,
  ClassifyOptions,
  GenerateOptions,
  GenerateResult,
  GenerationStream,
  LabelScores,
  LocalEngine,
  TextStream,
} from '../engines/types.ts';
import { AbortError, InvalidOutputError } from '../errors.ts';
import type { RemoteChatRequest, RemoteResult } from '../remote/index.ts';
import {
  CATEGORY_INSTRUCTION,
  extractJson,
  fieldConfidence,
  runLlmTriage,
  type TriageGateway,
} from './llm-triage.ts';

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

/** The scripted engine plus label scoring that answers `scores` (or fails with `error`). */
function scoringEngine(
  answers: string[],
  scores: Record<string, number> | Error,
): ReturnType<typeof scriptedEngine> & {
  classified: { text: string; labels: readonly string[]; options: ClassifyOptions | undefined }[];
} {
  const engine = scriptedEngine(answers);
  const classified: { text: string; labels: readonly string[]; options: ClassifyOptions | undefined }[] = [];
  return Object.assign(engine, {
    classified,
    classify: async (
      text: string,
      labels: readonly string[],
      options?: ClassifyOptions,
    ): Promise<LabelScores> => {
      classified.push({ text, labels, options });
      if (options?.signal?.aborted) throw new AbortError();
      if (scores instanceof Error) throw scores;
      const ranked = labels
        .map((label) => ({ label, logprob: Math.log(scores[label] ?? 1e-9) }))
        .sort((a, b) => b.logprob - a.logprob);
      return { label: ranked[0]!.label, scores: ranked, timings: { totalMs: 12, promptTokens: 40 } };
    },
  });
}

describe('runLlmTriage with label scoring (engine.classify)', () => {
  it('decides the category by scoring the labels, then generates the JSON with that category fixed', async () => {
    const engine = scoringEngine([JSON.stringify(GOOD)], { cancel_order: 0.95, track_order: 0.04 });
    const booked: { task: string; tier: string; inputTokens: number }[] = [];
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine,
      gateway: scriptedGateway([]),
      ledger: { record: async (e: { task: string; tier: string; inputTokens: number }) => booked.push(e) },
    });
    expect(engine.classified).toHaveLength(1);
    expect(engine.classified[0]).toMatchObject({ text: 'cancel it', labels: LABELS });
    expect(engine.classified[0]!.options?.instruction).toBe(CATEGORY_INSTRUCTION);
    // the generated JSON may only repeat the scored label
    expect(JSON.stringify(engine.calls[0]!.options.jsonSchema)).toContain('"enum":["cancel_order"]');
    // the model's probability of the label, agreeing with the classifier's 0.8: the larger wins
    expect(out.fields.category.value).toBe('cancel_order');
    expect(out.fields.category.confidence).toBeCloseTo(0.95, 6);
    expect(out.fields.category.source).toBe('device');
    expect(booked.map((b) => `${b.task}:${b.tier}:${b.inputTokens}`)).toEqual([
      'classify:local:40',
      'triage:local:1',
    ]);
  });

  it('a scored label the classifier disagrees with keeps the lower confidence and escalates', async () => {
    const engine = scoringEngine([JSON.stringify({ ...GOOD, category: 'get_refund' })], { get_refund: 0.7 });
    const gateway = scriptedGateway([JSON.stringify(GOOD)]);
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine,
      gateway,
      threshold: 0.5,
    });
    expect(JSON.stringify(engine.calls[0]!.options.jsonSchema)).toContain('"enum":["get_refund"]');
    expect(out.escalated).toEqual(['category']);
    expect(out.fields.category).toEqual({ value: 'cancel_order', confidence: 0.9, source: 'gateway' });
  });

  it('falls back to generating the category when label scoring fails, and lets an abort through', async () => {
    const failing = scoringEngine([JSON.stringify(GOOD)], new InvalidOutputError('no probabilities'));
    const out = await runLlmTriage({
      text: 'cancel it',
      labels: LABELS,
      candidates: CANDIDATES,
      engine: failing,
    });
    expect(out.attempts.map((a) => `${a.source}:${a.ok}:${a.error?.code ?? ''}`)).toEqual([
      'device:false:invalid_output',
      'device:true:',
    ]);
    expect(JSON.stringify(failing.calls[0]!.options.jsonSchema)).toContain(
      '"enum":["cancel_order","track_order","get_refund"]',
    );
    expect(out.fields.category).toEqual({ value: 'cancel_order', confidence: 0.8, source: 'device' });

    const stop = new AbortController();
    stop.abort();
    const aborted = scoringEngine([JSON.stringify(GOOD)], { cancel_order: 1 });
    await expect(
      runLlmTriage({
        text: 'x',
        labels: LABELS,
        candidates: CANDIDATES,
        engine: aborted,
        signal: stop.signal,
      }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(aborted.calls).toHaveLength(0);
  });
});
