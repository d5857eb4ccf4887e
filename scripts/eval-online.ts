/**
 * npm run eval:online [-- --data ../shared/data --json --boot 200 --knobs 51 --reveal 0.5 --flip 0.05 --split test]
 * Proof of the online router on data the static router never trained on (issue 15 item 3). For each
 * stream, the static router is retrained with that data set left out (cached in .cache/eval-online), the
 * stream is replayed in a seeded random order (decide, cascade, learn from revealed feedback only), and
 * cost and accuracy over the second half give the saving at the 95%-of-frontier floor for the online
 * router, the static router and the random mix, as `eval:router` reads it. Method: docs/adr/0004.
 *
 * Streams are the TEST split rows of the left-out set (`--split test`, the reported figures); `--split dev`
 * replays the TRAIN split rows instead, which is where the online router's settings were chosen. Neither
 * split of a left-out set trains the static router or sets its thresholds. `--limit N` replays only the
 * first N requests of each stream but the drift stream (after the shuffle), so a dev stream can be cut to
 * a test stream's size to see how much one replay of that size varies; `--limit test` cuts every dev stream
 * to the size of its own test stream (the test rows are counted, not replayed).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { extractFeatures } from '../src/router/features.ts';
import { checkWeights, type RouterWeights } from '../src/router/model.ts';
import { onlineFeaturesFrom } from '../src/router/online-features.ts';
import { parseOnlineConfig } from '../src/router/online-state.ts';
import { verifyWith } from '../src/router/verifier.ts';
import { mulberry32, shuffleInPlace } from '../src/prng.ts';
import prices from '../src/ledger/prices.json' with { type: 'json' };
import { evaluateStream, type Stream, type StreamItem, type StreamResult } from './lib/online-replay.ts';
import { trainStaticRouter } from './lib/online-train.ts';
import { buildTrainData, type TrainItem } from './lib/router-data-train.ts';
import {
  loadGsm8k,
  loadMmlu,
  loadRouterBench,
  type RouterBenchRow,
  type TwoTierRow,
} from './lib/router-data.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    json: { type: 'boolean', default: false },
    boot: { type: 'string', default: '200' },
    knobs: { type: 'string', default: '51' },
    reveal: { type: 'string', default: '0.5' },
    flip: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '15' },
    only: { type: 'string' },
    split: { type: 'string', default: 'test' },
    limit: { type: 'string', default: '0' },
    config: { type: 'string', default: '{}' },
    'full-info': { type: 'boolean', default: false },
    product: { type: 'string', default: 'data/router/product-requests.jsonl' },
  },
});
const t0 = performance.now();
const log = (s: string): void => {
  if (!values.json) console.log(s);
  else console.error(s);
};
const KNOBS = Array.from({ length: Number(values.knobs) }, (_, i) => i / (Number(values.knobs) - 1));
const FEEDBACK = {
  reveal: Number(values.reveal),
  flip: Number(values.flip),
  seed: Number(values.seed),
  refitEvery: 25,
  fullInfo: values['full-info'],
};
const BOOTS = Number(values.boot);
/** Online router settings over the defaults (`--config '{"learningRate":0.02}'`), validated. */
const CONFIG = parseOnlineConfig(JSON.parse(values.config) as unknown);
if (values.split !== 'test' && values.split !== 'dev') throw new Error('--split is test or dev');
const SPLIT = values.split === 'dev' ? 'train' : 'test';

