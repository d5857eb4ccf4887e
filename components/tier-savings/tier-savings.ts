import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { Tier } from '../../src/config/schemas.ts';
import { toTierError } from '../../src/errors.ts';
import { Ledger, ledgerChannelName, DEFAULT_LEDGER_NAME } from '../../src/ledger/ledger.ts';
import { learningCurve, type LearningWeek } from '../../src/ledger/learning-curve.ts';
import { NANOS_PER_USD, formatUsd } from '../../src/ledger/money.ts';
import { PRICES, costNanos } from '../../src/ledger/prices.ts';
import type { Summary } from '../../src/ledger/summary.ts';
import { expectedQuality } from '../../src/ledger/expected-quality.ts';
import type { FeedbackRecord } from '../../src/router/feedback.ts';
import { TIER_NAMES, latencyChart, ms, pct, seriesChart, tierShareChart } from './charts.ts';
import { loadSavingsData, type SavingsData } from './savings-data.ts';
import { styles } from './tier-savings.styles.ts';

export type { SavingsData } from './savings-data.ts';
// For pages that host the dashboard (the demo, the extension popup): open and seed ledgers with the same code.
export { Ledger, ledgerChannelName } from '../../src/ledger/ledger.ts';
export { seedDemoLedger } from './demo-seed.ts';

/**
 * Define `<tier-what-if>` (the what-if calculator). Loaded on demand: it brings the router and its
 * weights, which the dashboard itself does not need.
 */
export async function defineWhatIf(): Promise<void> {
  await import('./tier-what-if.ts');
}

const TIERS: Tier[] = ['local', 'mid', 'frontier'];
const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The month's tokens at the default mid model's prices: what sending everything to mid would have cost. */
function allMidUsd(s: Summary): number {
  const { inputTokens, outputTokens, cachedInputTokens } = s;
  const nanos = costNanos(PRICES.defaults.mid, { inputTokens, outputTokens, cachedInputTokens });
  return (nanos ?? 0) / NANOS_PER_USD;
}

/**
 * @summary What routing saved: money vs all-frontier (today, 7 and 30 days), what each choice buys
 * (30-day cost all-frontier, all-mid and routed beside the accuracy each keeps, with its source), the share
 * of requests per tier, latency p50/p95 per tier, a daily series, and the learning curve of the site's own
 * router (per week of feedback: the share of answers judged good and the saving), drawn as accessible SVG
 * and tables.
 *
 * Reads from a Ledger: set the `ledger-name` attribute (the IndexedDB ledger to open), or the
 * `ledger` property, or give ready summaries in the `data` property. Redraws when the ledger records a
 * request (its `change` event, or a BroadcastChannel message from any other page or context). The
 * learning curve reads the `feedback` property (the FeedbackRecord[] of the feedback store; set it again
 * to redraw), or, with the `feedback-store` attribute, loads the records itself from that IndexedDB
 * feedback store (src/ledger/feedback-store.ts, imported only then) when connected, when the attribute
 * changes and whenever the ledger records a request.
 *
 * @event tier-savings-update - After new figures are drawn. `detail` is the SavingsData.
 *
 * @csspart heading - The title.
 * @csspart cards - The list of "saved" figures; each item is part `card`.
 * @csspart card - One saved figure (today, 7 days, 30 days).
 * @csspart chart - Every SVG chart; each also has its own part: `tier-share`, `latency`, `series`.
 * @csspart tier-share - The share of requests per tier.
 * @csspart latency - Latency p50/p95 per tier.
 * @csspart series - The daily cost series.
 * @csspart table-toggle - The button that shows the data as tables.
 * @csspart tables - The data tables.
 * @csspart empty - The message when nothing is recorded yet.
 * @csspart trade - The table of cost beside expected quality for all-frontier, all-mid and routed.
 * @csspart quality-source - Where the expected-quality figures were measured.
 * @csspart learning - The learning-curve table (per week of feedback).
 * @csspart learning-empty - The message when no feedback is recorded yet, saying how to get some.
 * @csspart error - The message when the ledger cannot be read.
 *
 * @cssproperty --tier-background - Background colour.
 * @cssproperty --tier-color - Text colour.
 * @cssproperty --tier-muted - Secondary text colour.
 * @cssproperty --tier-surface - Card background.
 * @cssproperty --tier-border-color - Borders and axis.
 * @cssproperty --tier-accent - The saved amounts.
 * @cssproperty --tier-local-color - On-device tier colour.
 * @cssproperty --tier-mid-color - Mid tier colour.
 * @cssproperty --tier-frontier-color - Frontier tier colour.
 * @cssproperty --tier-series-paid-color - Daily cost paid.
 * @cssproperty --tier-series-frontier-color - Daily all-frontier cost.
 * @cssproperty --tier-font-family - Font stack.
 * @cssproperty --tier-font-size - Base font size.
 * @cssproperty --tier-radius - Corner radius.
 * @cssproperty --tier-error-color - Error text colour.
 */
