import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel } from '../src/triage/schema.ts';

const root = resolve(import.meta.dirname, '..');
const data = join(root, 'test/fixtures/triage'); // a 18-line BANKING77-shaped fixture, not the real data
const dir = mkdtempSync(join(tmpdir(), 'triage-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], input?: string) =>
  execFileSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'scripts/triage.ts'), '--data', data, ...args],
    { cwd: root, encoding: 'utf8', ...(input !== undefined ? { input } : {}) },
  );

describe('npm run triage', () => {
  it('prints one {label, confidence} line per input line, in order, and an error line for bad lines', () => {
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      [
        '{"text":"my card is still not here"}',
        'not json',
        '{"text":""}',
        '{"nope":1}',
        '{"text":"please change my PIN"}',
        '{"text":"\\u0000\\u0001binary"}',
      ].join('\n') + '\n',
    );
    const lines = run(['--dataset', 'banking77', '--file', file])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ label: 'card_arrival' });
    expect(lines[0]!.confidence).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ line: 2, error: { code: 'invalid_input' } });
    expect(lines[2]).toMatchObject({ line: 3, error: { code: 'invalid_input' } });
    expect(lines[3]).toMatchObject({ line: 4, error: { code: 'invalid_input' } });
    expect(lines[4]).toMatchObject({ label: 'change_pin' });
    expect(lines[5]).toHaveProperty('label'); // binary-ish text in JSON is still text: classified, no crash
  });

  it('exports a model JSON that loads and predicts', () => {
    const out = join(dir, 'model.json');
    run(['--dataset', 'banking77', '--export', out]);
    const model = importModel(JSON.parse(readFileSync(out, 'utf8')));
    expect(model.labels).toEqual(['card_arrival', 'change_pin', 'extra_charge_on_statement']);
    expect(model.predict('I got charged two times').label).toBe('extra_charge_on_statement');
  });
});
