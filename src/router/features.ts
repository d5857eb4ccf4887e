/**
 * Request features for the difficulty model. Pure and allocation-light: one pass over the words and
 * a bounded pass over characters, so a 2,000-character prompt featurises in a few microseconds.
 *
 * Two kinds of feature:
 * - sparse: hashed word unigrams/bigrams (whole text, capped), tail-word unigrams (the last question in
 *   a few-shot prompt), and char 4-grams of the tail; each hashed into `HASH_DIM` buckets;
 * - dense: named counts and ratios (length, digits, maths and code markers, questions, instructions,
 *   multiple-choice options, domain lexicons), standardised with the training mean and spread.
 */

/** Number of hashed buckets (power of two). Changing it needs `npm run train:router`. */
export const HASH_DIM = 1 << 13;

/** Names of the dense features, in vector order (the weights JSON stores them to catch drift). */
export const DENSE_NAMES = [
  'logChars',
  'logWords',
  'digitRatio',
  'numberCount',
  'mathSymbols',
  'latex',
  'codeMarkers',
  'codeFence',
  'defSignature',
  'assertCount',
  'newlineRatio',
  'questionMarks',
  'instructionVerbs',
  'mcOptions',
  'fewShotAnswers',
  'blankSlot',
  'hardDomain',
  'reasoningCue',
  'simpleCue',
  'greeting',
  'rewriteCue',
  'extractCue',
  'lookupCue',
  'multiPart',
  'nonAscii',
  'upperRatio',
  'logTurn',
  'longRequest',
  'askBigger',
  'wordProblem',
  'wpLogChars',
  'wpNumbers',
  'wpSentences',
  'wpMoneyPercent',
  'wpRatioWords',
  'hasMaterial',
  'logInstructionChars',
  'logMaterialChars',
] as const;

export type DenseName = (typeof DENSE_NAMES)[number];
const DENSE_INDEX = Object.fromEntries(DENSE_NAMES.map((k, i) => [k, i])) as Record<DenseName, number>;

export interface Features {
  /** Hashed bucket indices (repeats allowed: the value is the count / normalisation). */
  idx: Int32Array;
  /** Value per entry of `idx`. */
  val: Float32Array;
  /** Raw (unstandardised) dense features, in `DENSE_NAMES` order. */
  dense: Float64Array;
}

const MAX_WORDS = 600;
const TAIL_WORDS = 60;
const TAIL_CHARS = 320;

// Lexicons: stems matched as word prefixes, so "indemnification" hits "indemnif".
const HARD_DOMAIN = [
  'contract',
  'clause',
  'liabil',
  'indemnif',
  'warrant',
  'breach',
  'fraud',
  'dispute',
  'chargeback',
  'litigat',
  'lawsuit',
  'statut',
  'regulat',
  'complian',
  'gdpr',
  'hipaa',
  'jurisdic',
  'arbitrat',
  'negligen',
  'diagnos',
  'symptom',
  'dosage',
  'contraindic',
  'prognos',
  'patholog',
  'clinical',
  'tax',
  'audit',
  'depreciat',
  'amortiz',
  'valuation',
  'derivativ',
  'portfolio',
  'hedg',
  'prove',
  'proof',
  'theorem',
  'lemma',
  'induction',
  'integral',
  'eigen',
  'asymptot',
  'complexity',
  'algorithm',
  'concurren',
  'distributed',
  'architectur',
  'refactor',
  'vulnerab',
  'exploit',
  'cryptograph',
  'kernel',
  'compiler',
  'optimi',
  'probabil',
  'bayes',
  'regression',
  'econometr',
  'thermodynam',
  'quantum',
] as const;

const REASONING = [
  'analy',
  'evaluat',
  'assess',
  'justify',
  'critiqu',
  'tradeoff',
  'trade-off',
  'implicat',
  'strateg',
  'recommend',
  'derive',
  'reason',
  'why',
  'design',
  'implement',
  'debug',
  'plan',
  'risk',
  'weigh',
  'argue',
  'consequen',
  'scenario',
  'step',
] as const;

