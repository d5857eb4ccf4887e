import { LitElement, css, html } from 'lit';
import type { Tier } from '../../src/config/schemas.ts';
import { toTierError } from '../../src/errors.ts';
import { formatUsd } from '../../src/ledger/money.ts';
import { parsePromptsJsonl, whatIf, type WhatIfResult } from '../../src/ledger/what-if.ts';
import { route } from '../../src/router/index.ts';
import { TIER_NAMES, ms, pct } from './charts.ts';

const TIERS: Tier[] = ['local', 'mid', 'frontier'];
const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;

export const SAMPLE_PROMPTS = [
  'What time does the store open on Sundays?',
  'Thanks, that worked!',
  '{"prompt": "I would like to kindly ask whether we could move the meeting.", "task": "rewrite"}',
  '{"prompt": "My card was charged twice, please refund one.", "task": "classify"}',
  'Summarise the attached quarterly report in five bullet points for the board, highlighting risks.',
  'Write a migration plan from a Rails monolith to event-driven services with rollback steps and a 6-month timeline.',
].join('\n');

/**
 * @summary The what-if calculator in the browser: paste prompts and a daily volume, see what a month would
 * cost all-frontier, all-mid and routed by tier-assist's router, the quality each keeps (accuracy relative
 * to all-frontier on the RouterBench test split, source stated), the tier mix, latency and the router's reasons.
 * Same arithmetic as `npm run savings` (src/ledger/what-if.ts; see docs/savings.md).
 *
 * @event tier-what-if-result - After an estimate. `detail` is the WhatIfResult.
 *
 * @csspart form - The inputs.
 * @csspart result - The estimate.
 * @csspart error - A message when the prompts cannot be read.
 * @csspart quality-source - Where the expected-quality figures were measured.
 * @csspart trade - One sentence weighing all-mid's price against the quality it gives up.
 *
 * @cssproperty --tier-color - Text colour.
 * @cssproperty --tier-muted - Secondary text colour.
 * @cssproperty --tier-border-color - Borders.
 * @cssproperty --tier-local-color - On-device tier colour.
 * @cssproperty --tier-mid-color - Mid tier colour.
 * @cssproperty --tier-frontier-color - Frontier tier colour.
 * @cssproperty --tier-font-family - Font stack.
 */
