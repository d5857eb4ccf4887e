/**
 * LLM triage: the on-device model fills the triage schema (category limited to the team's labels, the
 * classifier's top labels given as candidates) under constrained decoding; each field gets a confidence.
 * When the engine scores labels (`LocalEngine.classify`), the category is decided that way first (the
 * prompt evaluated once, no free generation; every label gets a probability) and the JSON is then
 * generated with that category fixed. The classifier head stays the instant answer the UI shows first;
 * fields below the site's threshold, or an invalid answer, escalate to the mid tier through the gateway.
 * The site's privacy policy applies to what leaves the device. Nothing that fails the schema is ever
 * returned as a result: invalid output is retried once, then escalated, else an InvalidOutputError.
 *
 * The model runs, the redaction of what leaves the device and the ledger booking are the cascade's
 * own steps (src/assist/cascade-steps.ts); what is triage's own is the field-level escalation.
 */
import {
  book,
  localAttempt,
  outgoing,
  quietContext,
  remoteAttempt,
  type StepContext,
} from '../assist/cascade-steps.ts';
import type { Attempt } from '../assist/cascade-types.ts';
import type { CascadeEngine, RemoteChat } from '../assist/types.ts';
import type { PrivacyPolicy, Tier } from '../config/schemas.ts';
import type { ChatMessage, LabelScores, LocalEngine, TokenLogprob } from '../engines/types.ts';
import { InvalidOutputError, throwIfAborted, toTierError, type TierError } from '../errors.ts';
import { privacyAction } from '../privacy/index.ts';
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
export type TriageGateway = RemoteChat;

/** What triage needs of an on-device engine (any LocalEngine; label scoring when it has `classify`). */
export type TriageEngine = CascadeEngine & Pick<LocalEngine, 'classify'>;

export interface LlmTriageOptions {
  text: string;
  labels: readonly string[];
  /** The classifier's best labels (calibrated probabilities), shown to the model as candidates. */
  candidates: readonly LabelScore[];
  engine?: TriageEngine | undefined;
  gateway?: TriageGateway | undefined;
  /** Fields with a confidence below this go to the gateway (default 0.5). */
  threshold?: number;
  privacy?: PrivacyPolicy;
  signal?: AbortSignal;
  maxTokens?: number;
  /** Where each model call is booked (src/ledger `Ledger`); failures to record never break triage. */
  ledger?: { record(entry: LedgerEntry): Promise<unknown> } | undefined;
}

export type TriageFields = Record<TriageField, FieldValue>;

export interface TriageAttempt {
  source: 'device' | 'gateway';
  ok: boolean;
  error?: { code: string; message: string };
}

/**
 * What triaging a ticket gives, wherever it ran: `<tier-triage>`'s record carries these three, and an
 * extension triage job carries exactly this (so the side panel reads one shape).
 */
export interface TriageOutcome {
  fields: Partial<TriageFields>;
  /** Fields the gateway filled. */
  escalated: TriageField[];
  notes: string[];
}

export interface LlmTriageResult extends TriageOutcome {
  fields: TriageFields;
  attempts: TriageAttempt[];
  /**
   * The tier that answered through the gateway (the gateway may serve another tier than the mid tier
   * asked for), when any field came from it: what a feedback record on those fields names as the tier.
   */
  gatewayTier?: Tier;
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
  result: Attempt,
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
    if (field === 'category' && candidates.length > 0) {
      // the classifier is calibrated: trust its probability for the label the model picked
      // (without a classifier, e.g. an extension job, the model's own confidence stands)
      const p = candidates.find((c) => c.label === value)?.p ?? 0;
      confidence = candidates[0]?.label === value ? Math.max(p, confidence) : Math.min(p, confidence);
    }
    fields[field] = { value, confidence, source: 'device' };
  }
  return fields;
}

