/**
 * `npm test`: everything CI runs, in order, ending with one line `N passed, N failed`.
 *   1. make sure a Chromium (and redis-server) exist: install them as root on Debian, else download
 *      Playwright's Chromium where there is internet, else stop with the exact command to run;
 *   2. lint and typecheck (each counts as one check);
 *   3. build what the suites load (components for e2e, the extension for test:extension);
 *   4. every Vitest project (unit, browser, extension, e2e) in one run with a JSON report;
 *   5. the lanes outside Vitest (LANES below: each an npm script whose last line is `N passed, N failed`).
 * Flags: --skip-static (no lint/typecheck), --project NAME (repeatable; a lane's name selects it too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Suites that run outside Vitest, each an npm script ending with one line `N passed, N failed`. */
const LANES: readonly string[] = ['test:packaging', 'test:firefox'];
const vitestProjects = projects.filter((name) => !LANES.includes(name));

if (projects.length === 0 || vitestProjects.length > 0) {
  mkdirSync('.cache', { recursive: true });
  const report = '.cache/vitest-report.json';
  const vitestArgs = [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  for (const project of vitestProjects) vitestArgs.push('--project', project);
  rmSync(report, { force: true });
  const ok = run('vitest', 'npx', vitestArgs, env);
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
    };
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    // A suite that failed to load has no failed tests but still fails the run.
    if (!ok && json.numFailedTests === 0) failed += 1;
  } else if (!ok) {
    failed += 1;
  }
}

/** Runs an npm script, echoing its output, and returns its counts (a run without a summary line is one failure). */
function lane(script: string): Promise<{ passed: number; failed: number }> {
  console.log(`\n▶ ${script}: npm run -s ${script}`);
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    });
    child.on('close', (code) => {
      const summary = [...tail.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
      if (!summary) return resolve({ passed: 0, failed: 1 });
      const counts = { passed: Number(summary[1]), failed: Number(summary[2]) };
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      resolve(counts);
    });
  });
}

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts;
for (const script of LANES) {
  if (!scripts[script] || !(projects.length === 0 || projects.includes(script))) continue;
  const counts = await lane(script);
  passed += counts.passed;
  failed += counts.failed;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