const SIMPLE = [
  'hi',
  'hello',
  'hey',
  'thanks',
  'thank',
  'ok',
  'okay',
  'please',
  'quick',
  'short',
  'simple',
  'briefly',
  'what',
  'when',
  'where',
  'who',
  'how',
  'time',
  'open',
  'hours',
  'reset',
  'password',
  'track',
  'order',
  'shipping',
  'refund',
  'cancel',
  'address',
  'login',
] as const;

const GREETING = [
  'hi',
  'hello',
  'hey',
  'thanks',
  'thank',
  'morning',
  'evening',
  'bye',
  'cheers',
  'ok',
  'okay',
];
const REWRITE = [
  'rewrite',
  'rephrase',
  'reword',
  'paraphras',
  'shorten',
  'polish',
  'proofread',
  'grammar',
  'spelling',
  'tone',
  'formal',
  'friendlier',
  'simplif',
  'translat',
  'fix',
];
const EXTRACT = [
  'extract',
  'pull',
  'list',
  'find',
  'which',
  'classify',
  'categor',
  'tag',
  'label',
  'summar',
  'tl;dr',
  'tldr',
  'bullet',
  'format',
  'convert',
  'json',
  'csv',
  'table',
];
const LOOKUP = [
  'what',
  'who',
  'when',
  'where',
  'define',
  'definition',
  'meaning',
  'capital',
  'spell',
  'synonym',
  'convert',
  'many',
  'much',
  'population',
  'weather',
];
const INSTRUCTION = new Set([
  'write',
  'explain',
  'describe',
  'list',
  'give',
  'create',
  'generate',
  'make',
  'draft',
  'compose',
  'summarize',
  'summarise',
  'translate',
  'rewrite',
  'compare',
  'analyze',
  'analyse',
  'evaluate',
  'prove',
  'show',
  'find',
  'calculate',
  'compute',
  'solve',
  'implement',
  'design',
  'suggest',
  'provide',
  'identify',
  'determine',
  'review',
  'outline',
  'assess',
  'classify',
  'extract',
  'fix',
  'refactor',
  'convert',
  'tell',
]);
const ASK_BIGGER =
  /\b(bigger|larger|smarter|stronger|better|more capable|best|frontier|advanced)\s+(model|ai|llm|assistant)\b|\b(use|try|ask|switch to)\s+(gpt-?4|claude|opus|sonnet|the frontier)\b/i;

// Category bits for the lexicons, looked up once per word (first three letters -> candidate stems).
const HARD = 1;
const REAS = 2;
const SIMP = 4;
const GREET = 8;
const REWR = 16;
const EXTR = 32;
const LOOK = 64;
const INSTR = 128;
/** Stems by their first three letters (index (c0-97)*676 + (c1-97)*26 + (c2-97)); exact words by hash. */
const STEMS: ({ stem: string; bits: number }[] | undefined)[] = new Array(26 * 26 * 26);
const EXACT = new Map<number, number>();
function addStems(list: readonly string[], bits: number, exact: boolean): void {
  for (const stem of list) {
    if (exact || stem.length < 3 || !/^[a-z]{3}/.test(stem)) {
      const h = hashString(stem, 1);
      EXACT.set(h, (EXACT.get(h) ?? 0) | bits);
      continue;
    }
    const key = (stem.charCodeAt(0) - 97) * 676 + (stem.charCodeAt(1) - 97) * 26 + (stem.charCodeAt(2) - 97);
    const arr = (STEMS[key] ??= []);
    arr.push({ stem, bits });
  }
}

/** Lexicon bits of the word lower[start, end) with hash h (no substring is created). */
function wordBits(lower: string, start: number, end: number, h: number): number {
  let bits = EXACT.get(h) ?? 0;
  if (end - start >= 3) {
    const c0 = lower.charCodeAt(start) - 97;
    const c1 = lower.charCodeAt(start + 1) - 97;
    const c2 = lower.charCodeAt(start + 2) - 97;
    if (c0 >= 0 && c0 < 26 && c1 >= 0 && c1 < 26 && c2 >= 0 && c2 < 26) {
      const cands = STEMS[c0 * 676 + c1 * 26 + c2];
      if (cands) {
        for (const c of cands) {
          const L = c.stem.length;
          if (L > end - start) continue;
          let ok = true;
          for (let j = 3; j < L; j++) {
            if (lower.charCodeAt(start + j) !== c.stem.charCodeAt(j)) {
              ok = false;
              break;
            }
          }
          if (ok) bits |= c.bits;
        }
      }
    }
  }
  return bits;
}