export class TierSavings extends LitElement {
  static override styles = styles;
  static override properties = {
    ledgerName: { type: String, attribute: 'ledger-name', reflect: true },
    now: { type: String },
    theme: { type: String, reflect: true },
    showTable: { type: Boolean, attribute: 'show-table', reflect: true },
    ledger: { attribute: false },
    data: { attribute: false },
    feedback: { attribute: false },
    feedbackStore: { type: String, attribute: 'feedback-store', reflect: true },
    error: { state: true },
    feedbackError: { state: true },
  };

  /** The IndexedDB ledger to open (default none: set this, `ledger` or `data`). */
  declare ledgerName: string | undefined;
  /** Pin "today" (an ISO date or date-time) for demos and screenshots; default the real clock. */
  declare now: string | undefined;
  /** 'light' or 'dark' to force a scheme; by default it follows prefers-color-scheme. */
  declare theme: 'light' | 'dark' | undefined;
  /** Show the data tables (the accessible fallback of the charts). */
  declare showTable: boolean;
  /** A ledger to read (takes precedence over `ledger-name`). */
  declare ledger: Ledger | undefined;
  /** Summaries to draw; filled from the ledger, or set directly to draw without one. */
  declare data: SavingsData | undefined;
  /** Feedback records of the site's router (from the feedback store) for the learning curve. */
  declare feedback: readonly FeedbackRecord[] | undefined;
  /**
   * The feedback store to read the learning curve from (its IndexedDB name: `<tier-assist>` and
   * `<tier-triage feedback-store>` write "tier-feedback"); default none: the host sets `feedback`.
   */
  declare feedbackStore: string | undefined;
  declare error: string | undefined;
  declare feedbackError: string | undefined;
  #feedbackLoads = 0;

  #curve: LearningWeek[] = [];

  #opened: Ledger | undefined;
  #openedKey = '';
  #channel: BroadcastChannel | undefined;
  #subscribed: Ledger | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  readonly #onChange = () => void this.refresh();

