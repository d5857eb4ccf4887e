/**
 * Firefox for the tests: Firefox ESR driven over WebDriver BiDi by puppeteer-core (no geckodriver, no
 * downloaded browser; DESIGN.md field guide), and a Vitest 4 browser provider on top of it, so the same
 * `*.browser.test.ts` suites that run in Chromium run in Firefox (`npm run test:firefox`, issue 18).
 *
 * The provider drives real input: `userEvent.keyboard/type/clear` become BiDi key actions and
 * locator clicks BiDi pointer actions at the element's centre (test/support/firefox-locators.ts finds
 * the element in the page, piercing shadow roots, and reports where it is).
 */
import { defineBrowserProvider, parseKeyDef } from '@vitest/browser';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import puppeteer, { type Browser, type Frame, type KeyInput, type Page } from 'puppeteer-core';
import type { BrowserCommands } from 'vitest/browser';
import type { BrowserCommandContext, BrowserProvider, BrowserProviderOption, TestProject } from 'vitest/node';

export const FIREFOX_INSTALL_HINT =
  'Install it with `apt-get install -y firefox-esr` (Debian/Ubuntu, as root), or set FIREFOX_PATH to a Firefox binary.';

/** The Firefox binary the tests drive: `$FIREFOX_PATH`, else `/usr/bin/firefox-esr`. Throws with an install hint. */
export function firefoxPath(): string {
  const path = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(path)) throw new Error(`No Firefox found at ${path}. ${FIREFOX_INSTALL_HINT}`);
  return path;
}

/** Preferences every test launch sets: no first-run pages, no update or telemetry traffic. */
const FIREFOX_PREFS: Record<string, unknown> = {
  'browser.shell.checkDefaultBrowser': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'extensions.getAddons.cache.enabled': false,
};

/**
 * Lets the driver open an add-on's own moz-extension:// pages (options, popup) in a tab, which BiDi
 * refuses by default. Tests of the installed extension only.
 */
export const ALLOW_EXTENSION_PAGES = ['--remote-allow-system-access'] as const;

/**
 * Opens an installed add-on's page (`moz-extension://<uuid>/<path>`) in a new tab and waits for
 * `selector`. The browser needs {@link ALLOW_EXTENSION_PAGES}; puppeteer never sees the load event of
 * that navigation (the tab moves to the extension process), so the page's own content is the signal.
 */
export async function openExtensionPage(browser: Browser, url: string, selector: string): Promise<Page> {
  const page = await browser.newPage();
  const navigation = page
    .goto(url, { waitUntil: 'domcontentloaded', timeout: 10_000 })
    .catch(() => undefined);
  await page.waitForSelector(selector, { timeout: 30_000 });
  await navigation;
  return page;
}

/** A headless Firefox over WebDriver BiDi. */
export function launchFirefox(
  extraPrefs: Record<string, unknown> = {},
  args: readonly string[] = [],
): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: firefoxPath(),
    headless: true,
    args: [...args],
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...extraPrefs },
  });
}

/** A point on the top-level page, in CSS pixels (what firefox-locators.ts reports). */
export interface PagePoint {
  x: number;
  y: number;
}

/**
 * Keys sent as key presses (as are single characters, so a space presses a focused button); anything
 * else in a `userEvent.keyboard` text is inserted as text.
 */
const NAMED_KEYS = new Set([
  'Enter',
  'Tab',
  'Escape',
  'Backspace',
  'Delete',
  'Shift',
  'Control',
  'Alt',
  'Meta',
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'Home',
  'End',
  'PageUp',
  'PageDown',
]);

