/**
 * npx tsx scripts/lib/savings-ledger-bench.ts [--records 5000] [--json]   (after `npm run build:components`)
 *
 * Times the client ledger in the system Chromium on real IndexedDB, through the built bundle
 * (dist/components/tier-savings.js): record() one by one, summary('30d') over a full ledger, a roll-up of
 * 20% of it, and export('csv'). Prints a table; with --json one JSON line last.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../../test/support/chromium.ts';
import { startStaticServer } from '../../test/support/static-server.ts';
import type * as TierSavingsBundle from '../../components/tier-savings/tier-savings.ts';

type TierSavingsModule = typeof TierSavingsBundle;

const { values } = parseArgs({
  options: { records: { type: 'string', default: '5000' }, json: { type: 'boolean', default: false } },
});
const n = Number(values.records);
const dist = resolve(import.meta.dirname, '../../dist/components');
const server = await startStaticServer();
server.serveScripts(dist, '/components/');
server.set('/', '<!doctype html><title>ledger bench</title>');
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  const result = await page.evaluate(async (count: number) => {
    const bundle = '/components/tier-savings.js';
    const { Ledger } = (await import(bundle)) as TierSavingsModule;
    const ledger = await Ledger.open(`bench-${Date.now()}`, {
      rollUp: { maxRecords: count, lowWater: 0.8, maxAgeDays: 3650 },
    });
    const start = performance.now();
    const times: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const t0 = performance.now();
      await ledger.record({
        time: Date.now() - (count - i) * 60_000,
        surface: 'bench',
        task: 'chat',
        tier: (['local', 'mid', 'frontier'] as const)[i % 3]!,
        inputTokens: 500 + (i % 97),
        outputTokens: 200 + (i % 53),
        ttftMs: 100 + (i % 400),
        totalMs: 1000 + (i % 5000),
        reason: 'bench',
      });
      times.push(performance.now() - t0);
    }
    const recordTotal = performance.now() - start;
    times.sort((a, b) => a - b);
    const t1 = performance.now();
    const summary = await ledger.summary('30d');
    const summaryMs = performance.now() - t1;
    const t2 = performance.now();
    await ledger.record({
      surface: 'bench',
      task: 'chat',
      tier: 'local',
      inputTokens: 1,
      outputTokens: 1,
      totalMs: 1,
    });
    const rollUpMs = performance.now() - t2;
    const t3 = performance.now();
    const csv = await ledger.export('csv');
    const exportMs = performance.now() - t3;
    const after = (await ledger.records()).length;
    return {
      records: count,
      recordMedianMs: times[Math.floor(times.length / 2)]!,
      recordP95Ms: times[Math.floor(times.length * 0.95)]!,
      recordsPerSecond: (count / recordTotal) * 1000,
      summaryMs,
      summarisedRequests: summary.requests,
      rollUpRecordMs: rollUpMs,
      recordsAfterRollUp: after,
      exportCsvMs: exportMs,
      csvBytes: csv.length,
    };
  }, n);
  const rows: [string, string][] = [
    ['record() median', `${result.recordMedianMs.toFixed(2)} ms`],
    ['record() p95', `${result.recordP95Ms.toFixed(2)} ms`],
    ['record() throughput', `${Math.round(result.recordsPerSecond)} /s`],
    [`summary('30d') over ${result.summarisedRequests} requests`, `${result.summaryMs.toFixed(1)} ms`],
    [
      `record() that rolls up to ${result.recordsAfterRollUp} records`,
      `${result.rollUpRecordMs.toFixed(1)} ms`,
    ],
    [`export('csv') (${Math.round(result.csvBytes / 1024)} KiB)`, `${result.exportCsvMs.toFixed(1)} ms`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(12)}`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
