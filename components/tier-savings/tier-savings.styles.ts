import { css } from 'lit';

export const styles = css`
  :host {
    --_bg: var(--tier-background, #ffffff);
    --_fg: var(--tier-color, #1b1f24);
    --_muted: var(--tier-muted, #57606a);
    --_border: var(--tier-border-color, #d0d7de);
    --_card: var(--tier-surface, #f6f8fa);
    --_accent: var(--tier-accent, #1a7f37);
    --_local: var(--tier-local-color, #1a7f37);
    --_mid: var(--tier-mid-color, #0969da);
    --_frontier: var(--tier-frontier-color, #8250df);
    --_frontier-cost: var(--tier-series-frontier-color, #d0d7de);
    --_paid-cost: var(--tier-series-paid-color, #0969da);
    display: block;
    color-scheme: light;
    background: var(--_bg);
    color: var(--_fg);
    font-family: var(--tier-font-family, 'DejaVu Sans', Verdana, system-ui, sans-serif);
    font-size: var(--tier-font-size, 14px);
    line-height: 1.4;
    border: 1px solid var(--_border);
    border-radius: var(--tier-radius, 8px);
    padding: 16px;
    max-width: 720px;
  }
  :host([theme='dark']) {
    --_bg: var(--tier-background, #0d1117);
    --_fg: var(--tier-color, #e6edf3);
    --_muted: var(--tier-muted, #9198a1);
    --_border: var(--tier-border-color, #3d444d);
    --_card: var(--tier-surface, #161b22);
    --_accent: var(--tier-accent, #3fb950);
    --_local: var(--tier-local-color, #3fb950);
    --_mid: var(--tier-mid-color, #4493f8);
    --_frontier: var(--tier-frontier-color, #ab7df8);
    --_frontier-cost: var(--tier-series-frontier-color, #3d444d);
    --_paid-cost: var(--tier-series-paid-color, #4493f8);
    color-scheme: dark;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      --_bg: var(--tier-background, #0d1117);
      --_fg: var(--tier-color, #e6edf3);
      --_muted: var(--tier-muted, #9198a1);
      --_border: var(--tier-border-color, #3d444d);
      --_card: var(--tier-surface, #161b22);
      --_accent: var(--tier-accent, #3fb950);
      --_local: var(--tier-local-color, #3fb950);
      --_mid: var(--tier-mid-color, #4493f8);
      --_frontier: var(--tier-frontier-color, #ab7df8);
      --_frontier-cost: var(--tier-series-frontier-color, #3d444d);
      --_paid-cost: var(--tier-series-paid-color, #4493f8);
      color-scheme: dark;
    }
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
    animation: none !important;
    transition: none !important;
  }
  h2 {
    font-size: 1.15em;
    margin: 0 0 12px;
  }
  h3 {
    font-size: 1em;
    margin: 16px 0 6px;
  }
  .cards {
    display: grid;
    grid-template-columns: repeat(3, 1fr);
    gap: 8px;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .card {
    background: var(--_card);
    border: 1px solid var(--_border);
    border-radius: calc(var(--tier-radius, 8px) - 2px);
    padding: 10px;
  }
  .card .label,
  .note,
  .legend {
    color: var(--_muted);
    font-size: 0.86em;
  }
  .card .value {
    display: block;
    font-size: 1.5em;
    font-weight: 700;
    color: var(--_accent);
    font-variant-numeric: tabular-nums;
  }
  svg {
    display: block;
    width: 100%;
    height: auto;
    overflow: visible;
  }
  /* Charts with text keep their text near its design size on wide hosts. */
  svg[part~='latency'],
  svg[part~='series'] {
    max-width: 480px;
  }
  svg text {
    fill: var(--_fg);
    font-size: 10px;
    font-family: inherit;
  }
  svg text.small {
    fill: var(--_muted);
    font-size: 8px;
  }
  svg text.end {
    text-anchor: end;
  }
  .tier-local {
    fill: var(--_local);
    background: var(--_local);
  }
  .tier-mid {
    fill: var(--_mid);
    background: var(--_mid);
  }
  .tier-frontier {
    fill: var(--_frontier);
    background: var(--_frontier);
  }
  rect.p95 {
    opacity: 0.4;
  }
  rect.track {
    fill: var(--_card);
  }
  rect.frontier-cost {
    fill: var(--_frontier-cost);
  }
  rect.paid-cost {
    fill: var(--_paid-cost);
  }
  line.axis {
    stroke: var(--_border);
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
    margin: 6px 0 0;
    padding: 0;
    list-style: none;
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    margin-right: 4px;
    vertical-align: baseline;
  }
  .swatch.frontier-cost {
    background: var(--_frontier-cost);
  }
  .swatch.paid-cost {
    background: var(--_paid-cost);
  }
  button {
    font: inherit;
    color: var(--_fg);
    background: var(--_card);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 4px 10px;
    margin-top: 14px;
    cursor: pointer;
  }
  button:focus-visible {
    outline: 2px solid var(--_mid);
    outline-offset: 2px;
  }
  table {
    border-collapse: collapse;
    margin: 8px 0;
    font-size: 0.9em;
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding: 4px 0;
  }
  th,
  td {
    border-bottom: 1px solid var(--_border);
    padding: 2px 8px;
    text-align: right;
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  [hidden] {
    display: none !important;
  }
  [role='alert'] {
    color: var(--tier-error-color, #cf222e);
  }
`;
