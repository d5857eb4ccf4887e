/**
 * What a published tarball may hold (issue 16, ADR 0005): the built code, its types, the manifest and a
 * README; never tests, data sets, screenshots or source maps. `packViolations` names each offending path
 * so `pack:packages` can fail with the list. Paths are as `npm pack --json` lists them (package-relative).
 */

export interface PackRule {
  /** What the rule keeps out, for the error message. */
  what: string;
  test: (path: string) => boolean;
}

export const PACK_RULES: readonly PackRule[] = [
  { what: 'a test folder', test: (p) => /(^|\/)(test|tests|__tests__)\//.test(p) },
  { what: 'a test file', test: (p) => /\.(test|spec)(\.d)?\.[cm]?[jt]sx?$/.test(p) },
  { what: 'a data folder', test: (p) => /(^|\/)data\//.test(p) },
  { what: 'a screenshot', test: (p) => /(^|\/)__screenshots__\//.test(p) || /screenshot/i.test(p) },
  { what: 'an image', test: (p) => /\.(png|jpe?g|webp)$/i.test(p) },
  { what: 'a source map', test: (p) => p.endsWith('.map') },
  { what: 'a model file', test: (p) => /\.(gguf|bin|safetensors)$/i.test(p) },
  { what: 'a data file', test: (p) => /\.(csv|jsonl|parquet)$/i.test(p) },
];

export interface PackViolation {
  path: string;
  what: string;
}

export function packViolations(paths: readonly string[]): PackViolation[] {
  const out: PackViolation[] = [];
  for (const path of paths) {
    const rule = PACK_RULES.find((r) => r.test(path));
    if (rule) out.push({ path, what: rule.what });
  }
  return out;
}

/** `from './x.ts'` -> `from './x.js'` in emitted declarations (our sources import with .ts extensions). */
export function rewriteDeclarationSpecifiers(text: string): string {
  return text.replace(
    /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+?)\.ts(["'])/g,
    (_m, head: string, path: string, tail: string) => `${head}${path}.js${tail}`,
  );
}

/** `./dist/chunks/tier-*.js` -> a regex over package-relative paths (`*` stays within one folder). */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/^\.\//, '')
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`);
}

/**
 * Files that register a custom element but are not listed in `sideEffects`: a bundler may drop such a
 * file when its exports are unused (`import 'tier-assist'`), and the element would never be defined.
 */
export function unlistedRegistrations(
  files: readonly { path: string; text: string }[],
  sideEffects: readonly string[],
): string[] {
  const listed = sideEffects.map(globToRegExp);
  return files
    .filter((f) => f.path.endsWith('.js') && f.text.includes('customElements.define'))
    .filter((f) => !listed.some((re) => re.test(f.path)))
    .map((f) => f.path);
}
