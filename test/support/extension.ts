/**
 * Drive the built extension (dist/extension) in the system Chromium with playwright-core.
 * Extensions load only in a persistent context; headless works (DESIGN.md field guide).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { CHROMIUM_ARGS, WEBGPU_ARGS, chromiumPath } from './chromium.ts';
import { makeTinyLlamaGguf } from './gguf.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

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
      // "No available adapters." is Chromium's note when a WebGPU probe finds no GPU (as in these runs).
      const isProblem =
        (msg.type() === 'error' || msg.type() === 'warning') && msg.text() !== 'No available adapters.';
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
  // CSP violations do not always reach the console: turn each one into a console error the watcher sees.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(
        `Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  // Service worker and offscreen-document errors (uncaught exceptions, CSP reports) surface here.
  context.on('weberror', (webError) => {
    const stack = webError.error().stack ?? '';
    if (stack.includes('chrome-extension://')) problems.push(`weberror: ${webError.error().message}`);
  });

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

export interface GhostState {
  state: string;
  text: string;
}

/** The ghost-text overlay's state and text in `page` (the content script mounts it in an open shadow root). */
export function ghostState(page: Page): Promise<GhostState> {
  return page.evaluate(() => {
    const host = document.querySelector<HTMLElement>('tier-ghost-text');
    return {
      state: host?.dataset.state ?? 'absent',
      text: host?.shadowRoot?.querySelector('.ghost')?.textContent ?? '',
    };
  });
}

/** Waits until a suggestion is on screen in `page` and returns its text. */
export async function waitForGhost(page: Page, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    () => {
      const host = document.querySelector<HTMLElement>('tier-ghost-text');
      return (
        host?.dataset.state === 'visible' &&
        (host.shadowRoot?.querySelector('.ghost')?.textContent ?? '') !== ''
      );
    },
    undefined,
    { timeout },
  );
  return (await ghostState(page)).text;
}

/**
 * Sets options the way a person does: fills the options page form and saves. Returns the page's
 * status text ("Saved." or why not).
 */
export async function setOptions(
  ext: LaunchedExtension,
  fields: {
    modelUrl?: string;
    debounceMs?: number;
    gatewayUrl?: string;
    gatewayToken?: string;
    disabledSites?: string[];
    /** Tick "download the model when needed" (default: true when `modelUrl` is given). */
    allowDownload?: boolean;
  },
): Promise<string> {
  const page = await ext.openPage('extension/options/index.html');
  await page.waitForSelector('#settings');
  if (fields.modelUrl !== undefined) await page.fill('#model-url', fields.modelUrl);
  const allow = fields.allowDownload ?? (fields.modelUrl !== undefined ? true : undefined);
  if (allow !== undefined) await page.setChecked('#model-download', allow);
  if (fields.debounceMs !== undefined) await page.fill('#debounce', String(fields.debounceMs));
  if (fields.gatewayUrl !== undefined) await page.fill('#gateway-url', fields.gatewayUrl);
  if (fields.gatewayToken !== undefined) await page.fill('#gateway-token', fields.gatewayToken);
  if (fields.disabledSites !== undefined) await page.fill('#sites', fields.disabledSites.join('\n'));
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => (document.getElementById('notice')?.textContent ?? '') !== '');
  const notice = (await page.textContent('#notice')) ?? '';
  await page.close();
  return notice;
}

export type OptionFields = Parameters<typeof setOptions>[1];

export interface ExtensionWithSite {
  ext: LaunchedExtension;
  /** The 127.0.0.1 site serving the pages and the model. */
  site: StaticServer;
  /** The model URL set in the options (`${site.url}/model.gguf`, or `modelPath`). */
  modelUrl: string;
  /** Opens `path` of the site in a new tab and waits until the content script is connected. */
  openSitePage(path: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The preamble of the suites that need a model: a static site on 127.0.0.1 serving the tiny GGUF
 * (whose continuation is `reply`) and `pages`, the built extension launched (wasm engine), and the
 * options saved the way a person does (model URL plus `options`; it fails unless the options page
 * says "Saved."). `reply: null` serves no model (a URL that answers 404).
 */
export async function launchWithSite(
  setup: {
    reply?: string | null;
    /** Files the site serves: HTML, or a body with its content type. */
    pages?: Record<string, string | { body: string; type: string }>;
    /** Where the model is served (default `/model.gguf`). */
    modelPath?: string;
    options?: Omit<OptionFields, 'modelUrl'>;
  } = {},
): Promise<ExtensionWithSite> {
  const site = await startStaticServer();
  let ext: LaunchedExtension | undefined;
  try {
    const modelPath = setup.modelPath ?? '/model.gguf';
    if (setup.reply !== null)
      site.set(modelPath, makeTinyLlamaGguf({ reply: setup.reply ?? ' world.' }), 'application/octet-stream');
    for (const [path, page] of Object.entries(setup.pages ?? {}))
      if (typeof page === 'string') site.set(path, page);
      else site.set(path, page.body, page.type);
    ext = await launchExtension({ webgpu: false });
    const modelUrl = `${site.url}${modelPath}`;
    const notice = await setOptions(ext, { modelUrl, ...setup.options });
    if (notice !== 'Saved.') throw new Error(`The options page did not save the test settings: ${notice}`);
    const launched = ext;
    return {
      ext: launched,
      site,
      modelUrl,
      async openSitePage(path: string) {
        const page = await launched.context.newPage();
        await page.goto(`${site.url}${path}`);
        await page.waitForFunction(() => document.documentElement.dataset.tierAssist === 'connected');
        return page;
      },
      async close() {
        await launched.close();
        await site.close();
      },
    };
  } catch (error) {
    await ext?.close();
    await site.close();
    throw error;
  }
}
