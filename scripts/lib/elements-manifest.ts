/**
 * custom-elements.json for the npm package: the root manifest names source files
 * (`components/tier-assist/tier-assist.ts`, and in exports also `./savings-data.ts` or
 * `../../src/ledger/ledger.ts`, relative to the module). In the package every path must name a file the
 * tarball holds: an element's own entry (`dist/tier-assist.js`) where there is one, else its declaration
 * file under `dist/types/`. Pure: the caller says which entries exist.
 */
import { posix } from 'node:path';

export interface ManifestDeclarationRef {
  module?: string;
}

export interface ManifestModule {
  path: string;
  exports?: { declaration?: ManifestDeclarationRef }[];
}

export interface ElementsManifest {
  modules: ManifestModule[];
}

export function packagePath(source: string, hasEntry: (name: string) => boolean): string {
  const name = /^components\/[^/]+\/(tier-[a-z-]+)\.ts$/.exec(source)?.[1];
  if (name && hasEntry(name)) return `dist/${name}.js`;
  return `dist/types/${source.replace(/\.ts$/, '.d.ts')}`;
}

/** A copy of `manifest` whose module paths and export references point into the package. */
export function packageElementsManifest<T extends ElementsManifest>(
  manifest: T,
  hasEntry: (name: string) => boolean,
): T {
  const copy = structuredClone(manifest);
  for (const mod of copy.modules) {
    const source = mod.path;
    mod.path = packagePath(source, hasEntry);
    for (const exp of mod.exports ?? []) {
      const ref = exp.declaration;
      if (!ref?.module) continue;
      const target = ref.module.startsWith('.')
        ? posix.normalize(posix.join(posix.dirname(source), ref.module))
        : ref.module;
      ref.module = packagePath(target, hasEntry);
    }
  }
  return copy;
}