// MMLU's four subject groups (Hendrycks et al.'s categories); high_school_mathematics is dropped upstream.
const MMLU_GROUPS: Record<string, string[]> = {
  stem: 'abstract_algebra anatomy astronomy college_biology college_chemistry college_computer_science college_mathematics college_physics computer_security conceptual_physics electrical_engineering elementary_mathematics high_school_biology high_school_chemistry high_school_computer_science high_school_physics high_school_statistics machine_learning'.split(
    ' ',
  ),
  humanities:
    'formal_logic high_school_european_history high_school_us_history high_school_world_history international_law jurisprudence logical_fallacies moral_disputes moral_scenarios philosophy prehistory professional_law world_religions'.split(
      ' ',
    ),
  social:
    'econometrics high_school_geography high_school_government_and_politics high_school_macroeconomics high_school_microeconomics high_school_psychology human_sexuality professional_psychology public_relations security_studies sociology us_foreign_policy'.split(
      ' ',
    ),
  other:
    'business_ethics clinical_knowledge college_medicine global_facts human_aging management marketing medical_genetics miscellaneous nutrition professional_accounting professional_medicine virology'.split(
      ' ',
    ),
};
const groupOf = (subject: string | undefined): string =>
  Object.entries(MMLU_GROUPS).find(([, subs]) => subs.includes(subject ?? ''))?.[0] ?? 'other';

// ---- Data ----
const rb = loadRouterBench(values.data).filter(
  (r) => ![r.correct.local, r.correct.mid, r.correct.frontier].some(Number.isNaN),
);
const mmlu = loadMmlu(values.data);
const gsm = loadGsm8k(values.data);
const subjectOf = new Map(mmlu.map((r) => [r.prompt, r.subject]));

interface LeaveOut {
  key: string;
  keep: (it: TrainItem) => boolean;
}
const leaveOuts: LeaveOut[] = [
  ...['arc-challenge', 'mbpp', 'winogrande'].map((ds) => ({
    key: `routerbench-${ds}`,
    keep: (it: TrainItem) => !(it.source === 'routerbench' && it.rb?.dataset === ds),
  })),
  ...Object.keys(MMLU_GROUPS).map((g) => ({
    key: `mmlu-${g}`,
    keep: (it: TrainItem) => !(it.source === 'mmlu' && groupOf(subjectOf.get(it.prompt)) === g),
  })),
  { key: 'gsm8k', keep: (it: TrainItem) => it.source !== 'gsm8k' },
];

// ---- Static routers with one set left out (cached: training is the slow part) ----
const CACHE = '.cache/eval-online';
const fingerprint = createHash('sha1');
for (const f of [
  'src/router/features.ts',
  'src/router/fit.ts',
  'scripts/lib/online-train.ts',
  'scripts/lib/router-recipe.ts',
  'scripts/lib/router-data-train.ts',
  'scripts/lib/router-data.ts',
  values.product,
])
  fingerprint.update(readFileSync(f));
