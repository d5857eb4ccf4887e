/**
 * Finds (or installs) what the test suites need: a Chromium binary, redis-server and (for the Firefox
 * lane) Firefox ESR.
 * As root on Debian/Ubuntu they come from apt; elsewhere Chromium comes from Playwright's download
 * (needs internet) and Redis from the exact command printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
let aptUpdated = false;

function which(binary: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}

function aptInstall(pkg: string): boolean {
  if (!isRoot || !hasApt) return false;
  console.log(`Installing ${pkg} with apt-get…`);
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    aptUpdated = true;
  }
  const result = spawnSync('apt-get', ['install', '-y', '-qq', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

/** Returns the path of a Chromium to test with, installing one when none is found. */
export function ensureChromium(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (existsSync(configured)) return configured;
    fail(`CHROMIUM_PATH=${configured} does not exist. Unset it or point it at a Chrome/Chromium binary.`);
  }
  const found =
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? which('chromium');
  if (found) return found;
  if (aptInstall('chromium') && existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  console.log('No system Chromium; downloading Playwright’s Chromium (needs internet)…');
  const download = spawnSync('npx', ['playwright-core', 'install', 'chromium'], { stdio: 'inherit' });
  if (download.status === 0) {
    const path = spawnSync(
      process.execPath,
      ['-e', "console.log(require('playwright-core').chromium.executablePath())"],
      {
        encoding: 'utf8',
      },
    ).stdout.trim();
    if (path && existsSync(path)) return path;
  }
  fail(
    'No Chromium found. Install one, then run `npm test` again:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y chromium\n' +
      '  anywhere with internet: npx playwright-core install chromium\n' +
      '  or set CHROMIUM_PATH=/path/to/chrome',
  );
}

/** Makes sure `redis-server` is on PATH (the gateway's shared-state tests start their own). */
export function ensureRedis(): void {
  if (which('redis-server')) return;
  if (aptInstall('redis-server') && which('redis-server')) return;
  fail(
    'No redis-server found. Install it, then run `npm test` again:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
      '  macOS: brew install redis',
  );
}

/**
 * Returns the path of a Firefox to test with (`$FIREFOX_PATH`, else Firefox ESR), installing
 * `firefox-esr` with apt as root on Debian/Ubuntu. Elsewhere it stops with the command to run: the
 * Firefox lane drives the system browser over WebDriver BiDi and never downloads one.
 */
export function ensureFirefox(): string {
  const configured = process.env.FIREFOX_PATH;
  if (configured) {
    if (existsSync(configured)) return configured;
    fail(`FIREFOX_PATH=${configured} does not exist. Unset it or point it at a Firefox binary.`);
  }
  const found =
    ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p)) ?? which('firefox-esr');
  if (found) return found;
  if (aptInstall('firefox-esr') && existsSync('/usr/bin/firefox-esr')) return '/usr/bin/firefox-esr';
  fail(
    'No Firefox found. Install one, then run `npm run test:firefox` again:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y firefox-esr\n' +
      '  or set FIREFOX_PATH=/path/to/firefox',
  );
}
