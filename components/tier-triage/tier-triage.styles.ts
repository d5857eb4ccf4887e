import { css } from 'lit';
import { sharedStyles } from '../shared/styles.ts';

export const triageStyles = [
  sharedStyles,
  css`
    :host {
      display: block;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      padding: var(--tier-triage-padding, 16px);
    }
    textarea,
    select,
    input {
      font: inherit;
      color: var(--_color);
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) / 2);
      padding: 6px 8px;
      width: 100%;
    }
    select:focus-visible,
    input:focus-visible {
      outline: 3px solid var(--_accent);
      outline-offset: 2px;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: center;
      margin: 8px 0;
    }
    label {
      font-weight: 600;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      margin: 8px 0;
    }
    th,
    td {
      text-align: left;
      vertical-align: top;
      padding: 4px 6px;
      border-bottom: 1px solid var(--_border);
    }
    th[scope='row'] {
      width: 7em;
    }
    .conf {
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
    }
    .low {
      color: var(--_warn);
    }
    [part~='message'] {
      min-height: 1.5em;
    }
    [part~='message'].error {
      color: var(--_error);
    }
    progress {
      width: 12em;
    }
    pre {
      background: var(--_surface);
      padding: 8px;
      border-radius: calc(var(--_radius) / 2);
      overflow: auto;
      max-height: 14em;
      white-space: pre-wrap;
    }
    ol[part~='queue'] {
      max-height: 12em;
      overflow: auto;
      padding-left: 1.5em;
    }
    ol[part~='queue'] button {
      border: none;
      background: none;
      padding: 0;
      text-align: left;
      color: var(--_accent);
      text-decoration: underline;
    }
  `,
];
