import { css } from 'lit';
import { sharedStyles } from '../shared/styles.ts';

export const styles = [
  sharedStyles,
  css`
    :host {
      display: block;
    }
    [part~='base'] {
      display: flex;
      flex-direction: column;
      gap: 8px;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      padding: var(--tier-padding, 16px);
    }
    [part~='header'] {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 8px;
    }
    h2 {
      margin: 0;
      font-size: 1.1em;
    }
    .engine {
      background: var(--_surface);
      border-radius: calc(var(--_radius) / 2);
      padding: 8px 12px;
      font-size: 0.9em;
    }
    .engine p {
      margin: 0 0 6px;
    }
    progress {
      width: 100%;
      accent-color: var(--_accent);
    }
    [part~='log'] {
      max-height: var(--tier-max-height, 480px);
      overflow-y: auto;
    }
    .messages {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
    [part~='message'] {
      padding: 8px 12px;
      border-radius: calc(var(--_radius) / 1.5);
      overflow-wrap: anywhere;
    }
    .user {
      align-self: flex-end;
      background: var(--_surface);
      max-width: 85%;
    }
    .user .text {
      white-space: pre-wrap;
    }
    .assistant {
      border: 1px solid var(--_border);
    }
    .plain {
      white-space: pre-wrap;
    }
    [part~='answer'] > :first-child {
      margin-top: 0;
    }
    [part~='answer'] > :last-child {
      margin-bottom: 0;
    }
    [part~='answer'] pre {
      overflow-x: auto;
      background: var(--_surface);
      padding: 8px;
      border-radius: 6px;
    }
    [part~='answer'] table {
      border-collapse: collapse;
      margin: 6px 0;
    }
    [part~='answer'] th,
    [part~='answer'] td {
      border: 1px solid var(--_border);
      padding: 2px 8px;
      text-align: left;
    }
    [part~='answer'] a {
      color: var(--_accent);
    }
    .badge {
      margin: 6px 0 0;
      font-size: 0.8em;
      color: var(--_muted);
    }
    .badge strong {
      color: var(--_remote);
    }
    .badge.local strong {
      color: var(--_local);
    }
    .badge .reason {
      display: block;
    }
    .note {
      margin: 4px 0 0;
      font-size: 0.85em;
      color: var(--_warn);
    }
    .warn {
      color: var(--_warn);
    }
    .error,
    [part~='error'] {
      color: var(--_error);
      margin: 0;
    }
    .actions {
      display: flex;
      gap: 6px;
      margin-top: 6px;
    }
    .actions:empty {
      display: none;
    }
    [part~='thumb-button'][aria-pressed='true'] {
      border-color: var(--_accent);
      box-shadow: inset 0 0 0 1px var(--_accent);
    }
    textarea {
      width: 100%;
      font: inherit;
      color: var(--_color);
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) / 2);
      padding: 8px;
      resize: vertical;
    }
    .row {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 8px;
      margin-top: 4px;
    }
    .hint {
      font-size: 0.8em;
      color: var(--_muted);
    }
    .status {
      margin: 0;
      min-height: 1.2em;
      font-size: 0.85em;
      color: var(--_muted);
    }
  `,
];
