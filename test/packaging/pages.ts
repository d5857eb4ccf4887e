/**
 * Page checks of `npm run test:packaging`: serves one built scratch app (test/support/static-server.ts;
 * cross-origin isolated when asked) and drives it in Chromium like a visitor: the element renders,
 * answers a simple question from the generated GGUF model (wasm engine, no WebGPU), escalates a hard
 * one through the gateway started from the packed CLI (the provider stand-in answers), and the app's
 * framework handler saw `tier-route` / `tier-response` with the detail the types promise
 * (apps/shared/page-log.ts writes them to `window.tierLog`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CheckFailure } from '../../scripts/lib/packaging-checks.ts';
import { TINY_REPLY } from '../support/gguf.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import type { Upstream } from '../support/upstream.ts';

/** What the provider stand-in answers: the escalated answer must contain it. */
export const STAND_IN_REPLY = 'The packed gateway relayed this answer from the frontier stand-in.';

/** Stays on the device at quality 0.9 (the router's committed weights). */
export const SIMPLE = 'Hi!';
/** Escalates at quality 0.9: no on-device or mid score reaches 90%. */
export const COMPLEX =
  'Compare the total interest paid on a 25-year and a 30-year fixed mortgage of 300,000 at 4.5%, derive the amortisation formula step by step, and explain the trade-offs for refinancing after 7 years.';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** COOP + COEP on every response: the page gets SharedArrayBuffer, so wllama runs threads. */
const isolation = (_req: IncomingMessage, res: ServerResponse): boolean => {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  return false;
};

/** Serves every file under `dir` at its relative path (index.html at /), on its own origin. */
export async function serveApp(
  dir: string,
  options: { isolated?: boolean; rewrite?: (html: string) => string } = {},
): Promise<StaticServer> {
  const server = await startStaticServer(options.isolated ? [isolation] : []);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const url = '/' + relative(dir, path).split(sep).join('/');
    const type = TYPES[extname(entry.name)] ?? 'application/octet-stream';
    const body =
      entry.name === 'index.html' && options.rewrite
        ? options.rewrite(readFileSync(path, 'utf8'))
        : readFileSync(path);
    server.set(url, body, type);
    if (entry.name === 'index.html') server.set(url.slice(0, -'index.html'.length), body, type);
  }
  return server;
}

export interface LogEntry {
  via: string;
  type: 'tier-route' | 'tier-response';
  tier: 'local' | 'mid' | 'frontier';
  text: string;
  costUsd: number | null;
}

export interface AppRun {
  /** `window.crossOriginIsolated` of the page. */
  isolated: boolean;
  /** Text of the first answer (the simple question) and its badge's tier. */
  localAnswer: string;
  localBadge: string | null;
  /** Text of the second answer (the complex question) and its badge's tier. */
  escalatedAnswer: string;
  escalatedBadge: string | null;
  /** Requests the stand-in received while this page ran. */
  upstreamRequests: number;
  log: LogEntry[];
  pageErrors: string[];
  /** Script URLs the page loaded (the bundle page must load exactly one). */
  scripts: string[];
}

/**
 * Opens `url` and runs the visitor's path. `listen: true` attaches addEventListener handlers from the
 * harness (the plain HTML page has no script of its own to do it).
 */
export async function driveApp(
  browser: Browser,
  url: string,
  upstream: Upstream,
  options: { listen?: boolean; alsoRendered?: readonly string[] } = {},
): Promise<AppRun> {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  const scripts: string[] = [];
  // An uncaught error while the page loads (a module that cannot resolve...) fails the run at once.
  let threw: (error: Error) => void = () => undefined;
  const uncaught = new Promise<never>((_, reject) => (threw = reject));
  uncaught.catch(() => undefined);
  page.on('pageerror', (error) => {
    pageErrors.push(error.message);
    threw(new Error(`the page threw while loading: ${error.message}`));
  });
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(request.url());
  });
  try {
    await page.goto(url);
    await Promise.race([page.locator('tier-assist textarea').waitFor({ timeout: 30_000 }), uncaught]);
    if (options.listen) await listenFromHarness(page);
    for (const tag of options.alsoRendered ?? []) await rendered(page, tag);
    await downloadModel(page);
    const before = upstream.requests.length;

    await ask(page, SIMPLE);
    await answers(page, 1);
    const localAnswer = await page.locator('tier-assist [part~="answer"]').nth(0).innerText();
    const localBadge = await page.locator('tier-assist [part~="badge"]').nth(0).getAttribute('data-tier');

    await ask(page, COMPLEX);
    await answers(page, 2);
    const escalatedAnswer = await page.locator('tier-assist [part~="answer"]').nth(1).innerText();
    const escalatedBadge = await page.locator('tier-assist [part~="badge"]').nth(1).getAttribute('data-tier');

    return {
      isolated: await page.evaluate(() => window.crossOriginIsolated),
      localAnswer,
      localBadge,
      escalatedAnswer,
      escalatedBadge,
      upstreamRequests: upstream.requests.length - before,
      log: await page.evaluate(() => (window as unknown as { tierLog: LogEntry[] }).tierLog),
      pageErrors,
      scripts,
    };
  } catch (error) {
    const text = await page
      .locator('tier-assist')
      .innerText()
      .catch(() => '(no element)');
    const message = (error instanceof Error ? error.message.split('\n')[0]! : String(error)).replace(
      /\.$/,
      '',
    );
    throw new CheckFailure(
      `In Chromium: ${message}. Run with --keep and open the built app to see it.`,
      `The element showed: ${text.replace(/\s+/g, ' ').slice(0, 600)}\nPage errors: ${pageErrors.join(' | ') || 'none'}`,
    );
  } finally {
    await page.close();
  }
}

