import { css } from 'lit';

/** Tokens and helpers shared by every tier-* element (themable through --tier-* custom properties). */
export const sharedStyles = css`
  :host {
    --_color: var(--tier-color, #111827);
    --_muted: var(--tier-muted-color, #4b5563);
    --_bg: var(--tier-background, #ffffff);
    --_surface: var(--tier-surface, #f3f4f6);
    --_border: var(--tier-border-color, #d1d5db);
    --_accent: var(--tier-accent, #1d4ed8);
    --_accent-contrast: var(--tier-accent-contrast, #ffffff);
    --_radius: var(--tier-radius, 12px);
    --_local: var(--tier-local-color, #166534);
    --_remote: var(--tier-remote-color, #6b21a8);
    --_warn: #9a3412;
    --_error: #b91c1c;
    box-sizing: border-box;
    font: var(--tier-font, 15px/1.5 system-ui, sans-serif);
    color: var(--_color);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_color: var(--tier-color, #f3f4f6);
      --_muted: var(--tier-muted-color, #d1d5db);
      --_bg: var(--tier-background, #111827);
      --_surface: var(--tier-surface, #1f2937);
      --_border: var(--tier-border-color, #4b5563);
      --_accent: var(--tier-accent, #93c5fd);
      --_accent-contrast: var(--tier-accent-contrast, #111827);
      --_local: var(--tier-local-color, #86efac);
      --_remote: var(--tier-remote-color, #d8b4fe);
      --_warn: #fdba74;
      --_error: #fca5a5;
    }
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    font-size: 0.9em;
    padding: 4px 12px;
    border-radius: calc(var(--_radius) / 2);
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_color);
    cursor: pointer;
  }
  button.primary {
    background: var(--_accent);
    color: var(--_accent-contrast);
    border-color: var(--_accent);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  button:focus-visible,
  textarea:focus-visible,
  a:focus-visible,
  summary:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .muted {
    color: var(--_muted);
  }
`;
