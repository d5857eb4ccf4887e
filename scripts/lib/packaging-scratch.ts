/**
 * The packaging lane's file work: pack the publishable tarballs (`npm run pack:packages`), read what
 * they hold, lay out the scratch apps (test/packaging/apps) in a temporary folder with ONE package.json
 * and ONE `npm install` for all of them (CI installs once; the npm cache makes reruns near offline),
 * and run the apps' own tsc / vue-tsc / vite from that install.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckFailure } from './packaging-checks.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const APPS_TEMPLATE = join(ROOT, 'test/packaging/apps');

/** The tarballs `pack:packages` promises (docs/adr/0005), by package name. */
export const TARBALLS = {
  'tier-assist': 'tier-assist.tgz',
  'tier-assist-gateway': 'tier-assist-gateway.tgz',
} as const;
export type PackageName = keyof typeof TARBALLS;

/**
 * What the scratch apps install besides the tarballs, pinned exactly so CI is repeatable. vite is 8.3.8
 * (8.4.0 has an optional dependency the registry mirror cannot serve); both plugins declare vite ^8
 * and Node ^20.19 in their peerDependencies/engines.
 */
export const SCRATCH_DEPENDENCIES: Readonly<Record<string, string>> = {
  vite: '8.3.8',
  '@vitejs/plugin-react': '6.3.1',
  '@vitejs/plugin-vue': '6.1.1',
  typescript: '5.9.3',
  'vue-tsc': '3.3.14',
  react: '19.3.1',
  'react-dom': '19.3.1',
  '@types/react': '19.3.3',
  '@types/react-dom': '19.3.0',
  '@lit/react': '1.0.8',
  vue: '3.5.47',
  '@types/node': '20.19.43',
};

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to its end (stdout + stderr together), killing it after `timeoutMs`. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs / 1000} s]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: -1, output: `${output}\n${error.message}` });
    });
  });
}

/** `npm run -s pack:packages -- --out <dir> [--no-build]`; returns each tarball's path and size in bytes. */
export async function packTarballs(
  outDir: string,
  options: { build: boolean },
): Promise<Record<PackageName, { path: string; bytes: number }>> {
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
  ).scripts;
  if (!scripts?.['pack:packages'])
    throw new CheckFailure(
      'package.json has no "pack:packages" script. It must write tier-assist.tgz and tier-assist-gateway.tgz into --out <dir> (issue 16, docs/embed.md).',
    );
  const args = [
    'run',
    '-s',
    'pack:packages',
    '--',
    '--out',
    outDir,
    ...(options.build ? [] : ['--no-build']),
  ];
  const result = await run('npm', args, {
    cwd: ROOT,
    timeoutMs: 300_000,
  });
  if (result.code !== 0)
    throw new CheckFailure(
      `npm run pack:packages exited with ${result.code}. Run it by hand (npm run -s pack:packages -- --out /tmp/x) and fix the build it reports.`,
      result.output,
    );
  const out = {} as Record<PackageName, { path: string; bytes: number }>;
  for (const [name, file] of Object.entries(TARBALLS) as [PackageName, string][]) {
    const path = join(outDir, file);
    if (!existsSync(path))
      throw new CheckFailure(
        `pack:packages did not write ${file} into ${outDir} (found: ${readdirSync(outDir).join(', ') || 'nothing'}).`,
        result.output,
      );
    out[name] = { path, bytes: statSync(path).size };
  }
  return out;
}

export interface TarballContents {
  files: string[];
  manifest: PackageManifest;
}

export interface PackageManifest {
  name?: string;
  version?: string;
  private?: boolean;
  exports?: unknown;
  bin?: string | Record<string, string>;
  types?: string;
  customElements?: string;
  sideEffects?: unknown;
}

/** The paths inside a tarball (without the `package/` prefix) and its package.json. */
export async function readTarball(path: string): Promise<TarballContents> {
  const list = await run('tar', ['-tzf', path], { cwd: ROOT, timeoutMs: 60_000 });
  if (list.code !== 0) throw new CheckFailure(`${path} is not a readable .tgz.`, list.output);
  const files = list.output
    .split('\n')
    .filter((line) => line && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
  const manifest = await run('tar', ['-xzOf', path, 'package/package.json'], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });
  if (manifest.code !== 0) throw new CheckFailure(`${path} has no package/package.json.`, manifest.output);
  return { files, manifest: JSON.parse(manifest.output) as PackageManifest };
}

