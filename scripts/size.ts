/**
 * `npm run size [-- --json] [--no-build]`: what a page downloads for <tier-assist> before the person
 * acts (the entry module and its static imports, gzipped), against a 25 KB budget, and what loads
 * lazily (markdown, router, gateway client, engines) on first use. Exits 1 over budget.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 25 * 1024;
const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist/components');
const args = new Set(process.argv.slice(2));

if (!args.has('--no-build') || !existsSync(join(dist, 'tier-assist.js'))) {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const STATIC = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC = /import\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g;

interface FileSize {
  file: string;
  bytes: number;
  gzBytes: number;
}

function sizeOf(file: string): FileSize {
  const body = readFileSync(file);
  return {
    file: relative(dist, file),
    bytes: body.byteLength,
    gzBytes: gzipSync(body, { level: 9 }).byteLength,
  };
}

/** The entry plus every module it imports statically, transitively. */
function closure(entry: string, pattern: RegExp): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(pattern)) visit(resolve(dirname(file), m[1]!));
  };
  visit(entry);
  return seen;
}

const entry = join(dist, 'tier-assist.js');
const initial = [...closure(entry, STATIC)].map(sizeOf);
// Everything reachable through dynamic import() as well (router, markdown, engines, web-llm...).
const ANY = new RegExp(`${STATIC.source}|${DYNAMIC.source}`, 'g');
function anyClosure(entryFile: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(ANY)) visit(resolve(dirname(file), (m[1] ?? m[2])!));
  };
  visit(entryFile);
  return seen;
}
const initialSet = closure(entry, STATIC);
const lazy = [...anyClosure(entry)]
  .filter((f) => !initialSet.has(f))
  .map(sizeOf)
  .sort((a, b) => b.gzBytes - a.gzBytes);

const sum = (xs: FileSize[]) => xs.reduce((s, x) => s + x.gzBytes, 0);
const initialGz = sum(initial);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

console.log('<tier-assist> first load (static imports of dist/components/tier-assist.js)');
console.log('| file | bytes | gzip |');
console.log('| --- | ---: | ---: |');
for (const f of initial) console.log(`| ${f.file} | ${f.bytes} | ${f.gzBytes} |`);
console.log(`| **total** | | **${initialGz}** (${kb(initialGz)}, budget ${kb(BUDGET_BYTES)}) |`);
console.log('\nLoaded later, on first use (dynamic imports, transitively; wllama.wasm not included)');
console.log('| file | bytes | gzip |');
console.log('| --- | ---: | ---: |');
for (const f of lazy) console.log(`| ${f.file} | ${f.bytes} | ${f.gzBytes} |`);
const over = initialGz > BUDGET_BYTES;
console.log(
  over
    ? `\nOVER BUDGET by ${initialGz - BUDGET_BYTES} bytes gz`
    : `\nwithin budget (${kb(BUDGET_BYTES - initialGz)} to spare)`,
);
if (args.has('--json')) {
  console.log(
    JSON.stringify({
      tierAssistInitialGzBytes: initialGz,
      budgetGzBytes: BUDGET_BYTES,
      withinBudget: !over,
      initialFiles: initial,
      lazyGzBytes: sum(lazy),
      lazyFiles: lazy,
    }),
  );
}
process.exitCode = over ? 1 : 0;
