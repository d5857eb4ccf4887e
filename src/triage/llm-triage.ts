/**
 * LLM triage: the on-device model fills the triage schema (category limited to the team's labels, the
 * classifier's top labels given as candidates) under constrained decoding; each field gets a confidence.
 * When the engine scores labels (`LocalEngine.classify`), the category is decided that way first (the
 * prompt evaluated once, no free generation; every label gets a probability) and the JSON is then
 * generated with that category fixed. The classifier head stays the instant answer the UI shows first;
 * fields below the site's threshold, or an invalid answer, escalate to the mid tier through the gateway.
 * The site's privacy policy applies to what leaves the device. Nothing that fails the schema is ever
 * returned as a result: invalid output is retried once, then escalated, else an InvalidOutputError.
 */
import type { PrivacyPolicy } from '../config/schemas.ts';
import type {
  ChatMessage,
  GenerateResult,
  LabelScores,
  LocalEngine,
  TokenLogprob,
} from '../engines/types.ts';
import { InvalidOutputError, throwIfAborted, toTierError, type TierError } from '../errors.ts';
import { privacyAction, redactPii } from '../privacy/index.ts';
import type { RemoteChatRequest, RemoteResult } from '../remote/index.ts';
import type { TextStream } from '../remote/channel.ts';
import type { LedgerEntry } from '../ledger/record.ts';
import type { LabelScore } from './classifier.ts';
import {
  TRIAGE_FIELDS,
  triageJsonSchema,
  triageOutputSchema,
  type FieldValue,
  type TriageField,
  type TriageOutput,
} from './schema.ts';

/** The part of GatewayClient triage uses (a test can pass the real client or anything shaped like it). */
export interface TriageGateway {
  chat(request: RemoteChatRequest, options?: { signal?: AbortSignal }): TextStream<RemoteResult>;
}

export interface LlmTriageOptions {
  text: string;
  labels: readonly string[];
  /** The classifier's best labels (calibrated probabilities), shown to the model as candidates. */
  candidates: readonly LabelScore[];
  engine?: LocalEngine | undefined;
  gateway?: TriageGateway | undefined;
  /** Fields with a confidence below this go to the gateway (default 0.5). */
  threshold?: number;
  privacy?: PrivacyPolicy;
  signal?: AbortSignal;
  maxTokens?: number;
  /** Where each model call is booked (src/ledger `Ledger`); failures to record never break triage. */
  ledger?: { record(entry: LedgerEntry): Promise<unknown> } | undefined;
}

function book(options: LlmTriageOptions, entry: LedgerEntry): void {
  if (!options.ledger) return;
  options.ledger.record(entry).catch(() => undefined); // bookkeeping only
}

export type TriageFields = Record<TriageField, FieldValue>;

export interface TriageAttempt {
  source: 'device' | 'gateway';
  ok: boolean;
  error?: { code: string; message: string };
}

export interface LlmTriageResult {
  fields: TriageFields;
  /** Fields the gateway filled. */
  escalated: TriageField[];
  attempts: TriageAttempt[];
  notes: string[];
}

/** Confidence given to a field when the engine reports no logprobs (documented in docs/triage.md). */
export const NO_LOGPROB_CONFIDENCE = 0.5;
/** Confidence given to fields the mid tier filled. */
export const GATEWAY_CONFIDENCE = 0.9;

export function triagePrompt(
  text: string,
  labels: readonly string[],
  candidates: readonly LabelScore[],
): ChatMessage[] {
  const hint = candidates.map((c) => `${c.label} (${Math.round(c.p * 100)}%)`).join(', ');
  return [
    {
      role: 'system',
      content:
        'You triage customer support tickets. Answer with one JSON object only, with the keys category, priority, sentiment, language, summary and reply. ' +
        `category is one of: ${labels.join(', ')}. priority is low, normal, high or urgent. sentiment is negative, neutral or positive. ` +
        'language is the ticket language as an ISO 639-1 code. summary is one line. reply is a short, polite first answer to the customer.' +
        (hint ? ` A classifier suggests these categories: ${hint}.` : ''),
    },
    { role: 'user', content: text },
  ];
}

/** The instruction label scoring puts before the ticket (the labels are listed after it). */
export const CATEGORY_INSTRUCTION =
  'You triage customer support tickets. Answer with the one category below that fits this ticket.';

/** Strip code fences and take the outermost JSON object from a model answer. */
export function extractJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) throw new InvalidOutputError('The answer holds no JSON object.');
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new InvalidOutputError('The answer is not valid JSON.', { cause: error });
  }
}

