/**
 * `npm run -s pack:packages -- --out <dir> [--json] [--no-build]`: builds the two npm packages and packs
 * them as exactly `<dir>/tier-assist.tgz` (the elements) and `<dir>/tier-assist-gateway.tgz` (the
 * gateway), then prints each tarball's file count, packed and unpacked size; with --json, one JSON line
 * last: `{packages: [{name, version, file, packedBytes, unpackedBytes, files}]}`. Fails (exit 1) when a
 * tarball would hold a test, data, screenshot or source-map path. Layout and why: docs/adr/0005-packages.md.
 *
 * Build steps (skipped with --no-build when dist/ already exists): vite --mode package, package-bundle and
 * package-gateway (vite.config.ts), declarations with each package's tsconfig.json (then '.ts' specifiers
 * rewritten to '.js'), and custom-elements.json with module paths pointing at the package's files.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packageElementsManifest, type ElementsManifest } from './lib/elements-manifest.ts';
import { packViolations, rewriteDeclarationSpecifiers, unlistedRegistrations } from './lib/pack-rules.ts';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the tarball. */
  file: string;
  packedBytes: number;
  unpackedBytes: number;
  files: number;
}

interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

/** The packages, their folder under packages/ and the tarball name the contract fixes. */
export const PACKAGES = [
  {
    dir: 'packages/tier-assist',
    tarball: 'tier-assist.tgz',
    built: ['dist/index.js', 'dist/tier-assist.bundle.js', 'dist/custom-elements.json', 'dist/types'],
  },
  {
    dir: 'packages/tier-assist-gateway',
    tarball: 'tier-assist-gateway.tgz',
    built: ['dist/cli.js', 'dist/types'],
  },
] as const;

function run(command: string, args: string[], allowFailure = false): void {
  try {
    execFileSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    if (!allowFailure) throw error;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function emitDeclarations(packageDir: string): void {
  const types = join(root, packageDir, 'dist/types');
  rmSync(types, { recursive: true, force: true });
  // Type errors are the typecheck's job (npm run typecheck, in CI): the declarations are emitted anyway,
  // so a half-finished change elsewhere in the tree does not stop a pack.
  try {
    execFileSync(bin('tsc'), ['-p', join(packageDir, 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const out = String((error as { stdout?: Buffer }).stdout ?? '');
    const count = (out.match(/error TS/g) ?? []).length;
    console.error(
      `warning: ${packageDir} declarations emitted with ${count} type error(s); run npm run typecheck`,
    );
  }
  if (!existsSync(types)) throw new Error(`tsc wrote no declarations to ${types}`);
  for (const file of walk(types)) {
    if (file.endsWith('.d.ts')) writeFileSync(file, rewriteDeclarationSpecifiers(readFileSync(file, 'utf8')));
  }
}

/** custom-elements.json with paths into the package (scripts/lib/elements-manifest.ts). */
function writeElementsManifest(): void {
  const dist = join(root, 'packages/tier-assist/dist');
  const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8')) as ElementsManifest;
  const packaged = packageElementsManifest(manifest, (name) => existsSync(join(dist, `${name}.js`)));
  writeFileSync(join(dist, 'custom-elements.json'), JSON.stringify(packaged, null, 2) + '\n');
}

export function buildPackages(): void {
  const vite = (mode: string) => run(bin('vite'), ['build', '--mode', mode, '--logLevel', 'warn']);
  vite('package');
  vite('package-bundle');
  vite('package-gateway');
  writeElementsManifest();
  for (const { dir } of PACKAGES) emitDeclarations(dir);
}

/** npm pack each package into `out` (named as PACKAGES says); throws listing any forbidden path. */
export function packPackages(out: string): PackedPackage[] {
  mkdirSync(out, { recursive: true });
  const rootVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const scratch = mkdtempSync(join(tmpdir(), 'tier-pack-'));
  try {
    return PACKAGES.map(({ dir, tarball }) => {
      if (!existsSync(join(root, dir, 'dist')))
        throw new Error(`${dir}/dist does not exist: run without --no-build first.`);
      const json = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
        cwd: join(root, dir),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const entry = (JSON.parse(json) as NpmPackEntry[])[0];
      if (!entry) throw new Error(`npm pack printed no result for ${dir}`);
      if (entry.version !== rootVersion)
        throw new Error(
          `${dir}/package.json has version ${entry.version} but the root has ${rootVersion}: the packages carry the root's version (ADR 0005).`,
        );
      const violations = packViolations(entry.files.map((f) => f.path));
      if (violations.length > 0)
        throw new Error(
          `${entry.name} would publish ${violations.length} forbidden path(s); keep them out of "files":\n` +
            violations.map((v) => `  ${v.path} (${v.what})`).join('\n'),
        );
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        sideEffects?: string[] | boolean;
      };
      if (Array.isArray(manifest.sideEffects)) {
        const shipped = entry.files
          .filter((f) => f.path.endsWith('.js'))
          .map((f) => ({ path: f.path, text: readFileSync(join(root, dir, f.path), 'utf8') }));
        const gaps = unlistedRegistrations(shipped, manifest.sideEffects);
        if (gaps.length > 0)
          throw new Error(
            `${entry.name}: ${gaps.join(', ')} define custom elements but no "sideEffects" pattern covers them; a consumer's bundler could drop them. Add a pattern to ${dir}/package.json.`,
          );
      }
      const file = join(out, tarball);
      copyFileSync(join(scratch, entry.filename), file);
      return {
        name: entry.name,
        version: entry.version,
        file,
        packedBytes: entry.size,
        unpackedBytes: entry.unpackedSize,
        files: entry.entryCount,
      };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const LOCK = join(root, 'packages/.pack-lock');

/**
 * One build and pack at a time: every run writes packages/<name>/dist, so two at once (two engineers, or
 * the packaging suite beside a hand run) would pack each other's half-written files. mkdir is atomic; a
 * lock whose process is gone is taken over.
 */
function withPackLock<T>(fn: () => T): T {
  const started = Date.now();
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(existsSync(join(LOCK, 'pid')) ? readFileSync(join(LOCK, 'pid'), 'utf8') : NaN);
      let alive = true;
      try {
        if (Number.isInteger(pid)) process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() - started > 15 * 60_000)
        throw new Error(
          `Another pack:packages (pid ${pid}) has held ${LOCK} for 15 minutes; stop it or remove the folder.`,
        );
      else Atomics.wait(sleep, 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  let values: { out?: string; json?: boolean; 'no-build'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, json: { type: 'boolean' }, 'no-build': { type: 'boolean' } },
    }));
  } catch (error) {
    console.error(
      `${error instanceof Error ? error.message : String(error)}\nUsage: npm run -s pack:packages -- --out <dir> [--json] [--no-build]`,
    );
    return 2;
  }
  const out = resolve(values.out ?? join(root, '.cache/packages'));
  // --no-build reuses dist/ only when every step left its output (`size --package` or a lone vite run do not).
  const built = PACKAGES.every(({ dir, built: outputs }) =>
    outputs.every((f) => existsSync(join(root, dir, f))),
  );
  const packed = withPackLock(() => {
    if (!values['no-build'] || !built) buildPackages();
    return packPackages(out);
  });
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  console.log('| tarball | files | packed | unpacked |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const p of packed)
    console.log(
      `| ${basename(p.file)} (${p.name}@${p.version}) | ${p.files} | ${p.packedBytes} (${mb(p.packedBytes)}) | ${p.unpackedBytes} (${mb(p.unpackedBytes)}) |`,
    );
  if (values.json) console.log(JSON.stringify({ packages: packed }));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
