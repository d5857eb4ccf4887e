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

  it('the small tier: off by default, naming TIER_ASSIST_SMALL_BASE_URL', () => {
    const { tiers } = loadConfig({}, { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'sk-vendor' });
    expect(isResolved(tiers.small)).toBe(false);
    if (!isResolved(tiers.small)) expect(tiers.small.setting).toBe('TIER_ASSIST_SMALL_BASE_URL');
  });

  it('the small tier from env: base URL, model, its own key (never OPENAI_API_KEY) and price', () => {
    const { tiers } = loadConfig(
      {},
      {
        OPENAI_API_KEY: 'sk-vendor',
        TIER_ASSIST_SMALL_BASE_URL: 'http://127.0.0.1:8080/v1/',
        TIER_ASSIST_SMALL_MODEL: 'llama-3.2-1b',
        TIER_ASSIST_SMALL_PRICE_INPUT: '0.02',
        TIER_ASSIST_SMALL_PRICE_OUTPUT: '0.04',
      },
    );
    expect(tiers.small).toMatchObject({
      tier: 'small',
      provider: 'openai',
      model: 'llama-3.2-1b',
      baseUrl: 'http://127.0.0.1:8080/v1',
      apiKey: undefined,
    });
    if (!isResolved(tiers.small)) throw new Error('small should be resolved');
    expect(tiers.small.prices?.models['llama-3.2-1b']).toMatchObject({ input: 0.02, output: 0.04 });
    const keyed = loadConfig(
      {},
      {
        TIER_ASSIST_SMALL_BASE_URL: 'http://vllm:8000/v1',
        TIER_ASSIST_SMALL_MODEL: 'm',
        TIER_ASSIST_SMALL_API_KEY: 'vllm-key',
      },
    );
    expect(keyed.tiers.small).toMatchObject({ apiKey: 'vllm-key' });
  });

  it('a small tier without a model, or with a bad price, is a ConfigError naming the setting', () => {
    const missingModel = () => loadConfig({}, { TIER_ASSIST_SMALL_BASE_URL: 'http://127.0.0.1:8080/v1' });
    expect(missingModel).toThrow(ConfigError);
    expect(missingModel).toThrow(/TIER_ASSIST_SMALL_MODEL/);
    const badPrice = () =>
      loadConfig(
        {},
        {
          TIER_ASSIST_SMALL_BASE_URL: 'http://127.0.0.1:8080/v1',
          TIER_ASSIST_SMALL_MODEL: 'm',
          TIER_ASSIST_SMALL_PRICE_INPUT: 'cheap',
        },
      );
    expect(badPrice).toThrow(ConfigError);
    try {
      badPrice();
    } catch (error) {
      expect((error as ConfigError).data?.field).toBe('TIER_ASSIST_SMALL_PRICE_INPUT');
    }
    expect(() => loadConfig({ tiers: { small: { model: 'm' } } }, {})).toThrow(ConfigError);
  });

  it('docs/gateway.example.json is a valid config', () => {
    const file: unknown = JSON.parse(
      readFileSync(new URL('../../docs/gateway.example.json', import.meta.url), 'utf8'),
    );
    const { config, tiers } = loadConfig(file, { ANTHROPIC_API_KEY: 'k' });
    expect(config.sites[0]!.dailyBudgetUsd).toBe(5);
    expect(isResolved(tiers.frontier)).toBe(true);
    expect(tiers.small).toMatchObject({ model: 'llama3.2:1b', baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(config.auto.quality).toBe(0.5);
  });
});