/** Sends a `userEvent.keyboard` text; returns how many key-up events it caused. */
async function sendKeys(page: Page, text: string, held: Set<string>): Promise<number> {
  let keyups = 0;
  for (const { keyDef, releasePrevious, releaseSelf, repeat } of parseKeyDef(text)) {
    const key = keyDef.key ?? '';
    const named = NAMED_KEYS.has(key) || [...key].length === 1;
    if (releasePrevious) {
      if (held.delete(key) && named) {
        await page.keyboard.up(key as KeyInput);
        keyups += 1;
      }
      continue;
    }
    for (let i = 0; i < repeat; i++) {
      if (named) await page.keyboard.down(key as KeyInput);
      else await page.keyboard.sendCharacter(key);
    }
    if (releaseSelf) {
      if (named) {
        await page.keyboard.up(key as KeyInput);
        keyups += 1;
      }
    } else {
      held.add(key);
    }
  }
  return keyups;
}

/** The frame the test file runs in (Vitest's tester iframe), found by the `data-vitest` attribute. */
async function testerFrame(page: Page): Promise<Frame> {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const element = await frame.frameElement();
    const isTester = await element?.evaluate((node) => node.getAttribute('data-vitest') === 'true');
    if (isTester) return frame;
  }
  throw new Error('The Vitest tester iframe is not on the page.');
}

/** Focuses the element a Vitest CSS path names (`a > b > c`, crossing shadow roots), in the tester frame. */
async function focusByPath(page: Page, selector: string): Promise<void> {
  const frame = await testerFrame(page);
  const found = await frame.evaluate((path: string) => {
    const steps = path.split(/ > (?![^[]*\])/);
    let scopes: ParentNode[] = [document];
    for (const step of steps) {
      const next: Element[] = [];
      for (const scope of scopes) {
        for (const child of Array.from(scope.children)) if (child.matches(step)) next.push(child);
        const shadow = scope instanceof Element ? scope.shadowRoot : null;
        if (shadow)
          for (const child of Array.from(shadow.children)) if (child.matches(step)) next.push(child);
      }
      scopes = next;
    }
    const target = scopes[0];
    if (!(target instanceof HTMLElement)) return false;
    target.focus();
    return true;
  }, selector);
  if (!found) throw new Error(`No element matches ${selector} in the test frame.`);
}

type Held = { unreleased: string[] };

type Refocus = Window & { tierRefocus?: HTMLElement | null };

/**
 * Gives the keyboard back to the test page when Firefox's focus has left it. A Tab past the page's last
 * control moves Firefox's focus out of the page into the browser's own UI, where Chromium stays inside
 * the page. From then on the page has no focus and neither `element.focus()` in the page, a click, nor
 * activating the tab takes it back: keys still reach the element script focused, but Enter and Space
 * no longer press buttons, in every later test of the run (which is how one keyboard test failed only
 * after tier-assist's Tab-order test). Switching tabs does: open and close a tab, bring the test page
 * to the front, then focus again the element that had focus in the test frame.
 */
async function focusTestPage(page: Page, frame: Frame): Promise<void> {
  if (await frame.evaluate(() => document.hasFocus())) return;
  await frame.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    (window as Refocus).tierRefocus = active instanceof HTMLElement ? active : null;
  });
  const other = await page.browser().newPage();
  await other.close();
  await page.bringToFront();
  const focused = await frame.evaluate(() => {
    (window as Refocus).tierRefocus?.focus();
    return document.hasFocus();
  });
  if (!focused)
    throw new Error('The test page lost focus to the browser and switching tabs did not give it back.');
}

/**
 * Firefox can deliver key events to the page after the BiDi command returned, and runs some default
 * actions (a button's click on Space's keyup) in a later task, where Chromium is synchronous. So a
 * keyboard command counts the frame's key-ups, sends the keys, then waits until they all arrived
 * and one more task ran, before it returns to the test.
 */