/** The element package's public entry points (the contract with pack:packages, issue 16). */
export const ELEMENT_EXPORTS = ['.', './tier-assist.js', './tier-triage.js', './tier-savings.js', './bundle'];
/** The one-file build a page loads with a single script tag. */
export const BUNDLE_FILE = 'dist/tier-assist.bundle.js';

function exportKeys(contents: TarballContents): string[] {
  const exports = contents.manifest.exports;
  if (typeof exports === 'string') return ['.'];
  return exports && typeof exports === 'object' ? Object.keys(exports) : [];
}

/** What the tarballs' package.json files lack for a user to install and use them, one sentence each. */
export function manifestProblems(contents: Record<PackageName, TarballContents>): string[] {
  const problems: string[] = [];
  for (const [name, c] of Object.entries(contents)) {
    if (c.manifest.private) problems.push(`${name}: package.json is private; npm refuses to publish it`);
    if (exportKeys(c).length === 0) problems.push(`${name}: package.json has no "exports"`);
  }
  const elements = contents['tier-assist'];
  const missing = ELEMENT_EXPORTS.filter((key) => !exportKeys(elements).includes(key));
  if (missing.length) problems.push(`tier-assist: exports lack ${missing.join(', ')}`);
  if (!elements.files.includes(BUNDLE_FILE))
    problems.push(`tier-assist: ${BUNDLE_FILE} is not in the tarball`);
  if (!elements.files.some((f) => f.endsWith('.d.ts'))) problems.push('tier-assist: no .d.ts in the tarball');
  const manifestFile = elements.manifest.customElements;
  if (!manifestFile || !elements.files.includes(manifestFile.replace(/^\.\//, '')))
    problems.push('tier-assist: "customElements" does not name a custom-elements.json inside the tarball');
  if (elements.manifest.sideEffects === undefined) problems.push('tier-assist: no "sideEffects" field');
  const bin = contents['tier-assist-gateway'].manifest.bin;
  if (typeof bin !== 'object' || !bin['tier-assist-gateway'])
    problems.push('tier-assist-gateway: no bin named tier-assist-gateway');
  return problems;
}

/**
 * Paths a published package must not hold (issue 16): tests and their source maps, data sets,
 * screenshots. Source maps of the shipped code are allowed.
 */
const FORBIDDEN: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /(^|\/)(test|tests|__tests__|test-results)\//, what: 'a test folder' },
  { pattern: /(^|\/)data\//, what: 'a data folder' },
  { pattern: /\.(test|spec)\.[cm]?[jt]sx?(\.map)?$/, what: 'a test file or its source map' },
  { pattern: /(^|\/)__screenshots__\/|screenshot/i, what: 'a screenshot' },
  { pattern: /\.(png|jpe?g|webp)$/i, what: 'an image (screenshots do not ship)' },
  { pattern: /\.gguf$/i, what: 'a model file' },
];

/** Each forbidden path with the reason, e.g. `test/e2e/x.ts (a test folder)`. */
export function forbiddenPaths(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const hit = FORBIDDEN.find((rule) => rule.pattern.test(file));
    return hit ? [`${file} (${hit.what})`] : [];
  });
}

export interface DryRunPack {
  dir: string;
  name: string;
  files: string[];
}

/**
 * `npm pack --dry-run --json` in every folder with a publishable package.json (not private): the root
 * and packages/*. What npm would publish from the source tree, next to what the tarballs hold.
 */
export async function dryRunPacks(): Promise<DryRunPack[]> {
  const packagesDir = join(ROOT, 'packages');
  const dirs = [
    ROOT,
    ...(existsSync(packagesDir)
      ? readdirSync(packagesDir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(packagesDir, entry.name))
      : []),
  ].filter((dir) => {
    const file = join(dir, 'package.json');
    return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as PackageManifest).private !== true;
  });
  const packs: DryRunPack[] = [];
  for (const dir of dirs) {
    const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    if (result.code !== 0)
      throw new CheckFailure(`npm pack --dry-run failed in ${dir}; run it there to see why.`, result.output);
    const json = result.output.slice(result.output.indexOf('['));
    const [pack] = JSON.parse(json) as { name: string; files: { path: string }[] }[];
    if (pack) packs.push({ dir, name: pack.name, files: pack.files.map((f) => f.path) });
  }
  return packs;
}

