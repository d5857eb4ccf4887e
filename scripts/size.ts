/**
 * `npm run size [-- --json] [--no-build]`: what a page downloads for <tier-assist> before the person
 * acts (the entry module and its static imports, gzipped), against a 25 KB budget, and what loads
 * later (dynamic imports, transitively: router, markdown, gateway client, engines). Exits 1 over budget.
 * `measureTierAssist(dist)` is the same measurement for tests (the e2e suite holds the budget in CI).
 * `--package` measures the npm package's build instead (packages/tier-assist/dist, made by
 * `npm run -s pack:packages`; never rebuilt here): the same walk without lit, which the package leaves to
 * the host's bundler.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 25 * 1024;
const root = resolve(import.meta.dirname, '..');

const STATIC = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC = /import\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g;
const ANY = new RegExp(`${STATIC.source}|${DYNAMIC.source}`, 'g');

export interface FileSize {
  file: string;
  bytes: number;
  gzBytes: number;
}

export interface SizeReport {
  tierAssistInitialGzBytes: number;
  budgetGzBytes: number;
  withinBudget: boolean;
  initialFiles: FileSize[];
  lazyGzBytes: number;
  lazyFiles: FileSize[];
}

function closure(entry: string, pattern: RegExp): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      visit(resolve(dirname(file), (m[1] ?? m[2])!));
    }
  };
  visit(entry);
  return seen;
}

/** Measure the built components in `dist` (default dist/components). */
export function measureTierAssist(dist = join(root, 'dist/components')): SizeReport {
  const entry = join(dist, 'tier-assist.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: run npm run build:components first.`);
  const sizeOf = (file: string): FileSize => {
    const body = readFileSync(file);
    return {
      file: relative(dist, file),
      bytes: body.byteLength,
      gzBytes: gzipSync(body, { level: 9 }).byteLength,
    };
  };
  const initialSet = closure(entry, STATIC);
  const initialFiles = [...initialSet].map(sizeOf);
  const lazyFiles = [...closure(entry, ANY)]
    .filter((f) => !initialSet.has(f))
    .map(sizeOf)
    .sort((a, b) => b.gzBytes - a.gzBytes);
  const sum = (xs: FileSize[]) => xs.reduce((s, x) => s + x.gzBytes, 0);
  const initial = sum(initialFiles);
  return {
    tierAssistInitialGzBytes: initial,
    budgetGzBytes: BUDGET_BYTES,
    withinBudget: initial <= BUDGET_BYTES,
    initialFiles,
    lazyGzBytes: sum(lazyFiles),
    lazyFiles,
  };
}

function main(args: Set<string>): number {
  const pkg = args.has('--package');
  const dist = join(root, pkg ? 'packages/tier-assist/dist' : 'dist/components');
  if (pkg && !existsSync(join(dist, 'tier-assist.js'))) {
    console.error(`${dist} does not exist: build it with npm run -s pack:packages first.`);
    return 1;
  }
  if (!pkg && (!args.has('--no-build') || !existsSync(join(dist, 'tier-assist.js')))) {
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const report = measureTierAssist(dist);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    pkg
      ? '<tier-assist> first load from the npm package (static imports of packages/tier-assist/dist/tier-assist.js; lit not included)'
      : '<tier-assist> first load (static imports of dist/components/tier-assist.js)',
  );
  console.log('| file | bytes | gzip |');
  console.log('| --- | ---: | ---: |');
  for (const f of report.initialFiles) console.log(`| ${f.file} | ${f.bytes} | ${f.gzBytes} |`);
  console.log(
    `| **total** | | **${report.tierAssistInitialGzBytes}** (${kb(report.tierAssistInitialGzBytes)}, budget ${kb(BUDGET_BYTES)}) |`,
  );
  console.log('\nLoaded later, on first use (dynamic imports, transitively; wllama.wasm not included)');
  console.log('| file | bytes | gzip |');
  console.log('| --- | ---: | ---: |');
  for (const f of report.lazyFiles) console.log(`| ${f.file} | ${f.bytes} | ${f.gzBytes} |`);
  const spare = BUDGET_BYTES - report.tierAssistInitialGzBytes;
  console.log(
    report.withinBudget ? `\nwithin budget (${kb(spare)} to spare)` : `\nOVER BUDGET by ${-spare} bytes gz`,
  );
  if (args.has('--json')) console.log(JSON.stringify(report));
  return report.withinBudget ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(new Set(process.argv.slice(2)));
}
