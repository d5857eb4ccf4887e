import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

const dir = mkdtempSync(join(tmpdir(), 'route-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run route', () => {
  it('prints one decision per line in order and reports bad lines by number without stopping', () => {
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      [
        '{"prompt":"hi there"}',
        'not json',
        '{"prompt":"Prove that there are infinitely many primes, then analyze the gaps between them."}',
        '{"text":"missing prompt"}',
        '{"prompt":"fix: teh cat sat","task":"rewrite"}',
      ].join('\n') + '\n',
    );
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts/route.ts'), '--file', file],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ tier: 'local' });
    expect(lines[0]).toHaveProperty('reason');
    expect(lines[0]).toHaveProperty('scores.local');
    expect(lines[1]).toMatchObject({ line: 2 });
    expect(lines[1]).toHaveProperty('error');
    expect(lines[2]).toMatchObject({ tier: 'frontier' });
    expect(lines[3]).toMatchObject({ line: 4 });
    expect(lines[4]).toMatchObject({ tier: 'local' });
  });
});