async function typeAndSettle(page: Page, text: string, held: Set<string>): Promise<void> {
  const frame = await testerFrame(page);
  await focusTestPage(page, frame);
  const before = await frame.evaluate(() => {
    const w = window as Window & { tierKeyups?: number };
    if (w.tierKeyups === undefined) {
      w.tierKeyups = 0;
      window.addEventListener('keyup', () => (w.tierKeyups = (w.tierKeyups ?? 0) + 1), { capture: true });
    }
    return w.tierKeyups;
  });
  const keyups = await sendKeys(page, text, held);
  await frame.evaluate(
    (target: number) =>
      new Promise<void>((resolve) => {
        const started = Date.now();
        const check = () => {
          const seen = (window as Window & { tierKeyups?: number }).tierKeyups ?? 0;
          if (seen >= target || Date.now() - started > 1000) setTimeout(resolve, 0);
          else setTimeout(check, 5);
        };
        check();
      }),
    before + keyups,
  );
}

export class FirefoxBidiProvider implements BrowserProvider {
  readonly name = 'firefox-bidi';
  readonly supportsParallelism = false;
  readonly initScripts = [resolve(import.meta.dirname, 'firefox-locators.ts')];
  private browser: Promise<Browser> | undefined;
  private readonly pages = new Map<string, Page>();

  constructor(project: TestProject) {
    const page = (sessionId: string) => this.page(sessionId);
    const browser = project.browser;
    if (!browser) throw new Error('The Firefox provider needs a browser project.');
    const register = (name: string, command: (context: BrowserCommandContext, ...args: never[]) => unknown) =>
      browser.registerCommand(name as keyof BrowserCommands, command as never);
    register('__vitest_keyboard', async ({ sessionId }, text: string, state: Held) => {
      const held = new Set(state.unreleased);
      await typeAndSettle(page(sessionId), text, held);
      return { unreleased: [...held] };
    });
    register('__vitest_type', async ({ sessionId }, selector: string, text: string, options: Held) => {
      await focusByPath(page(sessionId), selector);
      const held = new Set(options.unreleased);
      await typeAndSettle(page(sessionId), text, held);
      return { unreleased: [...held] };
    });
    register('__vitest_cleanup', async ({ sessionId }, state: Held) => {
      for (const key of state.unreleased) await page(sessionId).keyboard.up(key as KeyInput);
    });
    register('__vitest_tab', async ({ sessionId }, options: { shift?: boolean } = {}) => {
      await focusTestPage(page(sessionId), await testerFrame(page(sessionId)));
      const keyboard = page(sessionId).keyboard;
      if (options.shift) await keyboard.down('Shift');
      await keyboard.press('Tab');
      if (options.shift) await keyboard.up('Shift');
    });
    register('firefoxClick', async ({ sessionId }, point: PagePoint, clickCount: number) => {
      await page(sessionId).mouse.click(point.x, point.y, { count: clickCount });
    });
    register('firefoxMove', async ({ sessionId }, point: PagePoint) => {
      await page(sessionId).mouse.move(point.x, point.y);
    });
    register('firefoxSelectAllAndDelete', async ({ sessionId }) => {
      const keyboard = page(sessionId).keyboard;
      await keyboard.down('Control');
      await keyboard.press('a');
      await keyboard.up('Control');
      await keyboard.press('Backspace');
    });
  }

  private page(sessionId: string): Page {
    const page = this.pages.get(sessionId);
    if (!page) throw new Error(`No Firefox page for session ${sessionId}.`);
    return page;
  }

  getCommandsContext(sessionId: string): Record<string, unknown> {
    return { page: this.page(sessionId) };
  }

  async openPage(sessionId: string, url: string): Promise<void> {
    this.browser ??= launchFirefox();
    const browser = await this.browser;
    await this.pages.get(sessionId)?.close();
    const page = await browser.newPage();
    this.pages.set(sessionId, page);
    await page.goto(url, { timeout: 0 });
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    this.pages.clear();
    if (browser) await (await browser).close();
  }
}

/** `test.browser.provider` for Firefox ESR over WebDriver BiDi (instances: `[{ browser: 'firefox' }]`). */
export function firefoxBidi(): BrowserProviderOption {
  return defineBrowserProvider({
    name: 'firefox-bidi',
    supportedBrowser: ['firefox'],
    providerFactory: (project) => new FirefoxBidiProvider(project),
  });
}
