/** axe-core on the extension's own pages (options, popup, side panel): no serious or critical issues. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, type LaunchedExtension } from '../support/extension.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('extension pages are accessible', () => {
  let ext: LaunchedExtension;

  beforeAll(async () => {
    ext = await launchExtension({ webgpu: false });
  });

  afterAll(async () => {
    await ext?.close();
  });

  for (const [path, ready] of [
    ['extension/options/index.html', '#leaves'],
    ['extension/popup/index.html', '#today'],
    ['extension/sidepanel/index.html', 'form'],
  ] as const) {
    it(path, async () => {
      const page = await ext.openPage(path);
      await page.waitForSelector(ready);
      // Evaluated through the debugger protocol, which the page's CSP does not apply to.
      await page.evaluate(axeSource);
      const { engine, violations } = (await page.evaluate(`(async () => {
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return {
          engine: result.testEngine.name,
          violations: result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')),
        };
      })()`)) as { engine: string; violations: string[] };
      expect(engine).toBe('axe-core');
      expect(violations).toEqual([]);
      await page.close();
    });
  }
});
