/**
 * `npm test`: everything CI runs, in order, ending with one line `N passed, N failed`.
 *   1. make sure a Chromium (and redis-server) exist: install them as root on Debian, else download
 *      Playwright's Chromium where there is internet, else stop with the exact command to run;
 *   2. lint and typecheck (each counts as one check);
 *   3. build what the suites load (components for e2e, the extension for test:extension);
 *   4. every Vitest project (unit, browser, extension, e2e) in one run with a JSON report.
 * Flags: --skip-static (no lint/typecheck), --project NAME (repeatable).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { ensureChromium, ensureRedis } from './lib/test-deps.ts';

const args = process.argv.slice(2);
const projects = args.flatMap((arg, i) => (arg === '--project' && args[i + 1] ? [args[i + 1]!] : []));
const skipStatic = args.includes('--skip-static');

function run(
  label: string,
  command: string,
  commandArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  console.log(`\n▶ ${label}: ${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env });
  return result.status === 0;
}

let passed = 0;
let failed = 0;
const env = { ...process.env, CHROMIUM_PATH: ensureChromium() };
ensureRedis();

if (!skipStatic) {
  for (const [label, script] of [
    ['lint', 'lint'],
    ['typecheck', 'typecheck'],
  ] as const) {
    if (run(label, 'npm', ['run', '-s', script], env)) passed += 1;
    else failed += 1;
  }
}

const wants = (name: string) => projects.length === 0 || projects.includes(name);
if (wants('e2e') && !run('build components', 'npm', ['run', '-s', 'build:components'], env)) failed += 1;
if (wants('extension') && !run('build extension', 'npm', ['run', '-s', 'build:extension'], env)) failed += 1;

mkdirSync('.cache', { recursive: true });
const report = '.cache/vitest-report.json';
const vitestArgs = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
for (const project of projects) vitestArgs.push('--project', project);
const ok = run('vitest', 'npx', vitestArgs, env);

if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTestSuites: number;
    success: boolean;
  };
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A suite that failed to load has no failed tests but still fails the run.
  if (!ok && json.numFailedTests === 0) failed += 1;
} else if (!ok) {
  failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