  constructor() {
    super();
    this.showTable = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) void this.#connectSource();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe();
    this.#opened?.close();
    this.#opened = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('ledger') || changed.has('ledgerName') || changed.has('now')) void this.#connectSource();
    if (changed.has('feedback')) this.#curve = learningCurve(this.feedback ?? []);
    if (changed.has('feedbackStore') && this.feedbackStore) void this.loadFeedback();
  }

  /**
   * Read every record of the `feedback-store` database into `feedback` (the curve redraws). The store
   * module loads on first use, so a dashboard without the attribute never downloads it. A store that
   * cannot be read leaves the curve as it was and says so under it.
   */
  async loadFeedback(): Promise<void> {
    const name = this.feedbackStore;
    if (!name) return;
    const load = ++this.#feedbackLoads;
    try {
      const { FeedbackStore } = await import('../../src/ledger/feedback-store.ts');
      const store = await FeedbackStore.open(name);
      try {
        const records = await store.records();
        if (load !== this.#feedbackLoads || name !== this.feedbackStore) return; // a newer load owns it
        this.feedback = records;
        this.feedbackError = undefined;
      } finally {
        store.close();
      }
    } catch (error) {
      if (load === this.#feedbackLoads)
        this.feedbackError = `Could not read the feedback store "${name}": ${toTierError(error).message}`;
    }
  }

  #unsubscribe(): void {
    this.#subscribed?.removeEventListener('change', this.#onChange);
    this.#subscribed = undefined;
    this.#channel?.close();
    this.#channel = undefined;
  }

  async #connectSource(): Promise<void> {
    this.#unsubscribe();
    let source = this.ledger;
    if (!source && this.ledgerName) {
      const key = `${this.ledgerName}|${this.now ?? ''}`;
      if (!this.#opened || this.#openedKey !== key) {
        this.#opened?.close();
        this.#opened = undefined;
        const pinned = this.now ? Date.parse(this.now) : Number.NaN;
        let ledger: Ledger;
        try {
          ledger = await Ledger.open(
            this.ledgerName || DEFAULT_LEDGER_NAME,
            Number.isNaN(pinned) ? {} : { now: () => pinned },
          );
        } catch (error) {
          this.error = toTierError(error).message;
          return;
        }
        if (!this.isConnected || key !== `${this.ledgerName}|${this.now ?? ''}`) {
          ledger.close(); // detached or re-pointed while opening: a later call owns the source
          return;
        }
        this.#opened = ledger;
        this.#openedKey = key;
      }
      source = this.#opened;
    }
    if (!source || !this.isConnected) return;
    this.#subscribed = source;
    source.addEventListener('change', this.#onChange);
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(ledgerChannelName(source.name));
      this.#channel.onmessage = this.#onChange;
    }
    await this.refresh();
  }

  /** Re-read the ledger and redraw (called on every change; coalesces bursts). */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    const source = this.#subscribed;
    if (!source) return;
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        try {
          this.data = await loadSavingsData(source);
          this.error = undefined;
          if (this.feedbackStore) await this.loadFeedback();
        } catch (error) {
          this.error = `Could not read the ledger: ${toTierError(error).message}`;
        }
      } while (this.#again);
    })();
    await this.#refreshing;
    this.#refreshing = undefined;
    await this.updateComplete;
    if (this.data) {
      this.dispatchEvent(
        new CustomEvent('tier-savings-update', { detail: this.data, bubbles: true, composed: true }),
      );
    }
  }

  #card(label: string, s: Summary) {
    return html`<li class="card" part="card">
      <span class="label">${label}</span>
      <span class="value">${formatUsd(s.savedUsd)}</span>
      <span class="note"
        >${s.requests === 0 ? 'no requests' : `${pct(s.savedShare)} of ${formatUsd(s.frontierCostUsd)} all-frontier · ${s.requests} requests`}</span
      >
    </li>`;
  }

  #trade(m: Summary) {
    const q = expectedQuality();
    const rows = [
      ['All frontier', m.frontierCostUsd, q.frontier],
      ['All mid (same tokens, mid prices)', allMidUsd(m), q.mid],
      ['Routed (what you paid)', m.costUsd, q.routed],
    ] as const;
    return html`${dataTable(
        'What each choice buys, 30 days',
        ['Configuration', 'Cost', 'Expected quality*'],
        rows.map(([name, usd, quality]) => [name, formatUsd(usd), pct1(quality)]),
        'trade',
      )}
      <p class="note" part="quality-source">
        * Accuracy kept relative to all-frontier, measured on
        ${q.source}${
          q.routedCi95 ? `; routed 95% interval ${pct1(q.routedCi95[0])}–${pct1(q.routedCi95[1])}` : ''
        }.
        A benchmark's mix, not your traffic.
      </p>`;
  }

  #learning() {
    const weeks = this.#curve;
    const rated = weeks.filter((w) => w.answers > 0);
    if (rated.length === 0)
      return html`<p part="learning-empty">
        No feedback yet. Turn on the thumbs in &lt;tier-assist feedback&gt;: each rating, “Ask a bigger model”
        and repeated question counts here per week.
      </p>`;
    const [a, b] = [rated[0]!, rated.at(-1)!];
    const p = (x: number | null) => (x === null ? '–' : pct(x));
    return html`<p class="note">
        Week ${a.week} to ${b.week}: judged good ${p(a.quality)} → ${p(b.quality)}, saving ${p(a.saving)} →
        ${p(b.saving)}.
      </p>
      ${dataTable(
        'Per week of feedback',
        ['Week', 'Rated answers', 'Judged good', 'Saving (est.)', 'Verifier accepted (on-device)'],
        weeks.map((w) => [
          `${w.week} (from ${w.start})`,
          w.answers,
          p(w.quality),
          p(w.saving),
          w.verifierAccept === null ? '–' : `${pct(w.verifierAccept)} of ${w.verifierChecks}`,
        ]),
        'learning',
      )}`;
  }

  #tables(d: SavingsData) {
    const m = d.month;
    const periods = [
      ['Today', d.today],
      ['7 days', d.week],
      ['30 days', d.month],
    ] as const;
    return html`<div id="tables" part="tables" ?hidden=${!this.showTable}>
      ${dataTable(
        'Saved vs all-frontier',
        ['Period', 'Requests', 'Paid', 'All-frontier', 'Saved', 'Escalated'],
        periods.map(([label, s]) => [
          label,
          s.requests,
          formatUsd(s.costUsd),
          formatUsd(s.frontierCostUsd),
          formatUsd(s.savedUsd),
          s.escalations,
        ]),
      )}
      ${dataTable(
        'Per tier, 30 days',
        ['Tier', 'Requests', 'Share', 'Paid', 'p50', 'p95'],
        TIERS.map((t) => {
          const s = m.tiers[t];
          const total = s.total;
          return [
            TIER_NAMES[t],
            s.requests,
            pct(s.share),
            formatUsd(s.costUsd),
            total ? ms(total.p50) : '–',
            total ? ms(total.p95) : '–',
          ];
        }),
      )}
      ${dataTable(
        'Per day, 30 days',
        ['Day', 'Requests', 'Paid', 'All-frontier', 'Saved'],
        m.daily.map((p) => [
          p.day,
          p.requests,
          formatUsd(p.costUsd),
          formatUsd(p.frontierCostUsd),
          formatUsd(p.savedUsd),
        ]),
      )}
    </div>`;
  }

  override render() {
    const d = this.data;
    const heading = html`<h2 part="heading">Savings from routing</h2>`;
    if (this.error)
      return html`${heading}
        <p role="alert" part="error">${this.error}</p>`;
    if (!d)
      return html`${heading}
        <p part="empty">Loading the ledger…</p>`;
    const m = d.month;
    return html`${heading}
      <ul
        class="cards"
        part="cards"
        aria-label="Money saved against sending every request to the frontier model"
      >
        ${this.#card('Saved today', d.today)} ${this.#card('Saved in 7 days', d.week)}
        ${this.#card('Saved in 30 days', d.month)}
      </ul>
      ${
        m.requests === 0
          ? html`<p part="empty">No requests recorded in the last 30 days yet.</p>`
          : html`${this.#trade(m)}
              <h3>Requests per tier</h3>
              ${tierShareChart(m)}
              <ul class="legend">
                ${TIERS.map(
                  (t) =>
                    html`<li>
                      <span class="swatch tier-${t}" aria-hidden="true"></span>${TIER_NAMES[t]}
                      ${pct(m.tiers[t].share)} (${m.tiers[t].requests})
                    </li>`,
                )}
              </ul>
              <h3>Latency per tier</h3>
              ${latencyChart(m)}
              <h3>Daily cost</h3>
              ${seriesChart(m)}
              <ul class="legend">
                <li><span class="swatch paid-cost" aria-hidden="true"></span>Paid</li>
                <li><span class="swatch frontier-cost" aria-hidden="true"></span>All-frontier</li>
              </ul>`
      }
      <h3>How your router is learning</h3>
      ${this.#learning()}
      ${this.feedbackError ? html`<p role="alert" part="error">${this.feedbackError}</p>` : nothing}
      <button
        part="table-toggle"
        aria-expanded=${this.showTable ? 'true' : 'false'}
        aria-controls="tables"
        @click=${() => (this.showTable = !this.showTable)}
      >
        ${this.showTable ? 'Hide data tables' : 'Show data as tables'}
      </button>
      ${this.#tables(d)}`;
  }
}

/** A table with a caption, column headers, and rows whose first cell heads the row. */
function dataTable(
  caption: string,
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  part?: string,
) {
  return html`<table part=${part ?? nothing}>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((c) => html`<th scope="col">${c}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        ([head, ...cells]) =>
          html`<tr>
            <th scope="row">${head}</th>
            ${cells.map((c) => html`<td>${c}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

if (!customElements.get('tier-savings')) customElements.define('tier-savings', TierSavings);

declare global {
  interface HTMLElementTagNameMap {
    'tier-savings': TierSavings;
  }
  interface GlobalEventHandlersEventMap {
    'tier-savings-update': CustomEvent<SavingsData>;
  }
}
