/**
 * Label scoring on the wasm engine: choose one of a closed set of labels without free generation.
 * wllama 3 exposes llama.cpp's server (no raw logits), so the scoring is built from its sampling
 * options. The reasons, read in llama.cpp's tools/server and common/sampling.cpp:
 *
 * - `n_probs` with `post_sampling_probs: false` reports the raw softmax over the whole vocabulary,
 *   top N only: a label whose first token is not in the top N would get no score.
 * - `post_sampling_probs: true` reports the candidates after the sampler chain. The grammar is applied
 *   by rejection: the chain samples first and the grammar only filters (and the chain samples again)
 *   when that token breaks the grammar. So we put a huge `logit_bias` on an end-of-generation token,
 *   which the grammar never allows as the first token (labels are not empty): the first draw always
 *   picks it, is always rejected, and the reported candidates are then exactly the tokens the grammar
 *   allows, with the model's probabilities renormalised over them (`samplers: ['temperature']`,
 *   temperature 1, so nothing else truncates or sharpens them).
 *
 * One request (`max_tokens: 1`) therefore evaluates the prompt once and gives the probability of every
 * token that can start a label: every prefix token counts ("He" and "H" both start "Hello"), as under
 * grammar-constrained decoding. A token that starts exactly one label gives that label its mass. A
 * token shared by several labels ("card" for card_arrival and card_linking) is a branch: when the
 * biggest branch outweighs the best single label, one more request decodes greedily under a grammar
 * of that branch's labels (the prompt is reused from the KV cache, so only label tokens are evaluated,
 * and the stream is stopped as soon as one label is left) and splits the branch along the path with
 * the raw probabilities of each step (top {@link TIE_TOP_K}, renormalised over the tokens the labels
 * allow). Branches not decoded are split
 * equally among their labels. Scores are natural logs of these masses: they sum to about 1 over the
 * labels, so `exp(logprob)` reads as the model's probability of the label given that it answers with
 * one of them. A label the model gives no measurable probability scores {@link LOGPROB_FLOOR}.
 *
 * This file may import @wllama/wllama types only; wasm.ts owns the instance and the lock.
 */
import type { Wllama } from '@wllama/wllama';
import { z } from 'zod';
import { AbortError, InvalidInputError, InvalidOutputError } from '../errors.ts';
import type { ClassifyOptions, LabelScores } from './types.ts';

/** The instruction used when the caller gives none; the labels are always listed after it. */
export const DEFAULT_CLASSIFY_INSTRUCTION =
  'Classify the text. Answer with exactly one of the labels below and nothing else.';

/** Score of a label with no measurable probability: ln of float32's smallest positive value (~1.4e-45). */
export const LOGPROB_FLOOR = -103.3;

/** Raw candidates read per step when decoding a branch of labels that share their first tokens. */
export const TIE_TOP_K = 64;

/** Bias that makes the first draw pick the end token (see the file comment). */
const FORCE_REJECT_BIAS = 1000;

/** What this module needs from a loaded wllama instance. */
export type ScoringBackend = Pick<Wllama, 'createChatCompletion' | 'getLoadedContextInfo'>;

const tokenSchema = z.object({
  id: z.number().int().optional(),
  token: z.string(),
  bytes: z.array(z.number().int()).nullish(),
  prob: z.number().optional(),
  logprob: z.number().optional(),
});
const stepSchema = tokenSchema.extend({
  top_probs: z.array(tokenSchema).optional(),
  top_logprobs: z.array(tokenSchema).optional(),
});
const responseSchema = z.object({
  choices: z
    .array(z.object({ logprobs: z.object({ content: z.array(stepSchema).nullable() }).nullish() }))
    .min(1),
  usage: z.object({ prompt_tokens: z.number() }).nullish(),
});
type TokenProb = z.infer<typeof tokenSchema>;
type Step = z.infer<typeof stepSchema>;

/** Throws InvalidInputError for what cannot be classified: no text, no labels, empty or repeated labels. */
export function checkClassifyInput(text: string, labels: readonly string[]): void {
  if (text.trim().length === 0) {
    throw new InvalidInputError('There is no text to classify. Give the text of the ticket or message.');
  }
  if (labels.length === 0) {
    throw new InvalidInputError('The label list is empty. Give at least one label to choose from.', {
      data: { field: 'labels' },
    });
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (label.length === 0) {
      throw new InvalidInputError('A label is empty. Remove it or give it a name.', {
        data: { field: 'labels' },
      });
    }
    if (seen.has(label)) {
      throw new InvalidInputError(`The label "${label}" is listed twice. Give each label once.`, {
        data: { field: 'labels', label },
      });
    }
    seen.add(label);
  }
}

/** The chat the labels are scored after: the instruction and the label list, then the text. */
export function classifyMessages(
  text: string,
  labels: readonly string[],
  instruction = DEFAULT_CLASSIFY_INSTRUCTION,
): { role: 'system' | 'user'; content: string }[] {
  return [
    { role: 'system', content: `${instruction}\nLabels:\n${labels.join('\n')}` },
    { role: 'user', content: text },
  ];
}

