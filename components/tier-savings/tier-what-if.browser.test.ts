import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { route } from '../../src/router/index.ts';
import { defineWhatIf } from './tier-savings.ts';

const els: HTMLElement[] = [];
afterEach(() => els.splice(0).forEach((el) => el.remove()));

async function mount() {
  await defineWhatIf();
  const el = document.createElement('tier-what-if');
  els.push(el);
  document.body.append(el);
  await el.updateComplete;
  return el;
}

describe('<tier-what-if>', () => {
  it('estimates the sample on load and re-estimates what a person types (hand-checked numbers)', async () => {
    const el = await mount();
    expect(el.result?.prompts).toBe(6);
    const root = el.shadowRoot!;
    const textarea = root.querySelector('textarea')!;
    await userEvent.clear(textarea);
    // 40 characters -> 10 input tokens; chat -> 350 output tokens.
    // Sonnet 10 x 3 + 350 x 15 = 5,280 micro-$; Haiku 10 x 1 + 350 x 5 = 1,760 micro-$ per request.
    await userEvent.type(textarea, 'Explain the CAP theorem with an example.');
    const perDay = root.querySelector<HTMLInputElement>('#per-day')!;
    await userEvent.clear(perDay);
    await userEvent.type(perDay, '1000');
    await userEvent.click(root.querySelector('button')!);
    await el.updateComplete;
    const r = el.result!;
    expect(r.prompts).toBe(1);
    expect(r.monthly.frontier).toBeCloseTo(5280e-6 * 1000 * 30, 9); // $158.40
    expect(r.monthly.mid).toBeCloseTo(1760e-6 * 1000 * 30, 9); // $52.80
    const tier = route('Explain the CAP theorem with an example.', {
      task: 'chat',
      localAvailable: true,
    }).tier;
    expect(r.monthly.routed).toBeCloseTo({ local: 0, mid: 52.8, frontier: 158.4 }[tier], 9);
    expect(root.querySelector('[part="result"]')!.textContent).toContain('$158.40');
    expect(root.querySelector('.reason')!.textContent!.length).toBeGreaterThan(5);
  });

  it('shows the quality each configuration keeps beside its cost, with the source of the figures', async () => {
    const el = await mount();
    const root = el.shadowRoot!;
    const table = root.querySelector('[part="result"] table')!;
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent!.trim());
    expect(headers).toContain('Expected quality*');
    const row = (name: string) =>
      [...table.querySelectorAll('tbody tr')]
        .find((tr) => tr.querySelector('th')!.textContent!.trim() === name)!
        .querySelectorAll('td');
    const col = headers.indexOf('Expected quality*') - 1; // the row header is a th
    expect(row('All frontier')[col]!.textContent).toBe('100.0%');
    expect(row('All mid')[col]!.textContent).toBe('85.3%');
    expect(row('Routed')[col]!.textContent).toBe('98.2%');
    const source = root.querySelector('[part="quality-source"]')!.textContent!.replace(/\s+/g, ' ');
    expect(source).toContain('RouterBench test split (945 prompts');
    expect(source).toContain('routed keeps 98.2% (95% interval 97.0%–99.4%), all mid 85.3%');
    // The sample routes some prompts to paid tiers: all-mid is cheaper, and the page says what it gives up.
    expect(el.result!.monthly.mid).toBeLessThan(el.result!.monthly.routed);
    expect(root.querySelector('[part="trade"]')!.textContent!.replace(/\s+/g, ' ')).toMatch(
      /All mid is \$[\d,.]+ a month cheaper than routed, but keeps 85\.3% of frontier accuracy where routed keeps 98\.2%/,
    );
  });

  it('says what is wrong with a bad line, and passes axe', async () => {
    const el = await mount();
    el.prompts = '{"prompt": "hi", "task": "poetry"}';
    el.estimate();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).toContain('line 1');
    el.prompts = 'How do I reset my password?';
    el.estimate();
    await el.updateComplete;
    const results = await axe.run(el);
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });
});
