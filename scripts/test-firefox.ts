/**
 * `npm run test:firefox`: the Firefox lane (issue 18). Finds (or installs) Firefox ESR, then runs
 * test/firefox/vitest.config.ts: the components' browser suites in Firefox over WebDriver BiDi, and
 * the Node suites that drive Firefox against real servers (answer path, probe, isolation, the
 * extension's Firefox build; it builds both first). Ends with one line `N passed, N failed`.
 * Arguments after `--` go to Vitest (a file filter, `--project firefox-e2e`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureFirefox } from './lib/test-deps.ts';

const env = { ...process.env, FIREFOX_PATH: ensureFirefox() };
let passed = 0;
let failed = 0;

// What the Node suites load: the built components (answer path) and the Firefox add-on.
for (const script of ['build:components', 'build:extension-firefox']) {
  if (spawnSync('npm', ['run', '-s', script], { stdio: 'inherit', env }).status !== 0) failed += 1;
}

mkdirSync('.cache', { recursive: true });
const report = '.cache/vitest-firefox-report.json';
rmSync(report, { force: true });
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--config',
    'test/firefox/vitest.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env },
);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number };
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A suite that failed to load has no failed tests but still fails the run.
  if (vitest.status !== 0 && json.numFailedTests === 0) failed += 1;
} else if (vitest.status !== 0) {
  failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
