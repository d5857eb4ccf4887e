import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { LocalEngineProvider, LocalModelProbe } from '../../src/assist/types.ts';
import type { ChatMessage, GenerateOptions, GenerateResult, LocalEngine } from '../../src/engines/types.ts';
import { redactPii } from '../../src/privacy/index.ts';
import { DeviceLostError } from '../../src/errors.ts';
import { createTextChannel as createChannel } from '../../src/engines/stream.ts';
import { renderMarkdown } from '../shared/markdown.ts';
import './tier-assist.ts';
import type { TierAssist } from './tier-assist.ts';

const elements: HTMLElement[] = [];
let keyCounter = 0;
afterEach(async () => {
  for (const el of elements.splice(0)) {
    await (el as TierAssist).clear?.();
    el.remove();
  }
});

/** A LocalEngine double that streams `reply` in small pieces (`delayMs` apart). */
function fakeEngine(reply: () => string, delayMs = 2): LocalEngine & { seen: ChatMessage[][] } {
  const seen: ChatMessage[][] = [];
  return {
    seen,
    capabilities: { kind: 'wasm', jsonSchema: false, logprobs: false, completion: true, gpu: false },
    model: { id: 'fake', label: 'Fake 1B', sizeBytes: 1000, memoryBytes: 1, engine: 'wasm' },
    load: async () => undefined,
    unload: async () => undefined,
    complete: () => {
      throw new Error('unused');
    },
    chat(messages: ChatMessage[], opts: GenerateOptions = {}) {
      seen.push(messages);
      const ch = createChannel<GenerateResult>();
      const text = reply();
      void (async () => {
        let out = '';
        for (const piece of text.match(/[\s\S]{1,4}/g) ?? []) {
          await new Promise((r) => setTimeout(r, delayMs));
          if (opts.signal?.aborted) break;
          out += piece;
          ch.push(piece);
        }
        ch.finish({
          text: out,
          finishReason: opts.signal?.aborted ? 'abort' : 'stop',
          usage: { promptTokens: 5, completionTokens: 5 },
          timings: { ttftMs: 1, totalMs: 2, decodeTokPerSec: 100 },
          model: 'fake',
        });
      })();
      return ch.stream;
    },
  };
}

function fakeProvider(
  engine: LocalEngine,
  probe: Partial<LocalModelProbe> = {},
): LocalEngineProvider & { loads: number } {
  const provider = {
    loads: 0,
    async probe(): Promise<LocalModelProbe> {
      return {
        ok: true,
        verdict: 'This device can run Fake 1B.',
        model: engine.model!,
        engine: 'wasm',
        rejected: [],
        cached: false,
        ...probe,
      };
    },
    async load(_p: LocalModelProbe, options: { onProgress?: (p: never) => void; signal?: AbortSignal } = {}) {
      provider.loads += 1;
      for (const loaded of [250, 500, 1000]) {
        await new Promise((r) => setTimeout(r, 5));
        options.onProgress?.({
          phase: 'download',
          loadedBytes: loaded,
          totalBytes: 1000,
          fromCache: false,
        } as never);
      }
      return engine;
    },
  };
  return provider;
}

async function mount(
  attrs: Record<string, string> = {},
  provider?: LocalEngineProvider,
): Promise<TierAssist> {
  const el = document.createElement('tier-assist');
  el.setAttribute('conversation-key', `test-${Date.now()}-${keyCounter++}`);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (provider) el.engineProvider = provider;
  document.body.append(el);
  elements.push(el);
  await el.updateComplete;
  await el.conversationReady;
  return el;
}

const $ = <T extends Element = HTMLElement>(el: TierAssist, sel: string) =>
  el.shadowRoot!.querySelector<T>(sel);
const text = (el: TierAssist) => el.shadowRoot!.textContent ?? '';

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function makeReady(el: TierAssist): Promise<void> {
  $<HTMLButtonElement>(el, '.engine button')!.click();
  await until(() => $(el, '[part~="consent-button"]') !== null, 'consent button');
  $<HTMLButtonElement>(el, '[part~="consent-button"]')!.click();
  await until(() => el.engine.state.status === 'ready', 'engine ready');
  await el.updateComplete;
}

