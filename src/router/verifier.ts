/**
 * Cascade verifier: after a cheaper tier answered, decide from the answer alone whether to show it or
 * escalate. Hard rules (truncation, empty, refusal / "I don't know", invalid JSON for a schema, low
 * logprobs) reject outright; otherwise a logistic model over the answer's signals, fitted on the
 * benchmark train splits (the small model's own responses), gives P(acceptable) against a fitted threshold.
 * The logprob limits are set by hand: no benchmark data here carries logprobs.
 */
import type { TaskKind } from '../config/schemas.ts';
import type { VerifierWeights } from './model.ts';
import { sigmoid } from './model.ts';

export interface VerifyInput {
  text: string;
  finishReason: 'stop' | 'length' | 'abort';
  logprobs?: { token: string; logprob: number }[];
  jsonSchema?: object;
  task?: TaskKind;
  /** The request the answer responds to (optional): enables answer-format checks (options, code, numbers). */
  prompt?: string;
}

export interface Verdict {
  accept: boolean;
  reason: string;
  signals: Record<string, number | boolean>;
}

const REFUSAL =
  /\b(i can(?:no|')t (?:help|assist|answer|provide|do that)|i(?:'m| am) (?:not able|unable) to|as an ai\b|i(?:'m| am) sorry,? but|i won't be able|i must decline|cannot comply)/i;
const IDK =
  /\b(i (?:do not|don't) know|i(?:'m| am) not sure|not enough (?:information|context)|insufficient information|cannot be determined|can(?:no|')t determine|no way to (?:know|tell)|unclear from)/i;
const HEDGE =
  /\b(might|maybe|perhaps|possibly|probably|i think|i believe|it seems|likely|unclear|approximately|assum(?:e|ing))\b/gi;
const SELF_CORRECT =
  /\b(wait|actually|correction|let me re-?(?:check|calculate|do)|i made (?:a|an) (?:mistake|error)|on second thought)\b/gi;

/** Share of repeated sentences at which an answer counts as a loop (hand-set). */
export const REPETITION_LIMIT = 0.5;
/** Hedges per 100 words at which an answer counts as unsure (hand-set). */
export const HEDGE_DENSITY_LIMIT = 8;

function count(re: RegExp, s: string): number {
  re.lastIndex = 0;
  return (s.match(re) ?? []).length;
}

/** Share of repeated lines/sentences: a small model stuck in a loop repeats itself. */
function repetition(text: string): number {
  const parts = text
    .split(/[\n.!?]+/)
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p.length > 8);
  if (parts.length < 3) return 0;
  return 1 - new Set(parts).size / parts.length;
}

/** Minimal JSON Schema check (type, required, properties, enum, items) for on-device structured output. */
export function matchesSchema(value: unknown, schema: object): boolean {
  const s = schema as {
    type?: string | string[];
    required?: string[];
    properties?: Record<string, object>;
    enum?: unknown[];
    items?: object;
  };
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return false;
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const actual =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : typeof value === 'number' && Number.isInteger(value)
            ? 'integer'
            : typeof value;
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) return false;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) return false;
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (k in obj && !matchesSchema(obj[k], sub)) return false;
    }
  }
  if (Array.isArray(value) && s.items) return value.every((v) => matchesSchema(v, s.items as object));
  return true;
}

