import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, helpText, parseCli } from './cli.ts';

const CLI = resolve(import.meta.dirname, 'cli.ts');
const ROOT = resolve(import.meta.dirname, '../..');

describe('tier-assist-gateway command line', () => {
  it('--help lists every flag and every variable of the Environment table in docs/gateway.md', () => {
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCli(['-h'], {})).toEqual({ kind: 'help' });
    const help = helpText();
    for (const flag of ['--port', '--host', '--config', '--static', '--help', '--version'])
      expect(help).toContain(flag);
    const docs = readFileSync(join(ROOT, 'docs/gateway.md'), 'utf8');
    const table = docs.slice(docs.indexOf('## Environment'), docs.indexOf('## Config file'));
    const documented = new Set(
      [...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((row) =>
        [...row[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
      ),
    );
    expect(documented.size).toBeGreaterThan(5);
    const listed = new Set(ENVIRONMENT.map(([name]) => name));
    expect([...documented].filter((name) => !listed.has(name))).toEqual([]);
    for (const name of listed) expect(help).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('--help lists every environment variable the gateway code reads', () => {
    const names = new Set<string>();
    const dir = import.meta.dirname;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'cli.ts',
    );
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
      for (const m of text.matchAll(/['"`]((?:TIER_ASSIST|ANTHROPIC|OPENAI)_[A-Z0-9_]+|REDIS_URL)['"`]/g))
        names.add(m[1]!);
      for (const m of text.matchAll(/`TIER_ASSIST_\$\{upper\}_([A-Z_]+)`/g))
        for (const tier of ['MID', 'FRONTIER']) names.add(`TIER_ASSIST_${tier}_${m[1]!}`);
    }
    expect(names.size).toBeGreaterThan(10);
    const listed = new Set(ENVIRONMENT.map(([name]) => name));
    expect([...names].filter((name) => !listed.has(name))).toEqual([]);
  });

  it('flags win over env, env over defaults', () => {
    expect(parseCli([], {})).toEqual({ kind: 'start', port: 8787, hostname: '0.0.0.0' });
    expect(parseCli([], { PORT: '9000', HOST: '127.0.0.1' })).toMatchObject({
      port: 9000,
      hostname: '127.0.0.1',
    });
    expect(parseCli(['--port', '0', '--host', '::1'], { PORT: '9000', HOST: '127.0.0.1' })).toMatchObject({
      port: 0,
      hostname: '::1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'tier-cli-'));
    const file = join(dir, 'gateway.json');
    writeFileSync(file, '{}');
    expect(parseCli(['--config', file, '--static', dir], { TIER_ASSIST_CONFIG: '/nope.json' })).toMatchObject(
      {
        configFile: file,
        staticDir: dir,
      },
    );
    expect(parseCli([], { TIER_ASSIST_CONFIG: file })).toMatchObject({ configFile: file });
  });

  it('usage mistakes come back as errors that name the flag', () => {
    const error = (argv: string[], env: Record<string, string> = {}) => {
      const action = parseCli(argv, env);
      expect(action.kind).toBe('error');
      return action.kind === 'error' ? action.message : '';
    };
    expect(error(['--bogus'])).toContain('--bogus');
    expect(error(['--port', 'eighty'])).toContain('--port');
    expect(error(['--port', '70000'])).toContain('65535');
    expect(error([], { PORT: '-1' })).toContain('PORT');
    expect(error(['--port'])).toContain('--port');
    expect(error(['extra'])).toContain('extra');
    expect(error(['--config', '/no/such/gateway.json'])).toContain('/no/such/gateway.json');
    expect(error([], { TIER_ASSIST_CONFIG: '/no/such.json' })).toContain('TIER_ASSIST_CONFIG');
    expect(error(['--static', CLI])).toContain('is not a folder');
  });

  it('as a process: --help exits 0, a bad flag exits 2 with what to do, a bad config file exits 1', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 60_000,
      });
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: tier-assist-gateway');
    const bad = run(['--prot', '80']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--prot'");
    expect(bad.stderr).toContain('tier-assist-gateway --help');
    const dir = mkdtempSync(join(tmpdir(), 'tier-cli-'));
    const file = join(dir, 'gateway.json');
    writeFileSync(file, '{"sites": [{"id": "shop"}]}');
    const invalid = run(['--config', file, '--port', '0']);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/sites/);
  });
});
