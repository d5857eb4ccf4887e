import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { isResolved, loadConfig } from './config.ts';

describe('gateway config', () => {
  it('with nothing set, both tiers are missing and name ANTHROPIC_API_KEY', () => {
    const { config, tiers } = loadConfig({}, {});
    expect(config.sites).toEqual([]);
    expect(config.limits.bodyBytes).toBe(1_048_576);
    for (const t of [tiers.mid, tiers.frontier]) {
      expect(isResolved(t)).toBe(false);
      if (!isResolved(t)) expect(t.setting).toBe('ANTHROPIC_API_KEY');
    }
  });

  it('ANTHROPIC_API_KEY alone maps mid/frontier to Haiku/Sonnet on api.anthropic.com', () => {
    const { tiers } = loadConfig({}, { ANTHROPIC_API_KEY: 'sk-ant' });
    expect(tiers.mid).toMatchObject({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      baseUrl: 'https://api.anthropic.com',
      apiKey: 'sk-ant',
    });
    expect(tiers.frontier).toMatchObject({ model: 'claude-sonnet-4-5' });
  });

  it('OPENAI_BASE_URL alone serves a keyless OpenAI-compatible server, models from env', () => {
    const { tiers } = loadConfig(
      {},
      { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1/', TIER_ASSIST_MID_MODEL: 'llama3.1:8b' },
    );
    expect(tiers.mid).toMatchObject({
      provider: 'openai',
      model: 'llama3.1:8b',
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: undefined,
    });
  });

  it('a tier in the file without its key names the env variable to set', () => {
    const { tiers } = loadConfig({ tiers: { frontier: { provider: 'openai', model: 'gpt-5' } } }, {});
    expect(isResolved(tiers.frontier)).toBe(false);
    if (!isResolved(tiers.frontier)) expect(tiers.frontier.setting).toBe('OPENAI_API_KEY');
    const custom = loadConfig(
      { tiers: { frontier: { provider: 'anthropic', model: 'x', apiKeyEnv: 'MY_KEY' } } },
      { MY_KEY: 'k' },
    );
    expect(custom.tiers.frontier).toMatchObject({ apiKey: 'k' });
  });

  it('REDIS_URL and TIER_ASSIST_USAGE_LOG fill in store and log when the file does not set them', () => {
    const { config } = loadConfig({}, { REDIS_URL: 'redis://r:6379', TIER_ASSIST_USAGE_LOG: '/tmp/u.jsonl' });
    expect(config.store).toEqual({ kind: 'redis', url: 'redis://r:6379', prefix: 'ta:' });
    expect(config.usageLog).toEqual({ kind: 'file', path: '/tmp/u.jsonl' });
  });

  it('rejects a bad file with a ConfigError naming the field', () => {
    expect(() => loadConfig({ sites: [{ id: 'x', origins: ['https://a'], secret: 'short' }] }, {})).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ sites: [{ id: 'x', origins: ['https://a'], secret: 'short' }] }, {});
    } catch (error) {
      expect((error as ConfigError).data?.field).toBe('sites.0.secret');
    }
  });

  it('docs/gateway.example.json is a valid config', () => {
    const file: unknown = JSON.parse(
      readFileSync(new URL('../../docs/gateway.example.json', import.meta.url), 'utf8'),
    );
    const { config, tiers } = loadConfig(file, { ANTHROPIC_API_KEY: 'k' });
    expect(config.sites[0]!.dailyBudgetUsd).toBe(5);
    expect(isResolved(tiers.frontier)).toBe(true);
  });
});
