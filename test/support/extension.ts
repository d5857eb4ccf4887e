/**
 * Drive the built extension (dist/extension) in the system Chromium with playwright-core.
 * Extensions load only in a persistent context; headless works (DESIGN.md field guide).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { CHROMIUM_ARGS, WEBGPU_ARGS, chromiumPath } from './chromium.ts';

export const EXTENSION_DIR = resolve(import.meta.dirname, '../../dist/extension');

export interface LaunchedExtension {
  context: BrowserContext;
  extensionId: string;
  profileDir: string;
  /** The running service worker (waits for one to start when none is up). */
  serviceWorker(): Promise<Worker>;
  /** Opens chrome-extension://<id>/<path> in a new page. */
  openPage(path: string): Promise<Page>;
  /** Kills every service worker through CDP, as Chrome does after 30 s idle. */
  stopServiceWorker(): Promise<void>;
  /** Console messages and page errors seen so far in extension contexts (for "no CSP violations" checks). */
  problems: string[];
  close(options?: { keepProfile?: boolean }): Promise<void>;
}

export async function launchExtension(
  options: { profileDir?: string; webgpu?: boolean } = {},
): Promise<LaunchedExtension> {
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) {
    throw new Error(`No built extension at ${EXTENSION_DIR}. Run \`npm run build:extension\` first.`);
  }
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), 'tier-assist-ext-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      ...(options.webgpu === false ? [] : WEBGPU_ARGS),
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
    ],
  });
  const problems: string[] = [];
  const watch = (page: Page) => {
    const ours = (url: string) => url.startsWith('chrome-extension://');
    page.on('console', (msg) => {
      const where = msg.location().url || page.url();
      const isProblem = msg.type() === 'error' || msg.type() === 'warning';
      // Content scripts log into the page but from chrome-extension:// sources; CSP reports name the extension.
      if (isProblem && (ours(where) || ours(page.url()) || msg.text().includes('Content Security Policy'))) {
        problems.push(`${page.url()}: ${msg.text()}`);
      }
    });
    page.on('pageerror', (error) => {
      if (ours(page.url()) || (error.stack ?? '').includes('chrome-extension://'))
        problems.push(`${page.url()}: ${error.message}`);
    });
  };
  context.on('page', watch);

  const serviceWorker = async (): Promise<Worker> => {
    const running = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
    return running ?? context.waitForEvent('serviceworker', { timeout: 20_000 });
  };
  const worker = await serviceWorker();
  const extensionId = new URL(worker.url()).host;

  return {
    context,
    extensionId,
    profileDir,
    serviceWorker,
    problems,
    async openPage(path: string) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${path.replace(/^\//, '')}`);
      return page;
    },
    async stopServiceWorker() {
      const page = context.pages()[0] ?? (await context.newPage());
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
    },
    async close(closeOptions = {}) {
      await context.close();
      if (!closeOptions.keepProfile && !options.profileDir)
        rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
