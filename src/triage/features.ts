/**
 * Hashed text features for the triage classifier head: word unigrams and bigrams plus character
 * n-grams inside word boundaries (fastText-style subwords). Pure: no DOM, no storage, no network.
 *
 * Normalisation deliberately throws away what tends to be a data-set artefact rather than meaning:
 * case, digits (all become `0`, so "order 113542617735902" and "order 42" look alike), punctuation
 * and repeated whitespace. Templated placeholders such as `{{Order Number}}` in Bitext become one
 * `<slot>` token, so the model cannot learn the template instead of the request.
 */

export interface FeatureOptions {
  /** log2 of the hash space (buckets). */
  bits: number;
  /** Smallest and largest character n-gram length (inside `<word>` boundaries). */
  charMin: number;
  charMax: number;
  /** Weights of the three feature blocks (each block is L2-normalised before weighting). */
  wordWeight: number;
  bigramWeight: number;
  charWeight: number;
  /** Character n-grams also across word boundaries (over the whole normalised text). */
  crossWord?: boolean;
  /** Word trigrams. */
  trigramWeight?: number;
  /** Light suffix stripping for word features (s, es, ed, ing, ly). */
  stem?: boolean;
}

export const DEFAULT_FEATURES: FeatureOptions = {
  bits: 22,
  charMin: 2,
  charMax: 5,
  wordWeight: 1,
  bigramWeight: 0.7,
  charWeight: 1,
};

/** Longest text (UTF-16 units) that is featurised; the rest is ignored (tickets longer than this are rare). */
export const MAX_FEATURE_CHARS = 4000;

const SLOT = /\{\{[^}]{0,60}\}\}/g;
const NON_WORD = /[^\p{L}\p{N}]+/u;

/** Lowercase, fold digits to 0, turn template slots into `<slot>`, split into words. */
export function tokenize(text: string): string[] {
  const clipped = text.length > MAX_FEATURE_CHARS ? text.slice(0, MAX_FEATURE_CHARS) : text;
  const normal = clipped.normalize('NFKC').replace(SLOT, ' qslotq ').toLowerCase().replace(/\d+/g, '0');
  const words: string[] = [];
  for (const word of normal.replace(/['’]/g, '').split(NON_WORD)) if (word) words.push(word);
  return words;
}

/** 32-bit FNV-1a over UTF-16 code units with a seed (the feature block). */
export function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so nearby strings spread over the low bits
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A sparse feature vector: hashed bucket ids (unique) and their values. */
export interface SparseVector {
  index: Uint32Array;
  value: Float32Array;
}

function addBlock(
  counts: Map<number, number>,
  grams: string[],
  seed: number,
  mask: number,
  target: Map<number, number>,
  weight: number,
): void {
  counts.clear();
  for (const gram of grams) {
    const bucket = hashString(gram, seed) & mask;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  let norm = 0;
  for (const [, c] of counts) {
    const v = 1 + Math.log(c);
    norm += v * v;
  }
  if (norm === 0) return;
  const scale = weight / Math.sqrt(norm);
  for (const [bucket, c] of counts) target.set(bucket, (target.get(bucket) ?? 0) + (1 + Math.log(c)) * scale);
}

/** Light English suffix stripping (so "refunds", "refunded", "refunding" share a feature). */
export function stem(word: string): string {
  if (word.length <= 4) return word;
  for (const suffix of ['ing', 'ed', 'es', 'ly', 's']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  }
  return word;
}

/** Turn text into a sparse hashed vector (sublinear tf, each block L2-normalised and weighted). */
export function featurize(text: string, options: FeatureOptions = DEFAULT_FEATURES): SparseVector {
  const raw = tokenize(text);
  const words = options.stem ? raw.map(stem) : raw;
  const mask = (1 << options.bits) - 1;
  const target = new Map<number, number>();
  const scratch = new Map<number, number>();
  if (options.wordWeight > 0) addBlock(scratch, words, 1, mask, target, options.wordWeight);
  if (options.bigramWeight > 0 && words.length > 1) {
    const bigrams: string[] = [];
    for (let i = 1; i < words.length; i++) bigrams.push(`${words[i - 1]} ${words[i]}`);
    addBlock(scratch, bigrams, 2, mask, target, options.bigramWeight);
  }
  if (options.trigramWeight && words.length > 2) {
    const trigrams: string[] = [];
    for (let i = 2; i < words.length; i++) trigrams.push(`${words[i - 2]} ${words[i - 1]} ${words[i]}`);
    addBlock(scratch, trigrams, 4, mask, target, options.trigramWeight);
  }
  if (options.charWeight > 0) {
    const grams: string[] = [];
    for (const word of options.crossWord ? [raw.join(' ')] : raw) {
      const padded = `<${word}>`;
      for (let n = options.charMin; n <= options.charMax; n++) {
        for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
      }
    }
    addBlock(scratch, grams, 3, mask, target, options.charWeight);
  }
  const index = new Uint32Array(target.size);
  const value = new Float32Array(target.size);
  let i = 0;
  for (const [bucket, v] of target) {
    index[i] = bucket;
    value[i] = v;
    i++;
  }
  return { index, value };
}
