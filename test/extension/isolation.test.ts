/**
 * The extension's offscreen document (the engine host) is cross-origin isolated through the manifest's
 * `cross_origin_embedder_policy` / `cross_origin_opener_policy` (docs/isolation.md), so the wasm engine
 * can run on several threads there. Built extension (`npm run build:extension` first), real Chromium.
 *
 * The offscreen document is not a Playwright page: the test reaches it over CDP (it is a
 * `background_page` target) and evaluates in it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CDPSession } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithSite, setOptions, type ExtensionWithSite } from '../support/extension.ts';
import { makeTinyLlamaGguf } from '../support/gguf.ts';

const REPLY = ' from the isolated host.';

let setup: ExtensionWithSite;

beforeAll(async () => {
  setup = await launchWithSite({ reply: REPLY });
});

afterAll(async () => {
  await setup?.close();
});

/** Sends a public-protocol message from an extension page, as the popup does. */
async function send<T>(name: string, payload: object): Promise<T> {
  const popup = await setup.ext.openPage('extension/popup/index.html');
  const answer = (await popup.evaluate(
    ([n, p]) => chrome.runtime.sendMessage({ tierAssist: 1, name: n, payload: p }),
    [name, payload] as const,
  )) as { ok: boolean; result: T; error?: unknown };
  await popup.close();
  if (!answer.ok) throw new Error(`${name} failed: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/**
 * Evaluates `expression` (awaited, returned by value) in the offscreen document, over a CDP session
 * attached to it (non-flattened: messages go through Target.sendMessageToTarget).
 */
async function evaluateInOffscreen<T>(expression: string): Promise<T> {
  const page = setup.ext.context.pages()[0] ?? (await setup.ext.context.newPage());
  const cdp: CDPSession = await setup.ext.context.newCDPSession(page);
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const host = targetInfos.find((t) => t.url.endsWith('/extension/offscreen/index.html'));
    if (!host) throw new Error('no offscreen document is open');
    const { sessionId } = await cdp.send('Target.attachToTarget', {
      targetId: host.targetId,
      flatten: false,
    });
    type Reply = { id?: number; result?: { result: { value?: unknown }; exceptionDetails?: unknown } };
    const reply = new Promise<Reply>((resolve) =>
      cdp.on('Target.receivedMessageFromTarget', (event) => {
        const message = JSON.parse(event.message) as Reply;
        if (message.id === 1) resolve(message);
      }),
    );
    await cdp.send('Target.sendMessageToTarget', {
      sessionId,
      message: JSON.stringify({
        id: 1,
        method: 'Runtime.evaluate',
        params: { expression, awaitPromise: true, returnByValue: true },
      }),
    });
    const { result } = await reply;
    if (!result || result.exceptionDetails)
      throw new Error(`evaluation failed in the offscreen document: ${JSON.stringify(result)}`);
    return result.result.value as T;
  } finally {
    await cdp.detach();
  }
}

describe('the offscreen engine host is cross-origin isolated', () => {
  it('loads the model from an http URL and generates on 2+ threads, in an isolated document', async () => {
    const status = await send<{ state: string; kind: string; problems: string[] }>('load', {});
    expect(status).toMatchObject({ state: 'ready', kind: 'wasm', problems: [] });
    const job = await send<{ state: string; text: string }>('job.run', {
      kind: 'rewrite-clearer',
      text: 'Make this clearer please.',
    });
    expect(job.state).toBe('done');
    expect(job.text).toContain(REPLY.trim().slice(0, 8));
    const state = await evaluateInOffscreen<{ isolated: boolean; sharedMemory: boolean }>(
      `({ isolated: crossOriginIsolated, sharedMemory: typeof SharedArrayBuffer === 'function' })`,
    );
    expect(state).toEqual({ isolated: true, sharedMemory: true });
    // Where the host's engine ran that job, as llama.cpp reported it (the popup shows this).
    const after = await send<{ placement?: { device: string; threads?: number; note: string } }>(
      'status',
      {},
    );
    expect(after.placement?.device).toBe('cpu');
    expect(after.placement?.threads).toBeGreaterThanOrEqual(2);
  });

  it('downloads a model from a server that sends no CORS or CORP headers (host permissions)', async () => {
    const body = makeTinyLlamaGguf({ reply: ' without headers.' });
    const bare = createServer((_req, res) => {
      res
        .writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(body.byteLength),
        })
        .end(body);
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/bare.gguf`;
      expect(await setOptions(setup.ext, { modelUrl: url })).toBe('Saved.');
      const status = await send<{ state: string; model?: { id: string }; error?: string }>('load', {});
      expect(status).toMatchObject({ state: 'ready', model: { id: 'bare.gguf' } });
    } finally {
      // back to the suite's model for the tests after this one
      await setOptions(setup.ext, { modelUrl: setup.modelUrl });
      bare.closeAllConnections();
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });

  it('isolates the popup, options and side panel too, and nothing they load is blocked by it', async () => {
    for (const path of [
      'extension/popup/index.html',
      'extension/options/index.html',
      'extension/sidepanel/index.html',
    ]) {
      const page = await setup.ext.openPage(path);
      expect(await page.evaluate(() => crossOriginIsolated), path).toBe(true);
      await page.close();
    }
    // Their own behaviour is covered by their suites; here: no resource refused under COEP/COOP.
    const isolationProblems = setup.ext.problems.filter((p) =>
      /cross-origin|embedder|opener|CORP|COEP|ERR_BLOCKED|SharedArrayBuffer/i.test(p),
    );
    expect(isolationProblems).toEqual([]);
  });
});