async function send(el: TierAssist, value: string): Promise<void> {
  const input = $<HTMLTextAreaElement>(el, 'textarea')!;
  input.focus();
  await userEvent.keyboard(value);
  await userEvent.keyboard('{Enter}');
}

describe('<tier-assist> rendering and attributes', () => {
  it('renders a labelled prompt box, the device panel and no errors by default', async () => {
    const el = await mount({ placeholder: 'How can we help?' });
    const input = $<HTMLTextAreaElement>(el, 'textarea')!;
    expect(input.placeholder).toBe('How can we help?');
    expect($(el, 'label[for="prompt"]')?.textContent).toContain('Your question');
    expect($(el, '[part~="log"]')?.getAttribute('aria-live')).toBe('polite');
    expect(text(el)).toContain('Check this device');
    expect($(el, '[part~="error"]')).toBeNull();
  });

  it('names the attribute in a visible error and a tier-error event, and recovers when fixed', async () => {
    const errors: CustomEvent[] = [];
    const el = document.createElement('tier-assist');
    el.addEventListener('tier-error', (e) => errors.push(e));
    el.setAttribute('quality', '2');
    el.setAttribute('privacy', 'sometimes');
    el.setAttribute('tiers', 'local,huge');
    el.setAttribute('gateway', 'ftp://example.com');
    document.body.append(el);
    elements.push(el);
    await el.updateComplete;
    const shown = $(el, '[part~="error"]')!.textContent!;
    for (const name of ['quality', 'privacy', 'tiers', 'gateway']) expect(shown).toContain(`"${name}"`);
    expect(errors.map((e) => (e.detail as { attribute: string }).attribute).sort()).toEqual([
      'gateway',
      'privacy',
      'quality',
      'tiers',
    ]);
    expect(errors.every((e) => e.detail.code === 'config_invalid' && e.bubbles && e.composed)).toBe(true);
    el.setAttribute('quality', '0.8');
    el.setAttribute('privacy', 'local-only');
    el.setAttribute('tiers', 'local mid');
    el.setAttribute('gateway', '/');
    await el.updateComplete;
    expect($(el, '[part~="error"]')).toBeNull();
    expect(el.settings).toMatchObject({
      quality: 0.8,
      privacy: 'local-only',
      tiers: ['local', 'mid'],
      gateway: '/',
    });
  });

  it('hides the device panel when the site allows no local tier', async () => {
    const el = await mount({ tiers: 'mid,frontier' });
    expect($(el, '[part~="engine"]')).toBeNull();
  });
});