/** A llama.cpp GBNF grammar whose only sentences are the labels. */
export function labelGrammar(labels: readonly string[]): string {
  return `root ::= ${labels.map(gbnfString).join(' | ')}`;
}

function gbnfString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const encoder = new TextEncoder();

interface Token {
  id: number | undefined;
  bytes: Uint8Array;
  end: boolean;
  p: number;
}

function toToken(t: TokenProb, eog: ReadonlySet<number>, p: number): Token {
  const bytes = t.bytes ? Uint8Array.from(t.bytes) : encoder.encode(t.token);
  const end = t.id !== undefined ? eog.has(t.id) : bytes.length === 0;
  return { id: t.id, bytes, end, p };
}

function startsWithAt(hay: Uint8Array, offset: number, needle: Uint8Array): boolean {
  if (needle.length === 0 || offset + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[offset + i] !== needle[i]) return false;
  return true;
}

function sameToken(a: Token, b: Token): boolean {
  if (a.id !== undefined && b.id !== undefined) return a.id === b.id;
  return a.bytes.length === b.bytes.length && startsWithAt(a.bytes, 0, b.bytes);
}

/** Labels (indexes) a token can continue: its bytes start what is left of them, or it ends a finished one. */
function owners(token: Token, cands: readonly { index: number; offset: number }[], bytes: Uint8Array[]) {
  return cands.filter(({ index, offset }) => {
    const label = bytes[index]!;
    return token.end ? offset === label.length : startsWithAt(label, offset, token.bytes);
  });
}

/** Distinct non-empty byte prefixes of the labels: no more tokens than this can start a label. */
function prefixCount(bytes: readonly Uint8Array[]): number {
  const seen = new Set<string>();
  for (const b of bytes) {
    let key = '';
    for (const byte of b) {
      key += String.fromCharCode(byte);
      seen.add(key);
    }
  }
  return seen.size;
}

/** The longest byte prefix any two of `labels` share (where they split, or where one ends). */
function sharedPrefixBytes(labels: readonly Uint8Array[]): number {
  const sorted = [...labels].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  let longest = 0;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    longest = Math.max(longest, n);
  }
  return longest;
}

function firstStep(response: unknown): { step: Step; promptTokens: number } {
  const parsed = responseSchema.safeParse(response);
  const step = parsed.success ? parsed.data.choices[0]?.logprobs?.content?.[0] : undefined;
  if (!parsed.success || !step) {
    throw new InvalidOutputError(
      'The wasm engine returned no token probabilities for label scoring. Update @wllama/wllama to the pinned version (3.13.0).',
    );
  }
  return { step, promptTokens: parsed.data.usage?.prompt_tokens ?? 0 };
}