/** FNV-1a 32-bit over a string with a namespace seed. */
export function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Benchmark prompts in RouterBench are stored as a Python list literal (`['...']`) with escaped newlines;
 * unwrap them so training sees what a product would send. Other text passes through unchanged.
 */
export function normalizeText(text: string): string {
  const t = text.trim();
  if ((t.startsWith("['") && t.endsWith("']")) || (t.startsWith('["') && t.endsWith('"]'))) {
    return t
      .slice(2, -2)
      .replace(/\\n/g, '\n')
      .replace(/\\t/g, '\t')
      .replace(/\\'/g, "'")
      .replace(/\\"/g, '"')
      .replace(/\\\\/g, '\\');
  }
  return t;
}

/** An instruction line (<= 300 chars) followed by material of 150+ chars after a colon-newline or blank line. */
const INSTRUCTION_SPLIT = /^([^\n]{3,300}?(?::[ \t]*\n|\n[ \t]*\n|:\s+(?='|\n)))[\s\S]{150,}$/;
const INSTRUCTION_CHARS = 300;

const isAlnum = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const isSpace = (c: number): boolean =>
  c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029;

addStems(HARD_DOMAIN, HARD, false);
addStems(REASONING, REAS, false);
addStems(SIMPLE, SIMP, true);
addStems(GREETING, GREET, true);
addStems(REWRITE, REWR, false);
addStems(EXTRACT, EXTR, false);
addStems(LOOKUP, LOOK, true);
addStems([...INSTRUCTION], INSTR, true);

const H_PLEASE = hashString('please', 1);
const H_AND = hashString('and', 1);
/** Token kinds. */
const K_WORD = 1;
const K_NUMBER = 2;
const K_BOUNDARY = 3; // '.', ':', '?', '!', 'please', 'and': an instruction verb may follow
const K_SYMBOL = 4;

// Scratch buffers reused across calls (the router is synchronous, so no call overlaps another).
let HASHES = new Uint32Array(1024);
let BITS = new Uint16Array(1024);
let KINDS = new Uint8Array(1024);
let STARTS = new Int32Array(1024);
let IDX = new Int32Array(4096);
let VAL = new Float32Array(4096);

/**
 * Tokenise lower-cased text like /[a-z0-9]+(?:['-][a-z0-9]+)*|[^\sa-z0-9]/g (words, or one symbol),
 * hashing each token (FNV-1a, seed 1) and looking up its lexicon bits in the same pass, without creating
 * a string per token (allocation, not arithmetic, dominated the decision time). Returns the token count.
 */
function tokenize(lower: string): number {
  const len = lower.length;
  if (HASHES.length < len) {
    HASHES = new Uint32Array(len);
    BITS = new Uint16Array(len);
    KINDS = new Uint8Array(len);
    STARTS = new Int32Array(len);
  }
  let n = 0;
  let i = 0;
  while (i < len) {
    const c = lower.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    let h = (0x811c9dc5 ^ 1) >>> 0;
    if (isAlnum(c)) {
      while (i < len) {
        const d = lower.charCodeAt(i);
        if (isAlnum(d) || ((d === 39 || d === 45) && i + 1 < len && isAlnum(lower.charCodeAt(i + 1)))) {
          h = Math.imul(h ^ d, 0x01000193);
          i++;
        } else break;
      }
      h >>>= 0;
      if (c <= 57) {
        KINDS[n] = K_NUMBER;
        BITS[n] = 0;
      } else {
        BITS[n] = wordBits(lower, start, i, h);
        KINDS[n] = h === H_PLEASE || h === H_AND ? K_BOUNDARY : K_WORD;
      }
    } else {
      // One symbol (a surrogate pair counts as two UTF-16 units, as in the regex without the u flag).
      h = Math.imul(h ^ c, 0x01000193) >>> 0;
      i++;
      KINDS[n] = c === 46 || c === 58 || c === 63 || c === 33 ? K_BOUNDARY : K_SYMBOL;
      BITS[n] = 0;
    }
    HASHES[n] = h;
    STARTS[n] = start;
    n++;
  }
  return n;
}

/** Featurise a request. `turn` is the 1-based conversation turn (default 1). */
export function extractFeatures(rawText: string, turn = 1): Features {
  const text = normalizeText(rawText);
  // Quote style is noise (benchmarks favour double quotes): fold every quote mark into one.
  const lower = text.toLowerCase().replace(/["\u201c\u201d\u2018\u2019`]/g, "'");
  const n = tokenize(lower);
  const hashes = HASHES;
  const tail = lower.length > TAIL_CHARS ? lower.slice(lower.length - TAIL_CHARS) : lower;
  const cap = Math.min(n, MAX_WORDS);
  const tailStart = Math.max(0, n - TAIL_WORDS);
  // The ask vs the material: "Summarize this:\n\n<long email>" is as easy as its first line says, so the
  // instruction's words get their own namespace and the material's length its own feature.
  const split = INSTRUCTION_SPLIT.exec(lower);
  const instrEnd = split ? (split[1] as string).length : Math.min(lower.length, INSTRUCTION_CHARS);
  let nInstr = 0;
  while (nInstr < n && (STARTS[nInstr] as number) < instrEnd) nInstr++;
  const size = 2 * cap + (n - tailStart) + Math.max(0, tail.length - 3) + nInstr;
  if (IDX.length < size) {
    IDX = new Int32Array(size);
    VAL = new Float32Array(size);
  }
  const idx = IDX;
  const val = VAL;
  let m = 0;
  const mask = HASH_DIM - 1;

  // Sparse: word unigrams + bigrams over the last MAX_WORDS words, tail unigrams, tail char 4-grams.
  const start = n - cap;
  const wScale = 1 / Math.sqrt(cap + 1);
  for (let i = start; i < n; i++) {
    const h = hashes[i] as number;
    idx[m] = h & mask;
    val[m++] = wScale;
    if (i > start) {
      const hb =
        Math.imul(((hashes[i - 1] as number) ^ 0x9e3779b9) + ((h << 7) | (h >>> 25)), 0x85ebca6b) >>> 0;
      idx[m] = (hb ^ (hb >>> 15)) & mask;
      val[m++] = wScale;
    }
  }
  const iScale = 1 / Math.sqrt(nInstr + 1);
  for (let i = 0; i < nInstr; i++) {
    const h = Math.imul((hashes[i] as number) ^ 0x165667b1, 0x27d4eb2f) >>> 0;
    idx[m] = (h ^ (h >>> 15)) & mask;
    val[m++] = iScale;
  }
  const tScale = 1 / Math.sqrt(n - tailStart + 1);
  for (let i = tailStart; i < n; i++) {
    const h = Math.imul((hashes[i] as number) ^ 0x27d4eb2f, 0xc2b2ae35) >>> 0;
    idx[m] = (h ^ (h >>> 13)) & mask;
    val[m++] = tScale;
  }
  const cScale = (1 / Math.sqrt(Math.max(1, tail.length - 3))) * 0.5;
  for (let i = 0; i + 4 <= tail.length; i++) {
    let h = 0x811c9dc5 ^ 4;
    for (let j = 0; j < 4; j++) h = Math.imul(h ^ tail.charCodeAt(i + j), 0x01000193);
    idx[m] = (h >>> 0) & mask;
    val[m++] = cScale;
  }

  let hard = 0;
  let reasoning = 0;
  let simple = 0;
  let greeting = 0;
  let rewrite = 0;
  let extract = 0;
  let lookup = 0;
  let instructions = 0;
  let numbers = 0;
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i] as number;
    if (kind === K_NUMBER) {
      numbers++;
      continue;
    }
    const bits = BITS[i] as number;
    if (bits === 0) continue;
    if (bits & HARD) hard++;
    if (bits & REAS) reasoning++;
    if (bits & SIMP) simple++;
    if (bits & GREET && i < 3) greeting++;
    if (bits & REWR) rewrite++;
    if (bits & EXTR) extract++;
    if (bits & LOOK) lookup++;
    if (bits & INSTR && (i === 0 || KINDS[i - 1] === K_BOUNDARY)) instructions++;
  }
  // Dense features.
  let digits = 0;
  let upper = 0;
  let nonAscii = 0;
  let newlines = 0;
  let questions = 0;
  let mathSymbols = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c === 10) newlines++;
    else if (c === 63) questions++;
    else if (c === 61 || c === 43 || c === 94 || c === 42 || c === 47 || c === 36 || c === 37) mathSymbols++;
    else if (c > 127) nonAscii++;
  }
  const latex = (
    text.match(/\\(frac|sqrt|sum|int|cdot|le|ge|pi|theta|boxed|left|right|times)|\$[^$]{1,80}\$/g) ?? []
  ).length;
  const codeMarkers = (
    text.match(
      /[{};]|=>|==|\b(def|return|function|const|let|var|class|import|public|void|int|printf|print|lambda|SELECT|FROM)\b/g,
    ) ?? []
  ).length;
  const codeFence = text.includes('```') ? 1 : 0;
  const defSignature = /\bdef \w+\(|function \w+\(|\)\s*\{/.test(text) ? 1 : 0;
  const assertCount = (text.match(/\bassert\b/g) ?? []).length;
  const mcOptions = (text.match(/(^|\n)\s*\(?[A-E][).:]\s/g) ?? []).length;
  const fewShot = (text.match(/Answer:/g) ?? []).length;
  const blank = /(^|\s)_(\s|[.,]|$)/.test(text) ? 1 : 0;
  const multiPart = (text.match(/(^|\n)\s*(\d+[.)]|[-*•])\s/g) ?? []).length;
  const dense = new Float64Array(DENSE_NAMES.length);
  const set = (name: DenseName, v: number): void => {
    dense[DENSE_INDEX[name]] = v;
  };
  const l1 = (x: number): number => Math.log1p(x);
  set('logChars', l1(len));
  set('logWords', l1(n));
  set('digitRatio', len ? digits / len : 0);
  set('numberCount', l1(numbers));
  set('mathSymbols', l1(mathSymbols));
  set('latex', l1(latex));
  set('codeMarkers', l1(codeMarkers));
  set('codeFence', codeFence);
  set('defSignature', defSignature);
  set('assertCount', l1(assertCount));
  set('newlineRatio', len ? (newlines * 40) / len : 0);
  set('questionMarks', l1(questions));
  set('instructionVerbs', l1(instructions));
  set('mcOptions', l1(mcOptions));
  set('fewShotAnswers', l1(fewShot));
  set('blankSlot', blank);
  set('hardDomain', l1(hard));
  set('reasoningCue', l1(reasoning));
  set('simpleCue', l1(simple));
  set('greeting', greeting > 0 ? 1 : 0);
  set('rewriteCue', l1(rewrite));
  set('extractCue', l1(extract));
  set('lookupCue', l1(lookup));
  set('multiPart', l1(multiPart));
  set('nonAscii', len ? nonAscii / len : 0);
  set('upperRatio', len ? upper / len : 0);
  set('logTurn', Math.log(Math.max(1, turn)));
  set('longRequest', len > 1500 ? 1 : 0);
  set('askBigger', ASK_BIGGER.test(text) ? 1 : 0);
  set('hasMaterial', split ? 1 : 0);
  set('logInstructionChars', l1(instrEnd));
  set('logMaterialChars', split ? l1(len - instrEnd) : 0);
  // Maths word problems (GSM8K-like): length and the number of quantities matter there, not elsewhere.
  const wp = mcOptions === 0 && numbers >= 2 && codeMarkers < 3 && len < 1500 ? 1 : 0;
  if (wp) {
    set('wordProblem', 1);
    set('wpLogChars', l1(len));
    set('wpNumbers', l1(numbers));
    set('wpSentences', l1((text.match(/[.?!](\s|$)/g) ?? []).length));
    set('wpMoneyPercent', l1((text.match(/[$%€£]|percent/g) ?? []).length));
    set(
      'wpRatioWords',
      l1(
        (
          lower.match(/\b(half|twice|third|quarter|times|each|per|every|ratio|fraction|remaining|rest)\b/g) ??
          []
        ).length,
      ),
    );
  }
  return { idx: idx.slice(0, m), val: val.slice(0, m), dense };
}

/** True when the text asks for a bigger model ("use a bigger model", "ask GPT-4"). */
export function asksForBiggerModel(text: string): boolean {
  return ASK_BIGGER.test(text);
}