describe('<tier-assist> on-device answers, events and keyboard', () => {
  it('asks consent before any download, shows progress, then answers on-device with a badge', async () => {
    const engine = fakeEngine(() => 'Tap **Cards** then *Freeze*.');
    const provider = fakeProvider(engine);
    const el = await mount({}, provider);
    const events: string[] = [];
    const progress: number[] = [];
    for (const type of ['tier-route', 'tier-response', 'tier-escalate', 'tier-error'] as const) {
      el.addEventListener(type, () => events.push(type));
    }
    el.addEventListener('tier-model-progress', (e) => progress.push(e.detail.loadedBytes));
    $<HTMLButtonElement>(el, '.engine button')!.click();
    await until(() => $(el, '[part~="consent-button"]') !== null, 'consent');
    expect(provider.loads).toBe(0);
    expect(text(el)).toContain('1.0 KB download');
    $<HTMLButtonElement>(el, '[part~="consent-button"]')!.click();
    await until(() => el.engine.state.status === 'ready', 'ready');
    expect(progress).toEqual([250, 500, 1000]);

    await send(el, 'How do I freeze my card?');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    const badge = $(el, '[part~="badge"]')!;
    expect(badge.dataset.tier).toBe('local');
    expect(badge.textContent).toContain('On-device');
    expect(badge.textContent).toContain('on-device, free');
    expect(badge.textContent).toContain('Fake 1B');
    expect($(el, '[part~="answer"] strong')?.textContent).toBe('Cards');
    expect(events).toEqual(['tier-route', 'tier-response']);
    expect(engine.seen[0]!.at(-1)).toEqual({ role: 'user', content: 'How do I freeze my card?' });
  });

  it('cancelling the download keeps nothing loaded and offers the consent button again', async () => {
    const engine = fakeEngine(() => 'never');
    let aborted = false;
    const provider: LocalEngineProvider = {
      probe: fakeProvider(engine).probe,
      load: (_p, options = {}) =>
        new Promise((_resolve, reject) => {
          options.onProgress?.({ phase: 'download', loadedBytes: 100, totalBytes: 1000, fromCache: false });
          options.signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          });
        }),
    };
    const el = await mount({}, provider);
    $<HTMLButtonElement>(el, '.engine button')!.click();
    await until(() => $(el, '[part~="consent-button"]') !== null, 'consent');
    $<HTMLButtonElement>(el, '[part~="consent-button"]')!.click();
    await until(() => $(el, '[part~="progress"]') !== null, 'progress bar');
    await el.updateComplete;
    expect($(el, '[part~="engine"]')!.textContent!.replace(/\s+/g, ' ')).toContain('100 B of 1.0 KB');
    [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('.engine button')]
      .find((b) => b.textContent?.includes('Cancel'))!
      .click();
    await until(() => el.engine.state.status === 'consent', 'back to consent');
    expect(aborted).toBe(true);
    expect(el.engine.engine).toBeUndefined();
  });

  it('sends the system-prompt attribute to the model', async () => {
    const engine = fakeEngine(() => 'ok');
    const el = await mount(
      { 'system-prompt': 'You are the Northwind Bank assistant.' },
      fakeProvider(engine),
    );
    await makeReady(el);
    await send(el, 'hello');
    await until(() => !el.busy && el.turns.length === 2, 'answer');
    expect(engine.seen[0]![0]).toEqual({ role: 'system', content: 'You are the Northwind Bank assistant.' });
  });

  it('Shift+Enter adds a new line, Enter sends, Escape stops a streaming answer', async () => {
    const engine = fakeEngine(() => 'word '.repeat(400), 10);
    const el = await mount({}, fakeProvider(engine));
    await makeReady(el);
    const input = $<HTMLTextAreaElement>(el, 'textarea')!;
    input.focus();
    await userEvent.keyboard('first{Shift>}{Enter}{/Shift}second');
    expect(input.value).toBe('first\nsecond');
    expect(el.busy).toBe(false);
    await userEvent.keyboard('{Enter}');
    expect(input.value).toBe('');
    await until(() => (el.streaming?.text.length ?? 0) > 8, 'streaming');
    expect($(el, '[part~="stop-button"]')).not.toBeNull();
    await userEvent.keyboard('{Escape}');
    await until(() => !el.busy, 'stopped');
    const last = el.turns.at(-1)!;
    expect(last.stopped).toBe(true);
    expect(last.text.length).toBeLessThan('word '.repeat(400).length);
    expect(text(el)).toContain('Stopped.');
  });

  it('the stop button aborts the request', async () => {
    const el = await mount({}, fakeProvider(fakeEngine(() => 'x '.repeat(500), 10)));
    await makeReady(el);
    await send(el, 'long please');
    await until(
      () => $(el, '[part~="stop-button"]') !== null && (el.streaming?.text.length ?? 0) > 0,
      'stop button',
    );
    $<HTMLButtonElement>(el, '[part~="stop-button"]')!.click();
    await until(() => !el.busy, 'aborted');
    expect(el.turns.at(-1)!.stopped).toBe(true);
  });

  it('fires a cancelable tier-escalate; a veto keeps the on-device answer with a note', async () => {
    const el = await mount(
      { gateway: 'http://127.0.0.1:9' },
      fakeProvider(fakeEngine(() => "I don't know.")),
    );
    await makeReady(el);
    const seen: string[] = [];
    el.addEventListener('tier-escalate', (e) => {
      seen.push(`${e.detail.from}->${e.detail.to}`);
      expect(e.cancelable).toBe(true);
      e.preventDefault();
    });
    el.addEventListener('tier-after-escalate', () => seen.push('after'));
    await send(el, 'What is the wire transfer limit for business accounts?');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    expect(seen).toEqual(['local->mid']);
    expect($(el, '[part~="badge"]')!.dataset.tier).toBe('local');
    expect(text(el)).toMatch(/page kept this answer/);
  });

  it('an escalation whose gateway is down falls back to the on-device answer with a note', async () => {
    const el = await mount(
      { gateway: 'http://127.0.0.1:9' },
      fakeProvider(fakeEngine(() => "I don't know.")),
    );
    await makeReady(el);
    const after: unknown[] = [];
    el.addEventListener('tier-after-escalate', (e) => after.push(e.detail));
    await send(el, 'What is the wire transfer limit for business accounts?');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge', 10_000);
    expect(after).toHaveLength(1);
    expect($(el, '[part~="badge"]')!.dataset.tier).toBe('local');
    expect($(el, '[part~="note"]')!.textContent).toMatch(/Could not reach the gateway/);
  });

  it('after the device is lost, that answer comes from a fallback and the next request reloads the model', async () => {
    const engine = fakeEngine(() => 'Back on the device.');
    let failNext = true;
    const chat = engine.chat.bind(engine);
    engine.chat = (messages, opts) => {
      if (!failNext) return chat(messages, opts);
      failNext = false;
      const ch = createChannel<GenerateResult>();
      ch.fail(new DeviceLostError());
      return ch.stream;
    };
    const provider = fakeProvider(engine);
    const el = await mount({ gateway: 'http://127.0.0.1:9', quality: '0' }, provider);
    await makeReady(el);
    await send(el, 'thanks!');
    await until(() => !el.busy && el.turns.length === 2, 'first answer', 10_000);
    expect(el.turns[1]!.error).toMatch(/gateway/);
    expect(el.engine.state.status).toBe('error');
    await send(el, 'thanks again!');
    await until(() => !el.busy && el.turns.length === 4, 'second answer', 10_000);
    expect(provider.loads).toBe(2);
    expect(el.turns[3]).toMatchObject({ text: 'Back on the device.', badge: { tier: 'local' } });
  });

  it('keeps personal data on the device under privacy="local-only"', async () => {
    const engine = fakeEngine(() => 'We updated it.');
    const el = await mount(
      { privacy: 'local-only', gateway: 'http://127.0.0.1:9', quality: '1' },
      fakeProvider(engine),
    );
    await makeReady(el);
    const routes: string[][] = [];
    el.addEventListener('tier-route', (e) => routes.push(e.detail.decision.flags));
    await send(el, 'Change my e-mail to ann@example.com and explain compound interest in detail with proofs');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    expect(routes[0]).toContain('pii-local-only');
    expect($(el, '[part~="badge"]')!.dataset.tier).toBe('local');
    expect(engine.seen[0]!.at(-1)!.content).toContain('ann@example.com');
  });

  it('without a device model and without a gateway it says what to add', async () => {
    const el = await mount(
      { tiers: 'local,mid' },
      fakeProvider(
        fakeEngine(() => ''),
        { ok: false, verdict: 'no WebGPU and no WebAssembly model fits.' },
      ),
    );
    $<HTMLButtonElement>(el, '.engine button')!.click();
    await until(() => el.engine.state.status === 'unsupported', 'unsupported');
    await el.updateComplete;
    expect($(el, '[part~="engine"]')!.textContent).toContain('cannot run an on-device model');
    const errors: string[] = [];
    el.addEventListener('tier-error', (e) => errors.push(e.detail.code));
    await send(el, 'hello there');
    await until(() => !el.busy && el.turns.length === 2, 'answer');
    expect($(el, '.error')!.textContent).toMatch(/gateway attribute/);
    expect(errors).toEqual(['engine_unavailable']);
  });
});

