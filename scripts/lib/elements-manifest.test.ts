import { describe, expect, it } from 'vitest';
import { packageElementsManifest } from './elements-manifest.ts';

describe('custom-elements.json for the package', () => {
  it('points modules and export references at files the tarball holds', () => {
    const entries = new Set(['tier-assist', 'tier-savings']);
    const manifest = {
      schemaVersion: '2.1.0',
      modules: [
        {
          kind: 'javascript-module',
          path: 'components/tier-assist/tier-assist.ts',
          exports: [
            { kind: 'js', name: '*', declaration: { name: '*', module: 'components/tier-assist/events.ts' } },
            {
              kind: 'js',
              name: 'TierAssist',
              declaration: { name: 'TierAssist', module: 'components/tier-assist/tier-assist.ts' },
            },
          ],
        },
        {
          kind: 'javascript-module',
          path: 'components/tier-savings/tier-savings.ts',
          exports: [
            { kind: 'js', name: 'x', declaration: { name: 'x', module: './savings-data.ts' } },
            { kind: 'js', name: 'y', declaration: { name: 'y', module: '../../src/ledger/ledger.ts' } },
          ],
        },
        { kind: 'javascript-module', path: 'components/tier-savings/tier-what-if.ts', exports: [] },
      ],
    };
    const out = packageElementsManifest(manifest, (name) => entries.has(name));
    expect(out.modules.map((m) => m.path)).toEqual([
      'dist/tier-assist.js',
      'dist/tier-savings.js',
      'dist/types/components/tier-savings/tier-what-if.d.ts',
    ]);
    expect(out.modules[0]!.exports!.map((e) => e.declaration.module)).toEqual([
      'dist/types/components/tier-assist/events.d.ts',
      'dist/tier-assist.js',
    ]);
    expect(out.modules[1]!.exports!.map((e) => e.declaration.module)).toEqual([
      'dist/types/components/tier-savings/savings-data.d.ts',
      'dist/types/src/ledger/ledger.d.ts',
    ]);
    // The input is left as it was (the root manifest stays source-relative).
    expect(manifest.modules[0]!.path).toBe('components/tier-assist/tier-assist.ts');
  });
});