/**
 * Lays out the scratch root: the app templates, and one package.json that installs the tarballs and
 * every framework the apps use.
 */
export function writeScratch(root: string, tarballs: Record<PackageName, { path: string }>): void {
  cpSync(APPS_TEMPLATE, root, { recursive: true });
  const manifest = {
    name: 'tier-assist-packaging-scratch',
    private: true,
    type: 'module',
    dependencies: {
      'tier-assist': `file:${tarballs['tier-assist'].path}`,
      'tier-assist-gateway': `file:${tarballs['tier-assist-gateway'].path}`,
      ...SCRATCH_DEPENDENCIES,
    },
  };
  writeFileSync(join(root, 'package.json'), JSON.stringify(manifest, null, 2));
}

/** One `npm install` for all apps; registry only, from the npm cache where it can. */
export async function installScratch(root: string): Promise<void> {
  const result = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: root, timeoutMs: 600_000 },
  );
  if (result.code !== 0)
    throw new CheckFailure(
      `npm install in the scratch apps exited with ${result.code}. If a version is missing from your registry, change SCRATCH_DEPENDENCIES in scripts/lib/packaging-scratch.ts; if a tarball's dependency fails, fix that package's package.json.`,
      result.output,
    );
}

/** tsc over every app but Vue (apps/tsconfig.json), or vue-tsc over the Vue app, from the scratch install. */
export function typecheck(root: string, which: 'apps' | 'vue'): Promise<RunResult> {
  const [checker, project] =
    which === 'vue'
      ? [join(root, 'node_modules/vue-tsc/bin/vue-tsc.js'), join(root, 'vue/tsconfig.json')]
      : [join(root, 'node_modules/typescript/bin/tsc'), join(root, 'tsconfig.json')];
  return run(process.execPath, [checker, '-p', project, '--pretty', 'false'], {
    cwd: root,
    timeoutMs: 240_000,
  });
}

export interface TscError {
  /** Path relative to the scratch root (undefined for errors about the whole program). */
  file: string | undefined;
  code: string;
  /** The error line and its continuation lines. */
  text: string;
}

/** tsc's `--pretty false` output as errors (continuation lines kept with the error they belong to). */
export function tscErrors(output: string): TscError[] {
  const errors: TscError[] = [];
  for (const line of output.split('\n')) {
    const located = /^(\S.*?)\(\d+,\d+\): error (TS\d+):/.exec(line);
    const global = /^error (TS\d+):/.exec(line);
    if (located) errors.push({ file: located[1]!.replace(/^(\.\.\/)+/, ''), code: located[2]!, text: line });
    else if (global) errors.push({ file: undefined, code: global[1]!, text: line });
    else if (line.startsWith(' ') && errors.length > 0) errors[errors.length - 1]!.text += `\n${line}`;
  }
  return errors;
}

/** `vite build` in one app folder (output in <app>/dist). */
export function buildApp(root: string, app: string): Promise<RunResult> {
  return run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: join(root, app),
    timeoutMs: 240_000,
  });
}

/**
 * The plain HTML app: the page plus the bundle file from the installed package and the files the bundle
 * itself fetches beside it (`new URL('x', import.meta.url)`, e.g. wllama.wasm). The page has ONE script.
 */
export function layoutBundlePage(root: string, bundleRelative: string): { dir: string; assets: string[] } {
  const pkgDir = join(root, 'node_modules/tier-assist');
  const bundle = join(pkgDir, bundleRelative);
  if (!existsSync(bundle))
    throw new CheckFailure(
      `The installed tier-assist package has no ${bundleRelative}; the bundle must ship in the tarball.`,
    );
  const dir = join(root, 'html');
  const code = readFileSync(bundle, 'utf8');
  cpSync(bundle, join(dir, 'tier-assist.bundle.js'));
  const assets = [
    ...new Set(
      [...code.matchAll(/new URL\(\s*[`'"]([^`'"$]+)[`'"]\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[1]!),
    ),
  ];
  for (const asset of assets) {
    const from = join(dirname(bundle), asset);
    if (!existsSync(from))
      throw new CheckFailure(
        `The bundle fetches ${asset} next to itself, but the package has no ${join(dirname(bundleRelative), asset)}. Ship it beside the bundle.`,
      );
    cpSync(from, join(dir, asset));
  }
  return { dir, assets };
}