/** The category by label scoring when the engine can; undefined (and an attempt noted) when it cannot. */
async function scoreCategory(
  ctx: StepContext,
  options: LlmTriageOptions,
  engine: TriageEngine,
  attempts: TriageAttempt[],
): Promise<LabelScores | undefined> {
  if (!engine.classify) return undefined;
  try {
    const scored = await engine.classify(options.text, options.labels, {
      instruction: CATEGORY_INSTRUCTION,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    throwIfAborted(options.signal);
    book(ctx, options.ledger, {
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
  ctx: StepContext,
  options: LlmTriageOptions,
  attempts: TriageAttempt[],
): Promise<{ output: TriageOutput; result: Attempt; scored: LabelScores | undefined } | undefined> {
  const engine = options.engine;
  if (!engine) return undefined;
  const scored = await scoreCategory(ctx, options, engine, attempts);
  const schema = triageJsonSchema(scored ? [scored.label] : options.labels);
  let messages = triagePrompt(options.text, options.labels, options.candidates);
  for (let attempt = 0; attempt < 2; attempt++) {
    throwIfAborted(options.signal);
    try {
      const result = await localAttempt(
        ctx,
        engine,
        { kind: 'chat', messages },
        { jsonSchema: schema, temperature: 0, maxTokens: options.maxTokens ?? 400 },
      );
      book(ctx, options.ledger, {
        surface: 'triage',
        task: 'triage',
        tier: 'local',
        model: result.modelId,
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

const GATEWAY_REASON = 'triage: low confidence or invalid on-device output';

/** The mid tier fills the schema; under `redact` it sees placeholders, restored in summary and reply. */
async function askGateway(
  ctx: StepContext,
  options: LlmTriageOptions,
  gateway: TriageGateway,
  action: 'send' | 'redact',
  attempts: TriageAttempt[],
): Promise<{ output: TriageOutput; tier: Tier } | TierError> {
  const messages = triagePrompt(options.text, options.labels, options.candidates);
  messages[0]!.content += ` The JSON must match this JSON Schema: ${JSON.stringify(triageJsonSchema(options.labels))}`;
  const wire = outgoing(messages, action);
  let last: TierError = new InvalidOutputError('The gateway gave no answer.');
  for (let attempt = 0; attempt < 2; attempt++) {
    throwIfAborted(options.signal);
    try {
      // the JSON is restored field by field below (summary and reply only), never as raw text
      const result = await remoteAttempt(
        ctx,
        gateway,
        'mid',
        { ...wire, restore: (t) => t },
        {
          temperature: 0,
          reason: GATEWAY_REASON,
        },
      );
      book(ctx, options.ledger, {
        surface: 'triage',
        task: 'triage',
        tier: result.tier,
        model: result.modelId,
        inputTokens: result.usage.promptTokens,
        outputTokens: result.usage.completionTokens,
        ttftMs: result.timings.ttftMs,
        totalMs: result.timings.totalMs,
        escalated: true,
        escalationReason: GATEWAY_REASON,
        ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}),
      });
      const output = validate(options.labels, result.text);
      attempts.push({ source: 'gateway', ok: true });
      return {
        output: { ...output, summary: wire.restore(output.summary), reply: wire.restore(output.reply) },
        tier: result.tier,
      };
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
  const ctx = quietContext(options.signal);
  const threshold = options.threshold ?? 0.5;
  const attempts: TriageAttempt[] = [];
  const notes: string[] = [];
  const device = await askDevice(ctx, options, attempts);
  const fields: Partial<TriageFields> = device
    ? deviceFields(device.output, device.result, options.candidates, device.scored)
    : {};
  const low = TRIAGE_FIELDS.filter((f) => !fields[f] || fields[f].confidence < threshold);
  if (!device && options.engine)
    notes.push('The on-device model did not produce valid triage JSON (retried once).');
  const escalated: TriageField[] = [];
  let gatewayTier: Tier | undefined;
  if (low.length > 0) {
    const action = options.gateway ? privacyAction(options.text, options.privacy ?? 'redact') : undefined;
    if (!options.gateway || !action)
      notes.push('No gateway is configured: low-confidence fields stay as they are.');
    else if (action.action === 'local-only')
      notes.push(
        'The ticket holds personal data and the site keeps such tickets on this device: not escalated.',
      );
    else {
      const answer = await askGateway(ctx, options, options.gateway, action.action, attempts);
      if (answer instanceof Error) notes.push(`The mid tier could not help (${answer.message})`);
      else {
        for (const field of low) {
          fields[field] = { value: answer.output[field], confidence: GATEWAY_CONFIDENCE, source: 'gateway' };
          escalated.push(field);
        }
        if (escalated.length > 0) gatewayTier = answer.tier;
      }
    }
  }
  if (TRIAGE_FIELDS.some((f) => !fields[f])) {
    throw new InvalidOutputError(
      'Neither the on-device model nor the mid tier produced valid triage for this ticket; nothing is shown. Correct the category by hand or try again.',
      { data: { attempts, notes } },
    );
  }
  return {
    fields: fields as TriageFields,
    escalated,
    attempts,
    notes,
    ...(gatewayTier ? { gatewayTier } : {}),
  };
}