/** Answer-format checks that need the prompt: option letter, code, final number. */
function formatSignals(prompt: string, answer: string): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  const options = prompt.match(/(^|\n)\s*\(?([A-E])[).:]\s/g) ?? [];
  if (options.length >= 2) {
    const m = /^\s*\(?([A-Ea-e])\b/.exec(answer);
    out.mcAnswer = true;
    out.formatValid = Boolean(m) && answer.trim().length <= 40;
    return out;
  }
  const wantsCode =
    /\b(write|implement|create)\b[^.\n]{0,60}\b(function|program|class|method|script|query)\b/i.test(prompt);
  if (wantsCode) {
    out.codeAnswer = true;
    const fn = /\bassert\s+(\w+)\s*\(/.exec(prompt)?.[1];
    const hasCode = /```|\bdef \w+\(|\bfunction\b|=>|\breturn\b/.test(answer);
    out.formatValid = hasCode && (!fn || answer.includes(fn));
    out.codeLines = Math.log1p((answer.match(/\n/g) ?? []).length);
    return out;
  }
  const numeric =
    (prompt.match(/\d+(?:[.,]\d+)?/g) ?? []).length >= 2 &&
    /\b(how (?:many|much)|what is|calculate|total|find)\b/i.test(prompt);
  if (numeric) {
    out.mathAnswer = true;
    const tail = answer.slice(-200);
    const final =
      /(?:####|answer is|=|total(?: of)?|is)\s*\$?\s*(-?[\d,]*\.?\d+)\s*(?:[a-z%]+)?\s*\.?\s*$/i.exec(
        tail.trim(),
      );
    const nums = answer.match(/-?\d[\d,]*(?:\.\d+)?/g) ?? [];
    const last = final?.[1] ?? nums[nums.length - 1];
    out.formatValid = last !== undefined;
    if (last !== undefined) {
      const v = Number(last.replace(/,/g, ''));
      out.finalNotInteger = !Number.isInteger(v);
      out.finalNegative = v < 0;
    }
    out.explicitFinal = Boolean(final);
    out.steps = Math.log1p((answer.match(/=/g) ?? []).length);
  }
  return out;
}

/** Compute every signal the verifier uses from one answer. */
export function answerSignals(input: VerifyInput): Record<string, number | boolean> {
  const text = input.text;
  const t = text.trim();
  const s: Record<string, number | boolean> = {
    empty: t.length === 0,
    truncated: input.finishReason !== 'stop',
    refusal: REFUSAL.test(text),
    dontKnow: IDK.test(text),
    hedges: Math.log1p(count(HEDGE, text)),
    selfCorrections: Math.log1p(count(SELF_CORRECT, text)),
    repetition: repetition(text),
  };
  const words = t.split(/\s+/).filter(Boolean).length;
  const hedgeCount = count(HEDGE, text);
  s.hedgeDensity = words > 0 ? (100 * hedgeCount) / words : 0;
  if (input.prompt) {
    // Length only means something relative to the task (fitted on benchmark answers with their prompts).
    s.logChars = Math.log1p(t.length);
    Object.assign(s, formatSignals(input.prompt, t));
    s.lengthRatio = Math.log((t.length + 20) / (input.prompt.length + 20));
  }
  if (input.jsonSchema) {
    let ok = false;
    try {
      ok = matchesSchema(JSON.parse(t.replace(/^```(?:json)?\s*|\s*```$/g, '')), input.jsonSchema);
    } catch {
      ok = false;
    }
    s.schemaValid = ok;
  }
  if (input.logprobs && input.logprobs.length > 0) {
    let sum = 0;
    let min = 0;
    for (const lp of input.logprobs) {
      sum += lp.logprob;
      if (lp.logprob < min) min = lp.logprob;
    }
    s.meanLogprob = sum / input.logprobs.length;
    s.minLogprob = min;
  }
  return s;
}

/** Logistic P(acceptable) from the signals (booleans count as 0/1). */
export function verifierProbability(w: VerifierWeights, signals: Record<string, number | boolean>): number {
  let z = w.bias;
  for (const [k, v] of Object.entries(signals)) {
    const weight = w.weights[k];
    if (weight !== undefined) z += weight * (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }
  return sigmoid(z);
}

/** Accept or escalate an answer. Hard rules first; then the fitted model against its threshold. */
export function verifyWith(w: VerifierWeights, input: VerifyInput, threshold = w.threshold): Verdict {
  const signals = answerSignals(input);
  const reject = (reason: string): Verdict => ({ accept: false, reason, signals });
  if (signals.empty) return reject('The answer is empty: escalate.');
  if (signals.truncated) return reject(`The answer stopped early (${input.finishReason}): escalate.`);
  if (signals.refusal) return reject('The answer is a refusal: escalate.');
  if (signals.dontKnow) return reject('The answer says it does not know: escalate.');
  if (signals.schemaValid === false)
    return reject('The answer does not match the requested JSON schema: escalate.');
  if (typeof signals.meanLogprob === 'number' && signals.meanLogprob < w.minMeanLogprob) {
    return reject(
      `Mean token logprob ${signals.meanLogprob.toFixed(2)} is below ${w.minMeanLogprob}: escalate.`,
    );
  }
  if (typeof signals.minLogprob === 'number' && signals.minLogprob < w.minTokenLogprob) {
    return reject(
      `A token's logprob ${signals.minLogprob.toFixed(2)} is below ${w.minTokenLogprob}: escalate.`,
    );
  }
  // Hand-set (no labelled data for free-form product answers): a loop or an answer made of hedges.
  if (typeof signals.repetition === 'number' && signals.repetition >= REPETITION_LIMIT) {
    return reject('The answer repeats itself: escalate.');
  }
  if (
    typeof signals.hedgeDensity === 'number' &&
    signals.hedgeDensity >= HEDGE_DENSITY_LIMIT &&
    count(HEDGE, input.text) >= 2
  ) {
    return reject('The answer is mostly hedging: escalate.');
  }
  if (signals.formatValid === false)
    return reject('The answer is not in the format the request asks for: escalate.');
  const p = verifierProbability(w, signals);
  signals.pAccept = p;
  if (p < threshold)
    return reject(`The answer looks unreliable (P=${p.toFixed(2)} < ${threshold.toFixed(2)}): escalate.`);
  return { accept: true, reason: `The answer passed every check (P=${p.toFixed(2)}).`, signals };
}