export class TierWhatIf extends LitElement {
  static override properties = {
    prompts: { type: String },
    perDay: { type: Number, attribute: 'per-day' },
    result: { attribute: false },
    error: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
      color: var(--tier-color, inherit);
      font-family: var(--tier-font-family, 'DejaVu Sans', Verdana, system-ui, sans-serif);
    }
    label {
      display: block;
      font-weight: 600;
      margin: 8px 0 4px;
    }
    textarea,
    input {
      font: inherit;
      width: 100%;
      box-sizing: border-box;
    }
    textarea {
      min-height: 9em;
    }
    input {
      max-width: 12em;
    }
    .hint,
    .reason,
    .source {
      color: var(--tier-muted, #57606a);
      font-size: 0.9em;
    }
    button {
      font: inherit;
      margin-top: 8px;
      padding: 4px 12px;
    }
    table {
      border-collapse: collapse;
      margin: 12px 0;
      font-variant-numeric: tabular-nums;
    }
    caption {
      text-align: left;
      font-weight: 600;
    }
    th,
    td {
      border-bottom: 1px solid var(--tier-border-color, #d0d7de);
      padding: 2px 10px;
      text-align: right;
    }
    th:first-child {
      text-align: left;
    }
    .bar {
      display: inline-block;
      height: 0.8em;
      background: var(--tier-mid-color, #0969da);
    }
    .bar.local {
      background: var(--tier-local-color, #1a7f37);
    }
    .bar.frontier {
      background: var(--tier-frontier-color, #8250df);
    }
    [role='alert'] {
      color: var(--tier-error-color, #cf222e);
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
  `;

  declare prompts: string;
  declare perDay: number;
  declare result: WhatIfResult | undefined;
  declare error: string | undefined;

  constructor() {
    super();
    this.prompts = SAMPLE_PROMPTS;
    this.perDay = 10_000;
  }

  /** Route the prompts and price the month (also runs on submit). */
  estimate(): WhatIfResult | undefined {
    try {
      this.result = whatIf(parsePromptsJsonl(this.prompts), route, { perDay: this.perDay });
      this.error = undefined;
      this.dispatchEvent(
        new CustomEvent('tier-what-if-result', { detail: this.result, bubbles: true, composed: true }),
      );
    } catch (error) {
      this.result = undefined;
      this.error = toTierError(error).message;
    }
    return this.result;
  }

  override firstUpdated(): void {
    this.estimate();
  }

  #costTable(r: WhatIfResult) {
    const max = Math.max(r.monthly.frontier, r.monthly.mid, r.monthly.routed) || 1;
    const q = r.quality;
    const rows = [
      ['All frontier', r.prices.frontier, r.monthly.frontier, q.frontier, r.latency.meanMs.frontier],
      ['All mid', r.prices.mid, r.monthly.mid, q.mid, r.latency.meanMs.mid],
      ['Routed', 'on-device / mid / frontier', r.monthly.routed, q.routed, r.latency.meanMs.routed],
    ] as const;
    return html`<table>
        <caption>
          Monthly cost (prices of ${r.prices.recordedOn})
        </caption>
        <thead>
          <tr>
            <th scope="col">Configuration</th>
            <th scope="col">Models</th>
            <th scope="col">Per month</th>
            <th scope="col"><span class="visually-hidden">Bar</span></th>
            <th scope="col">Expected quality<sup aria-hidden="true">*</sup></th>
            <th scope="col">Mean answer time</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            ([name, models, usd, quality, latency]) =>
              html`<tr>
                <th scope="row">${name}</th>
                <td>${models}</td>
                <td>${formatUsd(usd)}</td>
                <td style="text-align:left;width:160px">
                  <span
                    class="bar"
                    style="width:${((usd / max) * 150).toFixed(1)}px"
                    aria-hidden="true"
                  ></span>
                </td>
                <td>${pct1(quality)}</td>
                <td>${ms(latency)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="source" part="quality-source">
        * Accuracy relative to all-frontier, measured on ${q.source}: routed keeps
        ${pct1(q.routed)}${
          q.routedCi95 ? ` (95% interval ${pct1(q.routedCi95[0])}–${pct1(q.routedCi95[1])})` : ''
        },
        all mid ${pct1(q.mid)}, on-device only ${pct1(q.local)}. A benchmark's mix, not your prompts: what
        each choice tends to buy, not a promise for this sample.
      </p>`;
  }

  #trade(r: WhatIfResult) {
    const q = r.quality;
    const gap = r.monthly.routed - r.monthly.mid;
    if (!(gap > 0))
      return html`<p part="trade">
        Routed costs no more than all mid and keeps ${pct1(q.routed)} of frontier accuracy (all mid:
        ${pct1(q.mid)}).
      </p>`;
    if (q.mid >= q.routed)
      return html`<p part="trade">
        All mid is ${formatUsd(gap)} a month cheaper than routed and keeps at least as much frontier accuracy
        (${pct1(q.mid)} vs ${pct1(q.routed)}) at this quality setting: send this traffic to mid, or raise the
        quality setting.
      </p>`;
    return html`<p part="trade">
      All mid is <strong>${formatUsd(gap)}</strong> a month cheaper than routed, but keeps
      <strong>${pct1(q.mid)}</strong> of frontier accuracy where routed keeps
      <strong>${pct1(q.routed)}</strong>.
    </p>`;
  }

  #mixTable(r: WhatIfResult) {
    return html`<table>
      <caption>
        Tier mix and the latency each tier adds (assumed, see docs/savings.md)
      </caption>
      <thead>
        <tr>
          <th scope="col">Tier</th>
          <th scope="col">Prompts</th>
          <th scope="col">Share</th>
          <th scope="col">TTFT</th>
          <th scope="col">Mean answer time</th>
        </tr>
      </thead>
      <tbody>
        ${TIERS.map(
          (t) =>
            html`<tr>
              <th scope="row">${TIER_NAMES[t]}</th>
              <td>${r.mix[t].prompts}</td>
              <td>${pct(r.mix[t].share)}</td>
              <td>${ms(r.latency.assumptions[t].ttftMs)}</td>
              <td>${r.latency.perTierMs[t] === null ? '–' : ms(r.latency.perTierMs[t]!)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  #renderResult(r: WhatIfResult) {
    return html`<section part="result" aria-live="polite">
      <p>
        Routing saves <strong>${formatUsd(r.savedVsFrontier)}</strong> a month (${pct(r.savedShare)}) on
        ${r.requestsPerMonth.toLocaleString('en-US')} requests, against sending all of them to
        ${r.prices.frontier}.
      </p>
      ${this.#costTable(r)} ${this.#trade(r)} ${this.#mixTable(r)}
      <h3>Why the router chose</h3>
      <ul>
        ${r.examples.map(
          (e) =>
            html`<li>
              <strong>${TIER_NAMES[e.tier]}</strong> (${e.task}):
              “${e.prompt.length > 90 ? `${e.prompt.slice(0, 89)}…` : e.prompt}”
              <div class="reason">${e.reason}</div>
            </li>`,
        )}
      </ul>
    </section>`;
  }

  override render() {
    return html`<form
        part="form"
        @submit=${(e: Event) => {
          e.preventDefault();
          this.estimate();
        }}
      >
        <label for="prompts">Your prompts, one a line</label>
        <p class="hint" id="prompts-hint">
          Plain text, or JSON like {"prompt": "...", "task": "rewrite"} (tasks: chat, autocomplete, rewrite,
          classify, triage, extract). Nothing leaves this page.
        </p>
        <textarea
          id="prompts"
          aria-describedby="prompts-hint"
          .value=${this.prompts}
          @input=${(e: Event) => (this.prompts = (e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <label for="per-day">Requests per day</label>
        <input
          id="per-day"
          type="number"
          min="1"
          step="1"
          .value=${String(this.perDay)}
          @input=${(e: Event) => (this.perDay = Number((e.target as HTMLInputElement).value))}
        />
        <div><button type="submit">Estimate</button></div>
      </form>
      ${this.error ? html`<p role="alert" part="error">${this.error}</p>` : ''}
      ${this.result ? this.#renderResult(this.result) : ''}`;
  }
}

if (!customElements.get('tier-what-if')) customElements.define('tier-what-if', TierWhatIf);

declare global {
  interface HTMLElementTagNameMap {
    'tier-what-if': TierWhatIf;
  }
  interface GlobalEventHandlersEventMap {
    'tier-what-if-result': CustomEvent<WhatIfResult>;
  }
}
