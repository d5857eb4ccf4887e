/**
 * The Firefox lane (`npm run test:firefox`, scripts/test-firefox.ts), two projects:
 *   firefox-browser: the components' own *.browser.test.ts suites, run unchanged in Firefox ESR through
 *                    the WebDriver BiDi provider (test/support/firefox.ts);
 *   firefox-e2e:     Node suites in test/firefox/ that drive Firefox over BiDi against real servers
 *                    (the answer path, the probe, isolation, the extension's Firefox build).
 */
import { defineConfig } from 'vitest/config';
import { firefoxBidi } from '../support/firefox.ts';
import { ggufServerCommands } from '../support/gguf-server.ts';

/**
 * Component suites that run in Firefox. Left out here, each for a stated reason:
 * - the two screenshot comparisons: the reference images are Chromium's rendering, and font
 *   rasterising differs between engines by design;
 */
const COMPONENT_SUITES = [
  'components/tier-assist/*.browser.test.ts',
  'components/tier-triage/*.browser.test.ts',
  'components/tier-savings/*.browser.test.ts',
  'test/firefox/**/*.browser.test.ts',
  // Fixes Firefox found, tested in both browsers (the Chromium browser project runs them too).
  'test/browser/wasm-no-cdn.browser.test.ts',
  'test/browser/wasm-stall.browser.test.ts',
];
const SKIPPED_IN_FIREFOX = /^(?!.*(renders the dark theme|draws saved money, tier share)).*$/;

export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  test: {
    testNamePattern: SKIPPED_IN_FIREFOX,
    projects: [
      {
        extends: true,
        test: {
          name: 'firefox-browser',
          include: COMPONENT_SUITES,
          testTimeout: 60_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { ...ggufServerCommands },
            provider: firefoxBidi(),
            instances: [{ browser: 'firefox' }],
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'firefox-e2e',
          environment: 'node',
          include: ['test/firefox/**/*.test.ts'],
          exclude: ['test/firefox/**/*.browser.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