function validate(labels: readonly string[], text: string): TriageOutput {
  const parsed = triageOutputSchema(labels).safeParse(extractJson(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidOutputError(
      `The answer does not match the triage schema (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}).`,
    );
  }
  return parsed.data;
}

/**
 * Mean token probability over the tokens that spell a field's value in the JSON text (logprobs
 * aligned by character offsets); undefined when the engine gave no logprobs or they do not align.
 */
export function fieldConfidence(
  text: string,
  logprobs: readonly TokenLogprob[] | undefined,
  field: TriageField,
  value: string,
): number | undefined {
  if (!logprobs || logprobs.length === 0 || logprobs.map((l) => l.token).join('') !== text) return undefined;
  const key = text.indexOf(`"${field}"`);
  if (key < 0) return undefined;
  const start = text.indexOf(JSON.stringify(value).slice(0, -1), key + field.length + 2);
  if (start < 0) return undefined;
  const end = start + JSON.stringify(value).length;
  let offset = 0;
  let sum = 0;
  let n = 0;
  for (const lp of logprobs) {
    const next = offset + lp.token.length;
    if (next > start && offset < end) {
      sum += lp.logprob;
      n++;
    }
    offset = next;
  }
  return n ? Math.exp(sum / n) : undefined;
}

function deviceFields(
  output: TriageOutput,
  result: GenerateResult,
  candidates: readonly LabelScore[],
  scored: LabelScores | undefined,
): TriageFields {
  const fields = {} as TriageFields;
  for (const field of TRIAGE_FIELDS) {
    const value = output[field];
    let confidence = fieldConfidence(result.text, result.logprobs, field, value) ?? NO_LOGPROB_CONFIDENCE;
    if (field === 'category' && scored) {
      // label scoring gave the model's probability of every label (the generated one was forced)
      const logprob = scored.scores.find((s) => s.label === value)?.logprob;
      confidence = logprob === undefined ? 0 : Math.exp(logprob);
    }
    if (field === 'category') {
      // the classifier is calibrated: trust its probability for the label the model picked
      const p = candidates.find((c) => c.label === value)?.p ?? 0;
      confidence = candidates[0]?.label === value ? Math.max(p, confidence) : Math.min(p, confidence);
    }
    fields[field] = { value, confidence, source: 'device' };
  }
  return fields;
}

/** The category by label scoring when the engine can; undefined (and an attempt noted) when it cannot. */
async function scoreCategory(
  options: LlmTriageOptions,
  engine: LocalEngine,
  attempts: TriageAttempt[],
): Promise<LabelScores | undefined> {
  if (!engine.classify) return undefined;
  try {
    const scored = await engine.classify(options.text, options.labels, {
      instruction: CATEGORY_INSTRUCTION,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    throwIfAborted(options.signal);
    book(options, {
      surface: 'triage',
      task: 'classify',
      tier: 'local',
      model: engine.model?.id ?? 'on-device',
      inputTokens: scored.timings.promptTokens,
      outputTokens: 0,
      totalMs: scored.timings.totalMs,
      reason: 'triage category by label scoring on device',
    });
    return scored;
  } catch (error) {
    const err = toTierError(error);
    if (err.code === 'aborted') throw err;
    // generation below still decides the category, among all labels
    attempts.push({ source: 'device', ok: false, error: { code: err.code, message: err.message } });
    return undefined;
  }
}

async function askDevice(
  options: LlmTriageOptions,
  attempts: TriageAttempt[],
): Promise<{ output: TriageOutput; result: GenerateResult; scored: LabelScores | undefined } | undefined> {
  const engine = options.engine;
  if (!engine) return undefined;
  const scored = await scoreCategory(options, engine, attempts);
  const schema = triageJsonSchema(scored ? [scored.label] : options.labels);
  let messages = triagePrompt(options.text, options.labels, options.candidates);
  for (let attempt = 0; attempt < 2; attempt++) {
    throwIfAborted(options.signal);
    try {
      const result = await engine.chat(messages, {
        jsonSchema: schema,
        temperature: 0,
        logprobs: engine.capabilities.logprobs,
        maxTokens: options.maxTokens ?? 400,
        ...(options.signal ? { signal: options.signal } : {}),
      }).result;
      throwIfAborted(options.signal);
      book(options, {
        surface: 'triage',
        task: 'triage',
        tier: 'local',
        model: result.model || engine.model?.id || 'on-device',
        inputTokens: result.usage.promptTokens,
        outputTokens: result.usage.completionTokens,
        ttftMs: result.timings.ttftMs,
        totalMs: result.timings.totalMs,
        reason: 'triage on device',
      });
      const output = validate(options.labels, result.text);
      attempts.push({ source: 'device', ok: true });
      return { output, result, scored };
    } catch (error) {
      const err = toTierError(error);
      if (err.code === 'aborted') throw err;
      attempts.push({ source: 'device', ok: false, error: { code: err.code, message: err.message } });
      messages = [
        ...messages,
        {
          role: 'user',
          content: 'Your last answer was not valid. Reply with the JSON object only, exactly as specified.',
        },
      ];
    }
  }
  return undefined;
}

async function askGateway(
  options: LlmTriageOptions,
  text: string,
  attempts: TriageAttempt[],
): Promise<TriageOutput | TierError> {
  const gateway = options.gateway!;
  const messages = triagePrompt(text, options.labels, options.candidates);
  messages[0]!.content += ` The JSON must match this JSON Schema: ${JSON.stringify(triageJsonSchema(options.labels))}`;
  let last: TierError = new InvalidOutputError('The gateway gave no answer.');
  for (let attempt = 0; attempt < 2; attempt++) {
    throwIfAborted(options.signal);
    try {
      const result = await gateway.chat(
        {
          tier: 'mid',
          messages,
          temperature: 0,
          reason: 'triage: low confidence or invalid on-device output',
        },
        { signal: options.signal },
      ).result;
      book(options, {
        surface: 'triage',
        task: 'triage',
        tier: result.meta?.tier ?? 'mid',
        model: result.meta?.model ?? result.model,
        inputTokens: result.usage.promptTokens,
        outputTokens: result.usage.completionTokens,
        ttftMs: result.timings.ttftMs,
        totalMs: result.timings.totalMs,
        escalated: true,
        escalationReason: 'triage: low confidence or invalid on-device output',
        ...(result.meta ? { costUsd: result.meta.costUsd } : {}),
      });
      const output = validate(options.labels, result.text);
      attempts.push({ source: 'gateway', ok: true });
      return output;
    } catch (error) {
      last = toTierError(error);
      if (last.code === 'aborted') throw last;
      attempts.push({ source: 'gateway', ok: false, error: { code: last.code, message: last.message } });
      if (last.code !== 'invalid_output') break; // network/auth errors: retrying now will not help
    }
  }
  return last;
}

/** Run LLM triage for one ticket; see the module comment for the escalation rules. */
export async function runLlmTriage(options: LlmTriageOptions): Promise<LlmTriageResult> {
  const threshold = options.threshold ?? 0.5;
  const attempts: TriageAttempt[] = [];
  const notes: string[] = [];
  const device = await askDevice(options, attempts);
  const fields: Partial<TriageFields> = device
    ? deviceFields(device.output, device.result, options.candidates, device.scored)
    : {};
  const low = TRIAGE_FIELDS.filter((f) => !fields[f] || fields[f].confidence < threshold);
  if (!device && options.engine)
    notes.push('The on-device model did not produce valid triage JSON (retried once).');
  const escalated: TriageField[] = [];
  if (low.length > 0) {
    const action = options.gateway ? privacyAction(options.text, options.privacy ?? 'redact') : undefined;
    if (!options.gateway) notes.push('No gateway is configured: low-confidence fields stay as they are.');
    else if (action?.action === 'local-only')
      notes.push(
        'The ticket holds personal data and the site keeps such tickets on this device: not escalated.',
      );
    else {
      const redaction = action?.action === 'redact' ? redactPii(options.text) : undefined;
      const answer = await askGateway(options, redaction?.text ?? options.text, attempts);
      if (answer instanceof Error) notes.push(`The mid tier could not help (${answer.message})`);
      else {
        for (const field of low) {
          const raw = answer[field];
          const value =
            redaction && (field === 'summary' || field === 'reply') ? redaction.restore(raw) : raw;
          fields[field] = { value, confidence: GATEWAY_CONFIDENCE, source: 'gateway' };
          escalated.push(field);
        }
      }
    }
  }
  if (TRIAGE_FIELDS.some((f) => !fields[f])) {
    throw new InvalidOutputError(
      'Neither the on-device model nor the mid tier produced valid triage for this ticket; nothing is shown. Correct the category by hand or try again.',
      { data: { attempts, notes } },
    );
  }
  return { fields: fields as TriageFields, escalated, attempts, notes };
}
