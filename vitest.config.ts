import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, WEBGPU_ARGS, chromiumPath } from './test/support/chromium.ts';
import { ggufServerCommands } from './test/support/gguf-server.ts';

const browserProject = process.env.VITEST_BROWSER === '0' ? [] : ['browser'];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [
            '**/*.browser.test.ts',
            'test/extension/**',
            'test/e2e/**',
            'test/firefox/**',
            'node_modules/**',
          ],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'extension',
          environment: 'node',
          include: ['test/extension/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      ...browserProject.map(() => ({
        extends: true as const,
        test: {
          name: 'browser',
          include: [
            'src/**/*.browser.test.ts',
            'components/**/*.browser.test.ts',
            'test/browser/**/*.browser.test.ts',
          ],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { ...ggufServerCommands },
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath(),
                args: [...CHROMIUM_ARGS, ...WEBGPU_ARGS],
              },
            }),
            instances: [{ browser: 'chromium' as const }],
          },
        },
      })),
    ],
  },
});
