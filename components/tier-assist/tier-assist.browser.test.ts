import { describe, expect, it } from 'vitest';
import './tier-assist.ts';

describe('<tier-assist>', () => {
  it('renders into its shadow root', async () => {
    const el = document.createElement('tier-assist');
    el.placeholder = 'How can we help?';
    document.body.append(el);
    await el.updateComplete;
    expect(el.shadowRoot?.querySelector('[part="title"]')?.textContent).toBe('tier-assist');
    expect(el.shadowRoot?.textContent).toContain('How can we help?');
    el.remove();
  });
});
