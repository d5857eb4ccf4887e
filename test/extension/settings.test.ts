import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import {
  applyPatch,
  defaultSettings,
  migrate,
  SETTINGS_VERSION,
  siteEnabled,
} from '../../extension/settings.ts';

describe('extension settings', () => {
  it('starts from defaults when nothing is stored', () => {
    expect(migrate(undefined)).toEqual(defaultSettings());
    expect(defaultSettings().autocomplete.debounceMs).toBe(250);
    expect(defaultSettings().model.downloadAllowed).toBe(false);
  });

  it('upgrades version 2: a self-hosted model counts as chosen, the default does not', () => {
    const v2 = {
      ...defaultSettings(),
      version: 2,
      model: { id: 'x', customUrl: 'https://m.example/a.gguf' },
    };
    expect(migrate(v2).model).toEqual({
      id: 'x',
      customUrl: 'https://m.example/a.gguf',
      downloadAllowed: true,
    });
    const plain = { ...defaultSettings(), version: 2, model: { id: 'x', customUrl: '' } };
    expect(migrate(plain).model.downloadAllowed).toBe(false);
  });

  it('upgrades version 1 step by step', () => {
    const upgraded = migrate({
      version: 1,
      gatewayUrl: 'https://gw.example.com',
      gatewayToken: 't',
      debounce: 400,
      disabledHosts: ['mail.example.com'],
    });
    expect(upgraded.version).toBe(SETTINGS_VERSION);
    expect(upgraded.gateway).toEqual({ url: 'https://gw.example.com', token: 't' });
    expect(upgraded.autocomplete.debounceMs).toBe(400);
    expect(upgraded.disabledSites).toEqual(['https://mail.example.com']);
    expect(upgraded.model.downloadAllowed).toBe(false);
  });

  it('rejects an invalid gateway URL with the field named, leaving the input untouched', () => {
    const current = defaultSettings();
    const before = structuredClone(current);
    let error: unknown;
    try {
      applyPatch(current, { gateway: { url: 'not a url' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).data?.field).toBe('gateway.url');
    expect(current).toEqual(before);
  });

  it('merges a partial patch section by section', () => {
    const next = applyPatch(defaultSettings(), { gateway: { url: 'http://127.0.0.1:8787' }, quality: 0.8 });
    expect(next.gateway).toEqual({ url: 'http://127.0.0.1:8787', token: '' });
    expect(next.quality).toBe(0.8);
    expect(next.autocomplete).toEqual(defaultSettings().autocomplete);
  });

  it('rejects out-of-range debounce and non-GGUF model URLs', () => {
    expect(() => applyPatch(defaultSettings(), { autocomplete: { debounceMs: 5 } })).toThrow(ConfigError);
    expect(() =>
      applyPatch(defaultSettings(), { model: { customUrl: 'https://x.example/model.bin' } }),
    ).toThrow(ConfigError);
  });

  it('switches suggestions off per site', () => {
    const s = applyPatch(defaultSettings(), { disabledSites: ['https://a.example'] });
    expect(siteEnabled(s, 'https://a.example')).toBe(false);
    expect(siteEnabled(s, 'https://b.example')).toBe(true);
  });
});