describe('<tier-assist> keyboard-only use and the answer actions', () => {
  it('Tab moves through the controls in order, all reachable without a mouse', async () => {
    const el = await mount({}, fakeProvider(fakeEngine(() => 'ok')));
    const order: string[] = [];
    $<HTMLButtonElement>(el, '[part~="clear-button"]')!.disabled = false;
    ($(el, '.engine button') as HTMLButtonElement).focus();
    for (let i = 0; i < 4; i += 1) {
      const active = el.shadowRoot!.activeElement as HTMLElement | null;
      order.push(active?.getAttribute('part') ?? active?.tagName.toLowerCase() ?? 'none');
      await userEvent.keyboard('{Tab}');
    }
    expect(order).toEqual(['button', 'log', 'input', 'button send-button']);
  });

  it('keeps the newest streamed text in view in a short log', async () => {
    const el = await mount(
      {},
      fakeProvider(fakeEngine(() => Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n\n'))),
    );
    el.style.setProperty('--tier-max-height', '120px');
    await makeReady(el);
    await send(el, 'list please');
    await until(() => !el.busy && el.turns.length === 2, 'answer');
    await el.updateComplete;
    const log = $(el, '[part~="log"]')!;
    expect(log.scrollHeight).toBeGreaterThan(log.clientHeight);
    expect(log.scrollHeight - log.scrollTop - log.clientHeight).toBeLessThan(5);
  });

  it('"Ask a bigger model" re-asks the question one tier up', async () => {
    const el = await mount({ gateway: 'http://127.0.0.1:9' }, fakeProvider(fakeEngine(() => 'Fine answer.')));
    await makeReady(el);
    const decisions: { tier: string; flags: string[] }[] = [];
    const routedTexts: string[] = [];
    el.addEventListener('tier-route', (e) => {
      decisions.push(e.detail.decision);
      routedTexts.push(e.detail.text);
    });
    el.addEventListener('tier-escalate', (e) => e.preventDefault());
    await send(el, 'thanks!');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    const bigger = $<HTMLButtonElement>(el, '[part~="bigger-button"]');
    expect(bigger).not.toBeNull();
    bigger!.click();
    await until(() => decisions.length === 2 && !el.busy, 'second answer', 10_000);
    expect(decisions[1]).toMatchObject({ tier: 'mid' });
    expect(decisions[1]!.flags).toContain('user-asked-bigger');
    // The question is not repeated in the conversation: one user turn, two answers.
    expect(el.turns.filter((t) => t.role === 'user')).toHaveLength(1);
    expect(el.turns).toHaveLength(3);
    expect(routedTexts).toEqual(['thanks!', 'thanks!']);
  });
});

describe('<tier-assist> conversation persistence', () => {
  it('restores the conversation across a reload (same key) and clears it', async () => {
    const key = `persist-${Date.now()}`;
    const first = await mount({ 'conversation-key': key }, fakeProvider(fakeEngine(() => 'Saved answer.')));
    await makeReady(first);
    await send(first, 'remember me');
    await until(() => first.turns.length === 2 && !first.busy, 'answer');
    first.remove();
    elements.splice(elements.indexOf(first), 1);
    await new Promise((r) => setTimeout(r, 50));

    const second = await mount({ 'conversation-key': key });
    await until(() => second.turns.length === 2, 'restored');
    await second.updateComplete;
    expect(text(second)).toContain('remember me');
    expect(text(second)).toContain('Saved answer.');
    expect($(second, '[part~="badge"]')!.dataset.tier).toBe('local');
    $<HTMLButtonElement>(second, '[part~="clear-button"]')!.click();
    await until(() => second.turns.length === 0, 'cleared');
    second.remove();
    elements.splice(elements.indexOf(second), 1);
    const third = await mount({ 'conversation-key': key });
    await new Promise((r) => setTimeout(r, 50));
    expect(third.turns).toEqual([]);
  });
});

describe('<tier-assist> stored conversations are parsed, not trusted', () => {
  it('ignores a stored record that does not match the schema', async () => {
    const key = `corrupt-${Date.now()}`;
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('tier-assist', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('conversations', { keyPath: 'key' });
      open.onsuccess = () => {
        const tx = open.result.transaction('conversations', 'readwrite');
        tx.objectStore('conversations').put({
          key,
          version: 1,
          turns: [{ role: 'system', text: '<img src=x onerror=alert(1)>' }],
        });
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    });
    const el = await mount({ 'conversation-key': key });
    await new Promise((r) => setTimeout(r, 50));
    expect(el.turns).toEqual([]);
    expect($(el, 'img')).toBeNull();
  });
});

describe('<tier-assist> says which model runs where, and how fast', () => {
  /** The fake engine with the placement and speed the wasm engine reports after it ran. */
  function placed(placement: LocalEngine['placement'], speed?: LocalEngine['speed']) {
    const engine = fakeEngine(() => 'ok');
    return Object.assign(engine, {
      model: { ...engine.model!, label: 'SmolLM2 135M' },
      placement,
      speed,
    });
  }
  /** The line as a person reads it (the note on its own line). */
  const line = (el: TierAssist) =>
    $(el, '[part~="placement"]')
      ?.innerText.replace(/[ \t]+/g, ' ')
      .trim();

  it('a CPU with threads: the model, "on the CPU, 2 threads" and the measured tok/s', async () => {
    const engine = placed(
      { device: 'cpu', threads: 2, note: 'Runs on 2 CPU threads (the page is cross-origin isolated).' },
      { prefillTokPerSec: 120, decodeTokPerSec: 31.4, samples: 4 },
    );
    const el = await mount({}, fakeProvider(engine));
    await makeReady(el);
    expect(line(el)).toBe(
      'SmolLM2 135M on the CPU, 2 threads · 31 tok/s (prompt 120 tok/s, 4 runs)\nRuns on 2 CPU threads (the page is cross-origin isolated).',
    );
  });

  it('one thread: says why it is slower; before any run: that speed is not measured yet', async () => {
    const engine = placed({
      device: 'cpu',
      threads: 1,
      note: 'CPU, 1 thread: this page is not cross-origin isolated, so slower.',
    });
    const el = await mount({}, fakeProvider(engine));
    await makeReady(el);
    expect($(el, '[data-field="where"]')?.textContent).toBe('SmolLM2 135M on the CPU, 1 thread');
    expect($(el, '[data-field="speed"]')?.textContent).toMatch(/^speed not measured yet/);
    expect($(el, '[data-field="note"]')?.textContent).toContain('not cross-origin isolated, so slower');
    // The figures appear once the engine has measured them (the next render after an answer).
    engine.speed = { prefillTokPerSec: 16, decodeTokPerSec: 12, samples: 1 };
    await send(el, 'hi');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    await el.updateComplete;
    expect($(el, '[data-field="speed"]')?.textContent).toBe('12 tok/s (prompt 16 tok/s, 1 run)');
  });

  it('GPU layers: how many of the layers llama.cpp put on the GPU', async () => {
    const engine = placed({
      device: 'gpu',
      gpuLayers: 16,
      totalLayers: 16,
      note: 'All 16 layers on the GPU (WebGPU).',
    });
    const el = await mount({}, fakeProvider(engine));
    await makeReady(el);
    expect($(el, '[data-field="where"]')?.textContent).toBe(
      'SmolLM2 135M on the GPU (16 of 16 layers on the GPU)',
    );
  });

  it('a CPU run with 0 GPU layers does not list layers', async () => {
    const engine = placed({ device: 'cpu', threads: 2, gpuLayers: 0, totalLayers: 30, note: 'CPU.' });
    const el = await mount({}, fakeProvider(engine));
    await makeReady(el);
    expect($(el, '[data-field="where"]')?.textContent).toBe('SmolLM2 135M on the CPU, 2 threads');
  });

  it('an engine that reports no placement: where its capabilities say it runs', async () => {
    const el = await mount({}, fakeProvider(fakeEngine(() => 'ok')));
    await makeReady(el);
    expect($(el, '[data-field="where"]')?.textContent).toBe('Fake 1B on the CPU');
    expect($(el, '[data-field="note"]')).toBeNull();
  });
});

describe('<tier-assist> accessibility', () => {
  it('has no axe violations, idle and with an answer', async () => {
    const el = await mount(
      { gateway: '/' },
      fakeProvider(fakeEngine(() => 'A [link](https://example.com) and `code`.')),
    );
    const check = async () => {
      const result = await axe.run(el, { rules: { region: { enabled: false } } });
      expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
    };
    await check();
    await makeReady(el);
    await send(el, 'hi');
    await until(() => $(el, '[part~="badge"]') !== null, 'badge');
    await check();
  });
});

describe('privacy in the browser', () => {
  it('redacts what leaves the device and restores placeholders in a streamed answer', () => {
    const r = redactPii('I am ann@example.com, IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789.');
    expect(r.text).toBe('I am [EMAIL_1], IBAN [IBAN_1], SSN [NATIONAL_ID_1].');
    // Restoration runs over the whole buffer at every delta, so a placeholder split across deltas restores.
    const deltas = ['We wrote to [EM', 'AIL_1] and refunded [IB', 'AN_1].'];
    let buffer = '';
    const shown = deltas.map((d) => r.restore((buffer += d)));
    expect(shown.at(-1)).toBe('We wrote to ann@example.com and refunded GB82 WEST 1234 5698 7654 32.');
  });
});

describe('Markdown XSS corpus', () => {
  const corpus = [
    '<script>window.__xss = 1</script>',
    '[click](javascript:window.__xss=1)',
    '[click](JaVaScRiPt:window.__xss=1)',
    '<a href="javascript:window.__xss=1">x</a>',
    '<img src=x onerror="window.__xss=1">',
    '![remote](https://evil.example/track.png)',
    '<svg onload="window.__xss=1"><circle r=5 /></svg>',
    '<svg><script>window.__xss=1</script></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<div onclick="window.__xss=1" style="background:url(javascript:x)">hi</div>',
    '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '<form action="https://evil.example"><input name=x></form>',
  ];

  it('renders every payload harmless', async () => {
    const w = window as unknown as { __xss?: number };
    delete w.__xss;
    const host = document.createElement('div');
    document.body.append(host);
    for (const payload of corpus) {
      const html = renderMarkdown(payload);
      host.innerHTML = html;
      expect(host.querySelector('script, iframe, svg, math, form, input, style'), payload).toBeNull();
      for (const node of host.querySelectorAll('*')) {
        for (const attr of node.attributes) {
          expect(attr.name.startsWith('on'), `${payload} -> ${html}`).toBe(false);
          expect(attr.value.toLowerCase().replace(/\s/g, ''), payload).not.toMatch(/^(javascript|data:text)/);
        }
      }
      expect(host.querySelector('img[src^="http"]'), payload).toBeNull();
    }
    host.querySelectorAll('a').forEach((a) => a.click());
    await new Promise((r) => setTimeout(r, 50));
    expect(w.__xss).toBeUndefined();
    host.remove();
  });

  it('opens links in a new tab without opener or referrer', () => {
    const host = document.createElement('div');
    host.innerHTML = renderMarkdown('See [docs](https://example.com/a).');
    const a = host.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/a');
    expect(a.target).toBe('_blank');
    expect(a.rel).toBe('noopener noreferrer');
  });

  it('allows remote images only when the host opts in', () => {
    const host = document.createElement('div');
    host.innerHTML = renderMarkdown('![logo](https://example.com/l.png)', { allowRemoteImages: true });
    expect(host.querySelector('img')?.getAttribute('referrerpolicy')).toBe('no-referrer');
    host.innerHTML = renderMarkdown('![logo](https://example.com/l.png)');
    expect(host.textContent).toContain('[image: logo]');
  });
});
