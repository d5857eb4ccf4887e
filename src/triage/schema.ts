/**
 * Schemas for triage: the exported classifier model (JSON a team can share), the LLM triage output
 * (converted to JSON Schema for constrained decoding) and the result shown to agents. Pure.
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import {
  IntentClassifier,
  MODEL_FORMAT_VERSION,
  type ClassifierState,
  type HiddenPart,
} from './classifier.ts';

// ---- base64 of typed arrays (btoa/atob: in Node 16+, workers and pages alike) --------------------

/** Bytes per String.fromCharCode call: well under every engine's argument limit. */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    // apply takes the typed array as it is: 4x faster than spreading it into an argument list
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]));
  }
  return btoa(parts.join(''));
}

export function base64ToBytes(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new InvalidInputError('The model file is damaged (bad base64): export it again.', { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// ---- exported model ----------------------------------------------------------------------------

export const FeatureOptionsSchema = z.object({
  bits: z.number().int().min(8).max(26),
  charMin: z.number().int().min(1).max(8),
  charMax: z.number().int().min(1).max(8),
  wordWeight: z.number().min(0),
  bigramWeight: z.number().min(0),
  charWeight: z.number().min(0),
  crossWord: z.boolean().optional(),
  trigramWeight: z.number().min(0).optional(),
  stem: z.boolean().optional(),
});

const Numbers = z.array(z.number());

/** The hidden layer of a model (absent in linear-only models and in files from before it existed). */
export const HiddenJsonSchema = z.object({
  size: z.number().int().min(1).max(4096),
  weight: z.number().min(0).max(1),
  linearScale: z.number().positive(),
  /** rows×size embeddings, in the model's `encoding` (`i8`: with one scale per row in `embedScales`). */
  embed: z.string(),
  embedScales: z.string().optional(),
  hiddenBias: Numbers,
  /** size×labels, base64 float32. */
  out: z.string(),
  outBias: Numbers,
});

export const ModelJsonSchema = z.object({
  format: z.literal('tier-triage-model'),
  version: z.literal(MODEL_FORMAT_VERSION),
  labels: z.array(z.string().min(1)).min(1),
  features: FeatureOptionsSchema,
  temperature: z.number().positive(),
  threshold: z.number().min(0).max(1),
  outOfScopeLabel: z.string().nullable(),
  trainedExamples: z.number().int().min(0),
  updatedAt: z.string(),
  /** Base64 of little-endian uint32 hash buckets, one per weight row. */
  buckets: z.string(),
  /** `f32`: base64 float32 rows×labels; `i8`: base64 int8 with one float scale per row in `scales`. */
  encoding: z.enum(['f32', 'i8']),
  weights: z.string(),
  scales: z.string().optional(),
  bias: Numbers,
  hidden: HiddenJsonSchema.optional(),
});
export type ModelJson = z.infer<typeof ModelJsonSchema>;

/** The file format is little-endian; so is every machine this runs on, but check rather than assume. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The little-endian bytes of 32-bit values. */
function bytesOf(values: Uint32Array | Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return bytes;
}

/**
 * The native-order 32-bit words in little-endian `bytes` (a trailing partial word is dropped): the
 * bytes' own buffer when it holds exactly them (base64ToBytes makes such a buffer), else a copy.
 */
function wordBuffer(bytes: Uint8Array): ArrayBuffer {
  const length = bytes.length & ~3;
  const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === length;
  const buffer = (own ? bytes.buffer : bytes.slice(0, length).buffer) as ArrayBuffer;
  if (!LITTLE_ENDIAN) {
    const view = new DataView(buffer);
    for (let i = 0; i < length; i += 4) view.setUint32(i, view.getUint32(i, true));
  }
  return buffer;
}

const encodeWords = (values: Uint32Array | Float32Array): string => bytesToBase64(bytesOf(values));
const decodeU32 = (text: string): Uint32Array => new Uint32Array(wordBuffer(base64ToBytes(text)));
const decodeF32 = (text: string): Float32Array => new Float32Array(wordBuffer(base64ToBytes(text)));

/** int8 with one float scale per row of `width` values. */
function quantizeRows(values: Float32Array, width: number): { q: string; scales: string } {
  const rows = values.length / width;
  const q = new Uint8Array(values.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < width; c++) max = Math.max(max, Math.abs(values[r * width + c]!));
    const scale = max / 127 || 1;
    scales[r] = scale;
    for (let c = 0; c < width; c++) q[r * width + c] = Math.round(values[r * width + c]! / scale) & 255;
  }
  return { q: bytesToBase64(q), scales: encodeWords(scales) };
}

function dequantizeRows(q64: string, scales64: string | undefined, width: number): Float32Array {
  const q = base64ToBytes(q64);
  const scales = decodeF32(scales64 ?? '');
  if (scales.length * width !== q.length)
    throw new InvalidInputError('The model file is damaged (row scales missing): export it again.');
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = ((q[i]! << 24) >> 24) * scales[Math.floor(i / width)]!;
  return out;
}

const round6 = (values: Float32Array): number[] => Array.from(values, (v) => Math.round(v * 1e6) / 1e6);

function exportHidden(hidden: HiddenPart, encoding: 'f32' | 'i8'): z.infer<typeof HiddenJsonSchema> {
  const embed =
    encoding === 'f32'
      ? { embed: encodeWords(hidden.embed) }
      : (({ q, scales }) => ({ embed: q, embedScales: scales }))(quantizeRows(hidden.embed, hidden.size));
  return {
    size: hidden.size,
    weight: hidden.weight,
    linearScale: hidden.linearScale,
    ...embed,
    hiddenBias: round6(hidden.hiddenBias),
    out: encodeWords(hidden.out),
    outBias: round6(hidden.outBias),
  };
}

function importHidden(json: z.infer<typeof HiddenJsonSchema>, encoding: 'f32' | 'i8'): HiddenPart {
  return {
    size: json.size,
    weight: json.weight,
    linearScale: json.linearScale,
    embed:
      encoding === 'f32' ? decodeF32(json.embed) : dequantizeRows(json.embed, json.embedScales, json.size),
    hiddenBias: Float32Array.from(json.hiddenBias),
    out: decodeF32(json.out),
    outBias: Float32Array.from(json.outBias),
  };
}

/** Serialise a classifier; `i8` quantises each weight row to int8 (4× smaller, for shipped models). */
export function exportModel(model: IntentClassifier, encoding: 'f32' | 'i8' = 'f32'): ModelJson {
  const state = model.toState();
  const base = {
    format: 'tier-triage-model' as const,
    version: MODEL_FORMAT_VERSION,
    labels: state.labels,
    features: state.features,
    temperature: state.temperature,
    threshold: state.threshold,
    outOfScopeLabel: state.outOfScopeLabel,
    trainedExamples: state.trainedExamples,
    updatedAt: state.updatedAt,
    buckets: encodeWords(state.buckets),
    bias: round6(state.bias),
    ...(state.hidden ? { hidden: exportHidden(state.hidden, encoding) } : {}),
  };
  if (encoding === 'f32') return { ...base, encoding, weights: encodeWords(state.weights) };
  const { q, scales } = quantizeRows(state.weights, state.labels.length);
  return { ...base, encoding, weights: q, scales };
}

/** Parse and load a model JSON (from a file, IndexedDB or a colleague); throws InvalidInputError if bad. */
export function importModel(json: unknown): IntentClassifier {
  const result = ModelJsonSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidInputError(
      `This is not a tier-triage model file (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}). Export the model again from <tier-triage> or npm run triage -- --export.`,
      { data: { field: issue?.path.join('.') ?? '' } },
    );
  }
  const data = result.data;
  const buckets = decodeU32(data.buckets);
  const C = data.labels.length;
  const weights =
    data.encoding === 'f32' ? decodeF32(data.weights) : dequantizeRows(data.weights, data.scales, C);
  const state: ClassifierState = {
    version: data.version,
    labels: data.labels,
    features: data.features,
    buckets,
    weights,
    bias: Float32Array.from(data.bias),
    temperature: data.temperature,
    threshold: data.threshold,
    outOfScopeLabel: data.outOfScopeLabel,
    trainedExamples: data.trainedExamples,
    updatedAt: data.updatedAt,
    hidden: data.hidden ? importHidden(data.hidden, data.encoding) : null,
  };
  return IntentClassifier.fromState(state);
}

// ---- LLM triage output -------------------------------------------------------------------------

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;

/** The schema the on-device model must fill; `category` is limited to the team's labels. */
export function triageOutputSchema(labels: readonly string[]) {
  if (labels.length === 0) throw new InvalidInputError('Triage needs at least one category label.');
  return z.object({
    category: z.enum(labels as [string, ...string[]]),
    priority: z.enum(PRIORITIES),
    sentiment: z.enum(SENTIMENTS),
    language: z.string().min(2).max(16),
    summary: z.string().min(1).max(200),
    reply: z.string().min(1).max(1200),
  });
}
export type TriageOutput = z.infer<ReturnType<typeof triageOutputSchema>>;
export const TRIAGE_FIELDS = ['category', 'priority', 'sentiment', 'language', 'summary', 'reply'] as const;
export type TriageField = (typeof TRIAGE_FIELDS)[number];

/** JSON Schema (draft 2020-12) for constrained decoding. */
export function triageJsonSchema(labels: readonly string[]): Record<string, unknown> {
  return z.toJSONSchema(triageOutputSchema(labels)) as Record<string, unknown>;
}

/** One field of a triage result, with where it came from and how sure we are. */
export const FieldValueSchema = z.object({
  value: z.string(),
  confidence: z.number().min(0).max(1),
  source: z.enum(['classifier', 'device', 'gateway', 'agent']),
});
export type FieldValue = z.infer<typeof FieldValueSchema>;

/** Zendesk-style tags: lowercase, `[a-z0-9_]` only. */
export function toTags(fields: Partial<Record<TriageField, { value: string }>>): string[] {
  const tag = (prefix: string, value: string): string =>
    `${prefix}__${
      value
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'unknown'
    }`;
  const tags: string[] = [];
  if (fields.category) tags.push(tag('intent', fields.category.value));
  if (fields.priority) tags.push(tag('priority', fields.priority.value));
  if (fields.sentiment) tags.push(tag('sentiment', fields.sentiment.value));
  if (fields.language) tags.push(tag('lang', fields.language.value));
  return tags;
}
