/**
 * <tier-triage> end to end in real Chromium on the demo page (public/triage.html, built components in
 * dist/components: `npm run build:components` first), with the wasm engine running a generated tiny
 * llama GGUF as the on-device model and the real gateway app in front of the provider stand-in.
 * The tiny model cannot write triage JSON, so every on-device answer is invalid: it must be retried,
 * then escalated to the mid tier, and never shown as a result.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { TINY_REPLY, makeTinyLlamaGguf } from '../support/gguf.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const MID_ANSWER = JSON.stringify({
  category: 'cancel_order',
  priority: 'high',
  sentiment: 'negative',
  language: 'en',
  summary: 'Customer wants to cancel an order placed by mistake.',
  reply: 'Sorry about that, we have cancelled the order and you will not be charged.',
});

const TINY = makeTinyLlamaGguf();

let upstream: Upstream;
let broken: Upstream;
let gateway: RunningGateway;
let brokenGateway: RunningGateway;
let browser: Browser;

beforeAll(async () => {
  upstream = await startUpstream({ reply: MID_ANSWER });
  broken = await startUpstream({ reply: 'Sure! Here is what I think about this ticket.' });
  // The real gateway (in this process) serving public/ and dist/components, in front of each stand-in.
  [gateway, brokenGateway] = await Promise.all([
    startGateway({ upstream, mode: 'in-process' }),
    startGateway({ upstream: broken, mode: 'in-process' }),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), brokenGateway?.stop()]);
  await Promise.all([upstream?.close(), broken?.close()]);
});

async function open(base: string, store: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  // The generated model is served on the gateway's origin, like a self-hosted model.
  await page.route(`${base}/e2e/tiny.gguf`, (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(TINY.byteLength) },
      body: route.request().method() === 'HEAD' ? '' : Buffer.from(TINY),
    }),
  );
  await page.goto(
    `${base}/triage.html?${new URLSearchParams({ model: '/e2e/tiny.gguf', gateway: '/', 'store-name': store })}`,
  );
  await page.getByText('Starter model loaded').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Use on-device model' }).click();
  await page.getByText('On-device model ready').waitFor({ timeout: 60_000 });
  return page;
}

async function triage(page: Page, text: string): Promise<void> {
  const input = page.getByRole('textbox', { name: 'Ticket' });
  await input.fill(text);
  await page.getByRole('button', { name: 'Triage', exact: true }).click();
}

const events = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { triageEvents: { type: string; detail: Record<string, unknown> }[] })
        .triageEvents,
  );

describe('<tier-triage> end to end (wasm engine on a tiny GGUF, real gateway, provider stand-in)', () => {
  it('invalid JSON from the on-device model is retried, then escalated to the mid tier; never shown', async () => {
    const before = upstream.requests.length;
    const page = await open(gateway.url, 'e2e-escalate');
    await triage(page, 'I ordered the wrong size by mistake, please cancel my order before it ships!');
    await page.locator('tier-triage [part~="fields"]').waitFor({ timeout: 90_000 });
    const [result] = (await events(page)).filter((e) => e.type === 'tier-triage-result');
    const detail = result!.detail as {
      fields: Record<string, { value: string; source: string }>;
      escalated: string[];
      notes: string[];
    };
    expect(detail.notes.join(' ')).toMatch(/did not produce valid triage JSON \(retried once\)/);
    expect(detail.escalated).toEqual(['category', 'priority', 'sentiment', 'language', 'summary', 'reply']);
    expect(detail.fields.priority).toMatchObject({ value: 'high', source: 'gateway' });
    expect(detail.fields.category!.value).toBe('cancel_order');
    expect(await page.locator('tier-triage [part~="tags"]').textContent()).toContain('priority__high');
    // the stand-in got the triage request with the classifier's candidates and the label set
    const sent = upstream.requests.slice(before).map((r) => JSON.stringify(r.body));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent[0]).toContain('A classifier suggests these categories');
    // nothing the tiny model wrote reaches the page
    const shown = await page.locator('tier-triage').evaluate((el) => el.shadowRoot!.textContent ?? '');
    expect(shown).not.toContain(TINY_REPLY.slice(0, 12));
    await page.close();
  });

  it('when the mid tier also answers with invalid JSON, nothing is shown and the agent is told', async () => {
    const before = broken.requests.length;
    const page = await open(brokenGateway.url, 'e2e-broken');
    await triage(page, 'My package never arrived and nobody answers my emails');
    await page
      .locator('tier-triage [part~="message"]', { hasText: 'nothing is shown' })
      .waitFor({ timeout: 90_000 });
    expect(broken.requests.length - before).toBe(2); // one retry at the gateway too
    expect(await page.locator('tier-triage [part~="fields"]').count()).toBe(0);
    const all = await events(page);
    expect(all.filter((e) => e.type === 'tier-triage-result')).toEqual([]);
    expect(all.filter((e) => e.type === 'tier-triage-error').map((e) => e.detail.code)).toEqual([
      'invalid_output',
    ]);
    // the ticket is still in the box for another try
    expect(await page.getByRole('textbox', { name: 'Ticket' }).inputValue()).toContain(
      'package never arrived',
    );
    await page.close();
  });
  it('a keyboard correction is learnt at once and survives a real page reload (IndexedDB)', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('[page error]', error.message));
    const url = `${gateway.url}/triage.html?store-name=e2e-reload`;
    await page.goto(url);
    await page.getByText('Starter model loaded').waitFor({ timeout: 30_000 });
    const ticket = 'The courier says my parcel was delivered but it is not here';
    await triage(page, ticket);
    const category = page.getByRole('combobox', { name: 'Category' });
    await category.waitFor();
    const before = await category.inputValue();
    const target = before === 'complaint' ? 'track_order' : 'complaint';
    await category.focus();
    await category.selectOption(target); // keyboard-operable native select
    await page.getByText(`Saved "${target}"`).waitFor();
    await triage(page, ticket);
    await expect.poll(() => page.getByRole('combobox', { name: 'Category' }).inputValue()).toBe(target);
    await page.reload();
    await page.getByText("Your team's model is loaded").waitFor({ timeout: 30_000 });
    await triage(page, ticket);
    await expect.poll(() => page.getByRole('combobox', { name: 'Category' }).inputValue()).toBe(target);
    await page.close();
  });
});
