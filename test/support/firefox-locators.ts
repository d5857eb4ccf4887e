/**
 * Browser side of the Firefox provider (test/support/firefox.ts), loaded into Vitest's tester page:
 * `page.getByRole(...)` and friends return locators that find their element in the page (Vitest's
 * selector engine pierces shadow roots) and act on it with real BiDi input: a click is a pointer click
 * at the element's centre on the top-level page, `clear` selects all and deletes, `fill` clears and types.
 */
import {
  Locator,
  ensureAwaited,
  getByAltTextSelector,
  getByLabelSelector,
  getByPlaceholderSelector,
  getByRoleSelector,
  getByTestIdSelector,
  getByTextSelector,
  getByTitleSelector,
  getIframeScale,
  selectorEngine,
} from '@vitest/browser/locators';
import { page, server, userEvent, type Locator as LocatorType } from 'vitest/browser';
import * as internal from 'vitest/internal/browser';

interface Runner {
  commands: { triggerCommand(name: string, args: unknown[], error?: Error): Promise<unknown> };
}

function runner(): Runner {
  return (window as unknown as { __vitest_browser_runner__: Runner }).__vitest_browser_runner__;
}

/** The centre of `element` on the top-level page (the tester iframe is offset and may be scaled). */
function centre(element: Element): { x: number; y: number } {
  element.scrollIntoView({ block: 'center', inline: 'center' });
  const rect = element.getBoundingClientRect();
  const frame = window.frameElement?.getBoundingClientRect() ?? { left: 0, top: 0 };
  const scale = window.frameElement ? getIframeScale() : 1;
  return {
    x: frame.left + (rect.left + rect.width / 2) * scale,
    y: frame.top + (rect.top + rect.height / 2) * scale,
  };
}

class FirefoxLocator extends Locator {
  constructor(
    public selector: string,
    protected override _container?: Element,
  ) {
    super();
  }

  private act(name: string, ...args: unknown[]): Promise<void> {
    return ensureAwaited(async (error) => {
      const element = await this.findElement();
      await runner().commands.triggerCommand(name, [centre(element), ...args], error);
    });
  }

  override click(): Promise<void> {
    return this.act('firefoxClick', 1);
  }

  override dblClick(): Promise<void> {
    return this.act('firefoxClick', 2);
  }

  override tripleClick(): Promise<void> {
    return this.act('firefoxClick', 3);
  }

  override hover(): Promise<void> {
    return this.act('firefoxMove');
  }

  override clear(): Promise<void> {
    return ensureAwaited(async (error) => {
      const element = await this.findElement();
      if (element instanceof HTMLElement) element.focus();
      await runner().commands.triggerCommand('firefoxSelectAllAndDelete', [], error);
    });
  }

  override async fill(text: string): Promise<void> {
    await this.clear();
    await userEvent.keyboard(text);
  }

  protected override locator(selector: string): FirefoxLocator {
    return new FirefoxLocator(`${this.selector} >> ${selector}`, this._container);
  }

  protected override elementLocator(element: Element): FirefoxLocator {
    return new FirefoxLocator(selectorEngine.generateSelectorSimple(element), element);
  }
}

const make = (selector: string, container?: Element) =>
  new FirefoxLocator(selector, container) as unknown as LocatorType;

page.extend({
  getByLabelText: (text, options) => make(getByLabelSelector(text, options)),
  getByRole: (role, options) => make(getByRoleSelector(role, options)),
  getByTestId: (testId) => make(getByTestIdSelector(server.config.browser.locators.testIdAttribute, testId)),
  getByAltText: (text, options) => make(getByAltTextSelector(text, options)),
  getByPlaceholder: (text, options) => make(getByPlaceholderSelector(text, options)),
  getByText: (text, options) => make(getByTextSelector(text, options)),
  getByTitle: (title, options) => make(getByTitleSelector(title, options)),
  elementLocator: (element) => make(selectorEngine.generateSelectorSimple(element), element),
});
(
  internal as unknown as { __INTERNAL: { _createLocator: (selector: string) => LocatorType } }
).__INTERNAL._createLocator = (selector) => make(selector);
