import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    box-sizing: border-box;
    font: var(--tier-font, 15px/1.5 system-ui, sans-serif);
    color: var(--tier-color, #111827);
    background: var(--tier-background, #ffffff);
    border: 1px solid var(--tier-border-color, #d1d5db);
    border-radius: var(--tier-radius, 12px);
    padding: var(--tier-padding, 16px);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      color: var(--tier-color, #f3f4f6);
      background: var(--tier-background, #111827);
      border-color: var(--tier-border-color, #374151);
    }
  }
  [part='title'] {
    margin: 0 0 8px;
    font-size: 1.05em;
  }
`;