function throwIfAbortedNow(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * Score `labels` for `text` on a loaded wllama instance (see the file comment for how). The caller
 * holds the engine's lock. Throws InvalidInputError for bad input and AbortError when `signal` fires.
 */
export async function classifyWithWllama(
  wllama: ScoringBackend,
  text: string,
  labels: readonly string[],
  options: ClassifyOptions = {},
): Promise<LabelScores> {
  checkClassifyInput(text, labels);
  const { signal } = options;
  throwIfAbortedNow(signal);
  const started = performance.now();
  if (labels.length === 1) {
    return {
      label: labels[0]!,
      scores: [{ label: labels[0]!, logprob: 0 }],
      timings: { totalMs: performance.now() - started, promptTokens: 0 },
    };
  }
  const info = wllama.getLoadedContextInfo();
  const eogIds = info.list_tokens_eog.length > 0 ? info.list_tokens_eog : [info.token_eos];
  const eog = new Set(eogIds.filter((id) => id >= 0));
  const rejectId = [...eog][0];
  if (rejectId === undefined) {
    throw new InvalidOutputError(
      'This model has no end-of-generation token, which label scoring needs. Classify with the classifier head or another model.',
    );
  }
  const bytes = labels.map((l) => encoder.encode(l));
  const messages = classifyMessages(text, labels, options.instruction);
  const mass = new Float64Array(labels.length);

  try {
    // 1. One forward pass over the prompt: the exact distribution over every token that starts a label.
    const first = firstStep(
      await wllama.createChatCompletion({
        messages,
        max_tokens: 1,
        temperature: 1,
        cache_prompt: true,
        ...(signal ? { abortSignal: signal } : {}),
        ...({
          logit_bias: { [String(rejectId)]: FORCE_REJECT_BIAS },
          grammar: labelGrammar(labels),
          samplers: ['temperature'],
          n_probs: Math.min(prefixCount(bytes), info.n_vocab || Infinity),
          post_sampling_probs: true,
        } as Record<string, unknown>),
      }),
    );
    const all = labels.map((_, index) => ({ index, offset: 0 }));
    const branches: { token: Token; owners: number[] }[] = [];
    for (const raw of first.step.top_probs ?? []) {
      const token = toToken(raw, eog, raw.prob ?? 0);
      if (token.id === rejectId || token.end) {
        throw new InvalidOutputError(
          'The wasm engine did not constrain label scoring to the labels (llama.cpp sampling changed). Classify with the classifier head until the engine is fixed.',
        );
      }
      const own = owners(token, all, bytes).map((c) => c.index);
      if (own.length === 1) mass[own[0]!]! += token.p;
      else if (own.length > 1) branches.push({ token, owners: own });
    }

    // 2. Only when labels share the likeliest start: decode that branch greedily, prompt reused.
    branches.sort((a, b) => b.token.p - a.token.p);
    const top = branches[0];
    let best = 0;
    for (const m of mass) best = Math.max(best, m);
    if (top && top.token.p > best) {
      throwIfAbortedNow(signal);
      branches.shift();
      await resolveBranch(wllama, top, { messages, bytes, labels, eog, mass, signal });
    }
    for (const branch of branches) {
      for (const o of branch.owners) mass[o]! += branch.token.p / branch.owners.length;
    }
    const scores = labels
      .map((label, i) => ({
        label,
        logprob: mass[i]! > 0 ? Math.max(Math.log(mass[i]!), LOGPROB_FLOOR) : LOGPROB_FLOOR,
      }))
      .sort((a, b) => b.logprob - a.logprob);
    return {
      label: scores[0]!.label,
      scores,
      timings: { totalMs: performance.now() - started, promptTokens: first.promptTokens },
    };
  } catch (error) {
    if (signal?.aborted) throw new AbortError(undefined, { cause: error });
    throw error;
  }
}

async function resolveBranch(
  wllama: ScoringBackend,
  branch: { token: Token; owners: number[] },
  ctx: {
    messages: { role: 'system' | 'user'; content: string }[];
    bytes: Uint8Array[];
    labels: readonly string[];
    eog: ReadonlySet<number>;
    mass: Float64Array;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const { bytes, eog, mass, signal } = ctx;
  let cands = branch.owners.map((index) => ({ index, offset: 0 }));
  let carried = branch.token.p;
  let steps = 0;
  let resolved = false;
  /** One decoded step: split the carried mass; true once a single label is left (or the path ended). */
  const walk = (step: Step): boolean => {
    const chosen = toToken(step, eog, Math.exp(step.logprob ?? 0));
    if (steps++ === 0) {
      // greedy starts with the branch's own token (it was the likeliest of all); else split equally
      if (!sameToken(chosen, branch.token)) return true;
      cands = cands.map((c) => ({ ...c, offset: branch.token.bytes.length }));
      return cands.length <= 1;
    }
    const visible = [chosen];
    for (const t of step.top_logprobs ?? []) {
      const token = toToken(t, eog, Math.exp(t.logprob ?? -Infinity));
      if (!visible.some((v) => sameToken(v, token))) visible.push(token);
    }
    const allowed = visible
      .map((token) => ({ token, own: owners(token, cands, bytes) }))
      .filter((a) => a.own.length > 0);
    const total = allowed.reduce((sum, a) => sum + a.token.p, 0);
    let next: { index: number; offset: number }[] = [];
    let nextMass = 0;
    for (const { token, own } of allowed) {
      const q = total > 0 ? (carried * token.p) / total : 0;
      if (sameToken(token, chosen)) {
        next = own.map((c) => ({ index: c.index, offset: c.offset + token.bytes.length }));
        nextMass = q;
      } else {
        for (const c of own) mass[c.index]! += q / own.length;
      }
    }
    cands = next;
    carried = nextMass;
    return cands.length <= 1 || chosen.end;
  };
  // Streamed, so decoding stops as soon as one label is left instead of spelling it to the end.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  try {
    await wllama.createChatCompletion({
      messages: ctx.messages,
      // every token is at least one byte: past the longest prefix two labels share, one label is left
      max_tokens: sharedPrefixBytes(branch.owners.map((o) => bytes[o]!)) + 1,
      temperature: 0,
      cache_prompt: true,
      stream: true,
      abortSignal: stop.signal,
      onData: (chunk: unknown) => {
        const parsed = responseSchema.safeParse(chunk);
        for (const step of (parsed.success ? parsed.data.choices[0]?.logprobs?.content : null) ?? []) {
          if (resolved) break;
          resolved = walk(step);
          if (resolved) stop.abort();
        }
      },
      ...({
        grammar: labelGrammar(branch.owners.map((o) => ctx.labels[o]!)),
        n_probs: TIE_TOP_K,
        post_sampling_probs: false,
      } as Record<string, unknown>),
    });
  } catch (error) {
    // stopping once resolved is ours, not a failure
    if (!resolved || signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // What the path did not split (a single label left, or a response without steps) is shared equally.
  for (const c of cands) mass[c.index]! += carried / cands.length;
}
