import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packViolations } from './lib/pack-rules.ts';
import { PACKAGES } from './pack-packages.ts';

const ROOT = resolve(import.meta.dirname, '..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  files?: string[];
  bin?: Record<string, string>;
  sideEffects?: string[] | boolean;
  dependencies?: Record<string, string>;
}

const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;
const root = read('.');

describe('the publishable package manifests (ADR 0005)', () => {
  it('are public, have exports and carry the root version; the root stays private', () => {
    expect(root.private).toBe(true);
    for (const { dir } of PACKAGES) {
      const pkg = read(dir);
      expect(pkg.private, dir).toBeFalsy();
      expect(Object.keys(pkg.exports ?? {}).length, dir).toBeGreaterThan(1);
      expect(pkg.version, dir).toBe(root.version);
      expect(pkg.files, dir).toEqual(['dist', 'README.md']);
    }
  });

  it('declare each dependency with the range the root installs, so a consumer gets the versions we test', () => {
    const rootRanges = { ...root.dependencies };
    for (const { dir } of PACKAGES) {
      for (const [name, range] of Object.entries(read(dir).dependencies ?? {}))
        expect(`${name}@${range}`, dir).toBe(`${name}@${rootRanges[name]}`);
    }
  });

  it('tier-assist exports every entry the contract names, with types, and keeps registrations as side effects', () => {
    const pkg = read('packages/tier-assist');
    expect(Object.keys(pkg.exports ?? {}).sort()).toEqual(
      [
        '.',
        './tier-assist.js',
        './tier-triage.js',
        './tier-savings.js',
        './bundle',
        './dist/tier-assist.bundle.js',
        './custom-elements.json',
        './package.json',
      ].sort(),
    );
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      if (key.endsWith('.json')) continue;
      expect(target, key).toMatchObject({
        types: expect.stringMatching(/\.d\.ts$/),
        default: expect.stringMatching(/\.js$/),
      });
    }
    expect(pkg.sideEffects).toEqual(expect.arrayContaining(['./dist/*.js', './dist/chunks/tier-*.js']));
  });

  it('tier-assist-gateway has the command and a Node-free main entry apart from ./node', () => {
    const pkg = read('packages/tier-assist-gateway');
    expect(pkg.bin).toEqual({ 'tier-assist-gateway': './dist/cli.js' });
    expect(Object.keys(pkg.exports ?? {}).sort()).toEqual(['.', './node', './package.json']);
  });

  it('npm pack --dry-run lists no test, data, screenshot or source-map path', () => {
    for (const { dir } of PACKAGES) {
      const out = execFileSync('npm', ['pack', '--dry-run', '--json'], {
        cwd: join(ROOT, dir),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const [entry] = JSON.parse(out) as { files: { path: string }[] }[];
      const paths = entry!.files.map((f) => f.path);
      expect(paths, dir).toContain('package.json');
      expect(packViolations(paths), dir).toEqual([]);
    }
  });
});