/** What apps/shared/page-log.ts does, for a page that is only the bundle. */
async function listenFromHarness(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: unknown[] = [];
    (window as unknown as { tierLog: unknown[] }).tierLog = log;
    const element = document.querySelector('tier-assist')!;
    element.addEventListener('tier-route', (event) =>
      log.push({
        via: 'addEventListener',
        type: 'tier-route',
        tier: event.detail.decision.tier,
        text: event.detail.decision.reason,
        costUsd: null,
      }),
    );
    element.addEventListener('tier-response', (event) =>
      log.push({
        via: 'addEventListener',
        type: 'tier-response',
        tier: event.detail.answer.tier,
        text: event.detail.answer.text,
        costUsd: event.detail.answer.costUsd,
      }),
    );
  });
}

/** Waits until the page's `tag` element is defined and has rendered into its shadow root. */
async function rendered(page: Page, tag: string): Promise<void> {
  try {
    await page.waitForFunction(
      (name) => {
        const element = document.querySelector(name);
        return customElements.get(name) !== undefined && (element?.shadowRoot?.childElementCount ?? 0) > 0;
      },
      tag,
      { timeout: 30_000 },
    );
  } catch {
    throw new Error(`<${tag}> was not defined or did not render`);
  }
}

async function downloadModel(page: Page): Promise<void> {
  await page.locator('tier-assist').getByRole('button', { name: 'Check this device' }).click();
  const consent = page.locator('tier-assist [part~="consent-button"]');
  await consent.waitFor({ timeout: 30_000 });
  await consent.click();
  await page.locator('tier-assist').getByText('On-device model ready').waitFor({ timeout: 90_000 });
}

async function ask(page: Page, text: string): Promise<void> {
  const input = page.locator('tier-assist').getByRole('textbox', { name: 'Your question' });
  await input.fill(text);
  await input.press('Enter');
}

/** Waits until `n` answers are complete (each complete answer carries a badge). */
async function answers(page: Page, n: number): Promise<void> {
  await page
    .locator('tier-assist [part~="badge"]')
    .nth(n - 1)
    .waitFor({ timeout: 90_000 });
}

/** Problems with one app's run, each a sentence; empty when everything a visitor should see happened. */
export function runProblems(run: AppRun, expectedVia: readonly string[]): string[] {
  const problems: string[] = [];
  if (run.localBadge !== 'local' || !run.localAnswer.includes(TINY_REPLY))
    problems.push(
      `the simple question was not answered on the device from the generated GGUF (badge ${run.localBadge}, answer "${run.localAnswer.slice(0, 80)}")`,
    );
  if (
    !['mid', 'frontier'].includes(run.escalatedBadge ?? '') ||
    !run.escalatedAnswer.includes(STAND_IN_REPLY)
  )
    problems.push(
      `the complex question did not escalate through the gateway to the stand-in (badge ${run.escalatedBadge}, answer "${run.escalatedAnswer.slice(0, 80)}")`,
    );
  if (run.upstreamRequests < 1) problems.push('the provider stand-in received no request from the gateway');
  for (const via of expectedVia) {
    const entries = run.log.filter((e) => e.via === via);
    if (entries.length === 0) problems.push(`no tier-* event reached the app's ${via} handler`);
  }
  const responses = run.log.filter((e) => e.type === 'tier-response');
  const routes = run.log.filter((e) => e.type === 'tier-route');
  const first = responses[0];
  const second = responses[1];
  if (!first || first.tier !== 'local' || !first.text.includes(TINY_REPLY) || first.costUsd !== 0)
    problems.push(`tier-response for the simple question had detail ${JSON.stringify(first)}`);
  if (
    !second ||
    !['mid', 'frontier'].includes(second.tier) ||
    !second.text.includes(STAND_IN_REPLY) ||
    typeof second.costUsd !== 'number' ||
    second.costUsd <= 0
  )
    problems.push(`tier-response for the complex question had detail ${JSON.stringify(second)}`);
  if (
    routes.length < 2 ||
    routes[0]?.tier !== 'local' ||
    !['mid', 'frontier'].includes(routes[1]?.tier ?? '')
  )
    problems.push(`tier-route events did not name local then mid/frontier: ${JSON.stringify(routes)}`);
  if (run.pageErrors.length > 0) problems.push(`the page threw: ${run.pageErrors.join(' | ')}`);
  return problems;
}
