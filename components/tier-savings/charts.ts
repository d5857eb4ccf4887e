/**
 * The dashboard's SVG charts, drawn by hand (no charting dependency): each is role="img" with a <title>
 * and a <desc> that states the numbers, and the element offers the same data as tables.
 */
import { svg, type SVGTemplateResult, type TemplateResult, html } from 'lit';
import type { Tier } from '../../src/config/schemas.ts';
import { formatUsd } from '../../src/ledger/money.ts';
import type { Summary } from '../../src/ledger/summary.ts';

export const TIER_NAMES: Record<Tier, string> = { local: 'On-device', mid: 'Mid', frontier: 'Frontier' };
const TIERS: Tier[] = ['local', 'mid', 'frontier'];

export const pct = (x: number) => `${Math.round(x * 100)}%`;
export const ms = (x: number) =>
  x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x).toLocaleString('en-US')} ms`;

function frame(
  id: string,
  title: string,
  desc: string,
  viewBox: string,
  body: SVGTemplateResult,
  part: string,
): TemplateResult {
  return html`<svg
    part="chart ${part}"
    role="img"
    aria-labelledby="${id}-title ${id}-desc"
    viewBox=${viewBox}
    preserveAspectRatio="xMinYMin meet"
  >
    <title id="${id}-title">${title}</title>
    <desc id="${id}-desc">${desc}</desc>
    ${body}
  </svg>`;
}

/** One 100%-stacked bar of requests per tier. */
export function tierShareChart(s: Summary): TemplateResult {
  let x = 0;
  const segments = TIERS.map((t) => {
    const w = s.tiers[t].share * 300;
    const seg = svg`<rect class="tier-${t}" x=${x.toFixed(2)} y="0" width=${w.toFixed(2)} height="20"></rect>`;
    x += w;
    return seg;
  });
  const desc =
    s.requests === 0
      ? 'No requests in this period.'
      : TIERS.map((t) => `${TIER_NAMES[t]} ${pct(s.tiers[t].share)} (${s.tiers[t].requests})`).join(', ') +
        '.';
  return frame(
    'share',
    `Share of ${s.requests} requests per tier, last 30 days`,
    desc,
    '0 0 300 20',
    s.requests === 0
      ? svg`<rect class="track" x="0" y="0" width="300" height="20"></rect>`
      : svg`${segments}`,
    'tier-share',
  );
}

/** p50 and p95 time to a complete answer per tier, horizontal bars on one scale. */
export function latencyChart(s: Summary): TemplateResult {
  const rows = TIERS.filter((t) => s.tiers[t].total !== null);
  const max = Math.max(1, ...rows.map((t) => s.tiers[t].total!.p95));
  const left = 70;
  const width = 300 - left - 60;
  const height = Math.max(1, rows.length) * 34;
  const body = rows.map((t, i) => {
    const p = s.tiers[t].total!;
    const y = i * 34;
    const w50 = (p.p50 / max) * width;
    const w95 = (p.p95 / max) * width;
    return svg`<g>
      <text class="label" x="0" y=${y + 14}>${TIER_NAMES[t]}</text>
      <rect class="tier-${t} p95" x=${left} y=${y + 2} width=${w95.toFixed(2)} height="12"></rect>
      <rect class="tier-${t}" x=${left} y=${y + 2} width=${w50.toFixed(2)} height="12"></rect>
      <text class="value" x=${(left + w95 + 4).toFixed(2)} y=${y + 12}>${ms(p.p95)}</text>
      <text class="small" x=${left} y=${y + 27}>p50 ${ms(p.p50)} · p95 ${ms(p.p95)}${p.exact ? '' : ' (approx.)'}</text>
    </g>`;
  });
  const desc =
    rows.length === 0
      ? 'No latency recorded in this period.'
      : rows
          .map((t) => `${TIER_NAMES[t]}: p50 ${ms(s.tiers[t].total!.p50)}, p95 ${ms(s.tiers[t].total!.p95)}`)
          .join('; ') + '.';
  return frame(
    'latency',
    'Time to a complete answer per tier (p50 and p95), last 30 days',
    desc,
    `0 0 300 ${height}`,
    svg`${body}`,
    'latency',
  );
}

/** Daily cost as paid (solid) over what all-frontier would have cost (pale), one column per day. */
export function seriesChart(s: Summary): TemplateResult {
  const days = s.daily;
  const max = Math.max(0, ...days.map((d) => Math.max(d.frontierCostUsd, d.costUsd)));
  const top = 14;
  const plot = 110;
  const left = 4;
  const width = 292;
  const step = width / Math.max(1, days.length);
  const barW = Math.max(1, step * 0.7);
  const y = (usd: number) => top + plot - (max === 0 ? 0 : (usd / max) * plot);
  const bars = days.map((d, i) => {
    const x = left + i * step + (step - barW) / 2;
    return svg`<rect class="frontier-cost" x=${x.toFixed(2)} y=${y(d.frontierCostUsd).toFixed(2)} width=${barW.toFixed(2)} height=${(top + plot - y(d.frontierCostUsd)).toFixed(2)}></rect>
      <rect class="paid-cost" x=${x.toFixed(2)} y=${y(d.costUsd).toFixed(2)} width=${barW.toFixed(2)} height=${(top + plot - y(d.costUsd)).toFixed(2)}></rect>`;
  });
  const first = days[0]?.day.slice(5) ?? '';
  const last = days.at(-1)?.day.slice(5) ?? '';
  const busiest = [...days].sort((a, b) => b.savedUsd - a.savedUsd)[0];
  const desc =
    max === 0
      ? `No spending from ${s.from} to ${s.to}.`
      : `From ${s.from} to ${s.to}: paid ${formatUsd(s.costUsd)} against ${formatUsd(s.frontierCostUsd)} all-frontier. ` +
        `Most saved on ${busiest!.day}: ${formatUsd(busiest!.savedUsd)}.`;
  return frame(
    'series',
    'Daily cost: paid vs all-frontier',
    desc,
    '0 0 300 142',
    svg`<text class="small" x=${left} y="9">${formatUsd(max)}</text>
      <line class="axis" x1=${left} x2=${left + width} y1=${top + plot + 0.5} y2=${top + plot + 0.5}></line>
      ${bars}
      <text class="small" x=${left} y="140">${first}</text>
      <text class="small end" x=${left + width} y="140">${last}</text>`,
    'series',
  );
}
