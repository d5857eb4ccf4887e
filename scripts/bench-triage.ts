/**
 * npm run bench:triage [-- --data ../shared/data --queue 500 --json]
 *
 * The classifier head where agents use it: <tier-triage> from the built bundle (dist/components) in the
 * system Chromium, on real IndexedDB. It trains in the component's Web Worker on BANKING77's train split
 * (all 10,003 examples), triages a queue of `--queue` test tickets (a fixed shuffle) as an agent's batch
 * does (worker round trip + render per ticket), applies corrections (incremental update + export + save
 * to IndexedDB, what an agent waits for), and reopens the model from IndexedDB in a new element.
 * Node-side accuracy and speed are `npm run eval:triage`. Prints a table; with --json one JSON line last.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32, shuffleInPlace } from '../src/prng.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import type { TierTriage } from '../components/tier-triage/tier-triage.ts';
import { loadIntents } from './lib/intents.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    queue: { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
  },
});
const queueSize = Number(values.queue);
if (!Number.isInteger(queueSize) || queueSize < 1) {
  console.error(`--queue takes a whole number of tickets, not "${values.queue}".`);
  process.exit(2);
}

const data = loadIntents('banking77', values.data);
// the worker trains on everything the team has; BANKING77's validation slice is part of its train.csv
const train = [...data.train, ...data.validation];
const queue = shuffleInPlace([...data.test], mulberry32(5)).slice(0, queueSize);

const dist = resolve(import.meta.dirname, '../dist/components');
const server = await startStaticServer();
server.serveScripts(dist, '/components/');
server.set(
  '/',
  '<!doctype html><title>triage bench</title><script type="module" src="/components/tier-triage.js"></script>',
);
const browser = await launchChromium();
const say = (line: string): void => {
  if (!values.json) console.error(line);
};

interface PageResult {
  trainWorkerSeconds: number;
  trainWallSeconds: number;
  queueMsPerTicket: number;
  queueRight: number;
  correctionMs: number[];
  reopenMs: number;
  reopenSameAnswer: boolean;
  modelJsonBytes: number;
}

try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  // tsx (esbuild keepNames) wraps the named helpers inside page.evaluate() in __name(): define it there
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(server.url);
  await page.waitForFunction(() => customElements.get('tier-triage') !== undefined);
  say(`training on ${train.length} examples in the worker…`);
  const result = await page.evaluate(
    async ({ train, queue }): Promise<PageResult> => {
      const store = `bench-${Date.now()}`;
      const mount = async (): Promise<TierTriage> => {
        const el = document.createElement('tier-triage') as TierTriage;
        el.setAttribute('store-name', store);
        el.setAttribute('retrain-every', '0');
        document.body.append(el);
        await el.ready;
        return el;
      };
      const el = await mount();
      let t0 = performance.now();
      const trained = await el.trainFrom(train);
      const trainWallSeconds = (performance.now() - t0) / 1000;

      t0 = performance.now();
      const records = await el.triageQueue(queue.map((e) => e.text));
      const queueMsPerTicket = (performance.now() - t0) / queue.length;
      const queueRight = records.filter((r, i) => r.fields.category?.value === queue[i]!.label).length;

      // corrections on the first five wrong answers (or the first five tickets)
      const wrong = records
        .map((r, i) => i)
        .filter((i) => records[i]!.fields.category?.value !== queue[i]!.label);
      const correctionMs: number[] = [];
      for (const i of (wrong.length >= 5 ? wrong : records.map((_, k) => k)).slice(0, 5)) {
        t0 = performance.now();
        await el.correct('category', queue[i]!.label, i);
        correctionMs.push(performance.now() - t0);
      }
      const probe = queue[0]!.text;
      const before = (await el.triage(probe)).fields.category?.value;
      const modelJsonBytes = JSON.stringify(await el.exportModel()).length;
      el.remove();

      t0 = performance.now();
      const again = await mount();
      const reopenMs = performance.now() - t0;
      const after = (await again.triage(probe)).fields.category?.value;
      return {
        trainWorkerSeconds: trained.seconds,
        trainWallSeconds,
        queueMsPerTicket,
        queueRight,
        correctionMs,
        reopenMs,
        reopenSameAnswer: before === after,
        modelJsonBytes,
      };
    },
    { train, queue },
  );

  const sorted = [...result.correctionMs].sort((a, b) => a - b);
  const correctionMedian = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const accuracy = result.queueRight / queue.length;
  const rows: [string, string][] = [
    ['training in the worker (BANKING77, 10,003 tickets)', `${result.trainWorkerSeconds.toFixed(1)} s`],
    ['trainFrom() wall time, incl. save to IndexedDB', `${result.trainWallSeconds.toFixed(1)} s`],
    [`queue of ${queue.length} test tickets, per ticket`, `${result.queueMsPerTicket.toFixed(1)} ms`],
    ['queue accuracy (sanity check; eval:triage has all 3,080)', `${(accuracy * 100).toFixed(1)}%`],
    ['correction (update + export + IndexedDB), median of 5', `${correctionMedian.toFixed(0)} ms`],
    ['reopen from IndexedDB (new element ready)', `${result.reopenMs.toFixed(0)} ms`],
    ['stored model JSON', `${(result.modelJsonBytes / 1e6).toFixed(1)} MB`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.padStart(9)}`);
  if (!result.reopenSameAnswer) console.log('WARNING: the reopened model answered differently');
  if (values.json) {
    console.log(
      JSON.stringify({
        trainWorkerSeconds: result.trainWorkerSeconds,
        trainWallSeconds: result.trainWallSeconds,
        queueMsPerTicket: result.queueMsPerTicket,
        queueAccuracy: accuracy,
        queueTickets: queue.length,
        correctionMsMedian: correctionMedian,
        correctionMs: result.correctionMs,
        reopenMs: result.reopenMs,
        reopenSameAnswer: result.reopenSameAnswer,
        modelJsonBytes: result.modelJsonBytes,
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
}