fingerprint.update(`${rb.length}|${mmlu.length}|${gsm.length}|${values.data}`);
const fp = fingerprint.digest('hex').slice(0, 12);
let trainItems: TrainItem[] | undefined;
const routers = new Map<string, RouterWeights>();
for (const lo of leaveOuts) {
  if (values.only && !values.only.split(',').some((o) => lo.key.startsWith(o) || o.startsWith(lo.key)))
    continue;
  const path = join(CACHE, `${lo.key}-${fp}.json`);
  if (existsSync(path)) {
    const w = JSON.parse(readFileSync(path, 'utf8')) as RouterWeights;
    checkWeights(w);
    routers.set(lo.key, w);
    continue;
  }
  if (!trainItems) {
    log('featurising the training data (once; routers are cached in .cache/eval-online)...');
    trainItems = buildTrainData(values.data, values.product).items;
  }
  const t = performance.now();
  const w = trainStaticRouter(trainItems, lo.keep);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path, JSON.stringify(w));
  routers.set(lo.key, w);
  log(`trained static router without ${lo.key} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// ---- Streams ----
const PRICE = prices.models as Record<string, { input: number; output: number }>;
const midPrice = PRICE[prices.defaults.mid] as { input: number; output: number };
const frontierPrice = PRICE[prices.defaults.frontier] as { input: number; output: number };
/** 2-tier cost: the site's default mid and frontier models' prices, tokens estimated as chars / 4. */
const twoTierCost = (prompt: string, outChars: number, p: { input: number; output: number }): number =>
  ((prompt.length / 4) * p.input + (outChars / 4) * p.output) / 1e6;

function rbItem(w: RouterWeights, r: RouterBenchRow): StreamItem {
  return {
    f: onlineFeaturesFrom(w, extractFeatures(r.prompt), CONFIG.buckets),
    correct: r.correct,
    cost: r.cost,
    localAccept:
      r.response.local !== undefined &&
      verifyWith(w.verifier, { text: r.response.local, finishReason: 'stop', prompt: r.prompt }).accept,
    frontierOnly: !r.correct.local && !r.correct.mid && r.correct.frontier === 1,
  };
}
function twoTierItem(w: RouterWeights, r: TwoTierRow): StreamItem {
  const out = r.weakResponse ? r.weakResponse.length : 4;
  return {
    f: onlineFeaturesFrom(w, extractFeatures(r.prompt), CONFIG.buckets),
    correct: { local: r.weak, mid: r.weak, frontier: r.strong },
    cost: {
      local: twoTierCost(r.prompt, out, midPrice),
      mid: twoTierCost(r.prompt, out, midPrice),
      frontier: twoTierCost(r.prompt, out, frontierPrice),
    },
    localAccept: false,
    frontierOnly: false,
  };
}
const shuffled = <T>(xs: T[], seed: number): T[] => shuffleInPlace([...xs], mulberry32(seed));
const policyOf = (w: RouterWeights) => ({
  defaultQuality: w.policy.defaultQuality,
  localMargin: w.policy.localMargin,
});

const streams: Stream[] = [];
const seed = FEEDBACK.seed;
for (const ds of ['arc-challenge', 'mbpp', 'winogrande']) {
  const w = routers.get(`routerbench-${ds}`);
  if (!w) continue;
  const rows = rb.filter((r) => r.dataset === ds && r.split === SPLIT);
  streams.push({
    name: `routerbench/${ds}`,
    tiers: 3,
    policy: policyOf(w),
    items: shuffled(rows, seed).map((r) => rbItem(w, r)),
  });
}
for (const g of Object.keys(MMLU_GROUPS)) {
  const w = routers.get(`mmlu-${g}`);
  if (!w) continue;
  const rows = mmlu.filter((r) => groupOf(r.subject) === g && r.split === SPLIT);
  streams.push({
    name: `mmlu/${g}`,
    tiers: 2,
    policy: policyOf(w),
    items: shuffled(rows, seed).map((r) => twoTierItem(w, r)),
  });
}
{
  const w = routers.get('gsm8k');
  if (w)
    streams.push({
      name: 'gsm8k',
      tiers: 2,
      policy: policyOf(w),
      items: shuffled(
        gsm.filter((r) => r.split === SPLIT),
        seed,
      ).map((r) => twoTierItem(w, r)),
    });
}
// Drift: the router that never saw MMLU's STEM subjects; the first half is mostly humanities and social
// science questions (rows of the same split, which no router trained on), the second half mostly STEM.
{
  const w = routers.get('mmlu-stem');
  if (w) {
    const inSplit = mmlu.filter((r) => r.split === SPLIT);
    const seen = shuffled(
      inSplit.filter((r) => ['humanities', 'social'].includes(groupOf(r.subject))),
      seed + 1,
    );
    const stem = shuffled(
      inSplit.filter((r) => groupOf(r.subject) === 'stem'),
      seed + 2,
    );
    const H = Math.min(seen.length, stem.length);
    const a = Math.round(0.8 * H);
    const first = shuffled([...seen.slice(0, a), ...stem.slice(0, H - a)], seed + 3);
    const second = shuffled([...seen.slice(a, H), ...stem.slice(H - a, H)], seed + 4);
    streams.push({
      name: 'drift: hum+social -> stem',
      tiers: 2,
      policy: policyOf(w),
      items: [...first, ...second].map((r) => twoTierItem(w, r)),
    });
  }
}

// ---- Replay ----
// `--limit test`: each dev stream cut to the number of rows its test stream has (counted, never replayed).
const TEST_SIZE: Record<string, number> = {
  ...Object.fromEntries(
    ['arc-challenge', 'mbpp', 'winogrande'].map((ds) => [
      `routerbench/${ds}`,
      rb.filter((r) => r.dataset === ds && r.split === 'test').length,
    ]),
  ),
  ...Object.fromEntries(
    Object.keys(MMLU_GROUPS).map((g) => [
      `mmlu/${g}`,
      mmlu.filter((r) => groupOf(r.subject) === g && r.split === 'test').length,
    ]),
  ),
  gsm8k: gsm.filter((r) => r.split === 'test').length,
};
const LIMIT = values.limit === 'test' ? -1 : Number(values.limit);
if (!Number.isInteger(LIMIT) || LIMIT < -1)
  throw new Error('--limit is a whole number of requests (0: all) or "test" (each test stream\'s size)');
const limitOf = (name: string): number => (LIMIT === -1 ? (TEST_SIZE[name] ?? 0) : LIMIT);
const results: StreamResult[] = [];
for (const full of streams) {
  const cut = limitOf(full.name);
  const s = cut > 0 && !full.name.startsWith('drift') ? { ...full, items: full.items.slice(0, cut) } : full;
  const t = performance.now();
  results.push(evaluateStream(s, KNOBS, FEEDBACK, CONFIG, BOOTS));
  log(`${s.name}: ${s.items.length} requests in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const fo = results.reduce(
  (a, r) => ({
    n: a.n + r.frontierOnly.n,
    st: a.st + r.frontierOnly.staticLocal,
    on: a.on + r.frontierOnly.onlineLocal,
  }),
  { n: 0, st: 0, on: 0 },
);
const r4 = (x: number): number => Number(x.toFixed(4));
const summary = {
  streams: results.map((r) => ({
    name: r.name,
    size: r.size,
    staticSaving95: r.staticSaving95,
    onlineSaving95: r.onlineSaving95,
    randomSaving95: r.randomSaving95,
    onlineCiLow: r.onlineCiLow,
    onlineCiHigh: r.onlineCiHigh,
  })),
  frontierOnlyToLocalStatic: r4(fo.st / Math.max(1, fo.n)),
  frontierOnlyToLocalOnline: r4(fo.on / Math.max(1, fo.n)),
};

// ---- Table ----
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
const won = (r: StreamResult): boolean =>
  r.onlineSaving95 >= 1.2 * r.staticSaving95 &&
  r.onlineCiLow > r.staticSaving95 &&
  r.onlineSaving95 >= 1.5 * r.randomSaving95;
log(
  `\nOnline router, progressive replay (feedback revealed ${FEEDBACK.reveal}, flipped ${FEEDBACK.flip}; ${KNOBS.length} knobs; saving at 95% of frontier over each stream's second half)`,
);
log(
  `${'stream'.padEnd(32)} ${'size'.padStart(5)} ${'static'.padStart(7)} ${'online'.padStart(7)} ${'95% CI'.padStart(17)} ${'random'.padStart(7)}  on/st  on/rnd  target`,
);
for (const r of results) {
  log(
    `${r.name.padEnd(32)} ${String(r.size).padStart(5)} ${pct(r.staticSaving95)} ${pct(r.onlineSaving95)} ${pct(r.onlineCiLow)}-${pct(r.onlineCiHigh).trim()} ${pct(r.randomSaving95)}  ${(r.onlineSaving95 / Math.max(1e-9, r.staticSaving95)).toFixed(2).padStart(5)}  ${(r.onlineSaving95 / Math.max(1e-9, r.randomSaving95)).toFixed(2).padStart(6)}  ${won(r) ? 'won' : r.onlineSaving95 < r.staticSaving95 - 0.02 ? 'LOST >2 pts' : 'not won'}`,
  );
}
log(
  `frontier-only prompts answered on-device at the default knob (3-tier streams, second halves, n=${fo.n}): static ${fo.st}, online ${fo.on}`,
);
log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (values.json) console.log(JSON.stringify(summary));
