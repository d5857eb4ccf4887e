/**
 * Text report of a what-if result: a cost table with the expected quality of each configuration (and
 * where that figure was measured), a Unicode bar chart, the tier mix, latency per tier and example router
 * decisions. Pure string building (the CLI prints it).
 */
import type { WhatIfResult } from '../../src/ledger/what-if.ts';
import { formatUsd } from '../../src/ledger/money.ts';

const TIER_LABEL = { local: 'on-device', mid: 'mid', frontier: 'frontier' } as const;

/** A horizontal bar of `width` cells for value/max, with eighth-block precision. */
export function bar(value: number, max: number, width = 40): string {
  if (!(max > 0) || !(value > 0)) return '';
  const eighths = Math.round((value / max) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return '█'.repeat(full) + (rest ? ' ▏▎▍▌▋▊▉'[rest]! : '');
}

function table(header: string[], rows: string[][], alignRight: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x).toLocaleString('en-US')} ms`);
const truncate = (text: string, n: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= n ? flat : `${flat.slice(0, n - 1)}…`;
};

export function renderReport(r: WhatIfResult): string {
  const out: string[] = [];
  out.push(
    `What-if: ${r.prompts} sample prompts standing for ${r.perDay.toLocaleString('en-US')} requests/day ` +
      `(${r.requestsPerMonth.toLocaleString('en-US')} a month of ${r.daysPerMonth} days); ` +
      `prices v${r.prices.version} of ${r.prices.recordedOn}.`,
  );
  out.push('');
  const q = r.quality;
  const configs = [
    ['all frontier', r.prices.frontier, r.monthly.frontier, q.frontier, r.latency.meanMs.frontier],
    ['all mid', r.prices.mid, r.monthly.mid, q.mid, r.latency.meanMs.mid],
    ['routed', 'on-device / mid / frontier', r.monthly.routed, q.routed, r.latency.meanMs.routed],
  ] as const;
  out.push(
    table(
      ['configuration', 'models', 'per month', 'vs frontier', 'expected quality*', 'mean latency'],
      configs.map(([name, models, usd, quality, latency]) => [
        name,
        models,
        formatUsd(usd),
        r.monthly.frontier === 0 ? '-' : pct(usd / r.monthly.frontier),
        pct(quality),
        ms(latency),
      ]),
      [false, false, true, true, true, true],
    ),
  );
  out.push(qualityFootnote(r));
  out.push('');
  out.push('Monthly cost');
  const max = Math.max(r.monthly.frontier, r.monthly.mid, r.monthly.routed);
  for (const [name, , usd] of configs)
    out.push(`${name.padEnd(12)} ${bar(usd, max).padEnd(40)} ${formatUsd(usd)}`);
  out.push('');
  out.push(
    `Routing saves ${formatUsd(r.savedVsFrontier)} a month (${pct(r.savedShare)}) against sending everything to ${r.prices.frontier}.`,
  );
  out.push(tradeSentence(r));
  out.push('');
  out.push(
    'Tier mix and the latency each tier adds (assumptions of ' +
      r.latency.recordedOn +
      ', see docs/savings.md)',
  );
  out.push(
    table(
      ['tier', 'prompts', 'share', '', 'TTFT', 'tok/s', 'mean answer time'],
      (['local', 'mid', 'frontier'] as const).map((t) => [
        TIER_LABEL[t],
        String(r.mix[t].prompts),
        pct(r.mix[t].share),
        bar(r.mix[t].share, 1, 20),
        ms(r.latency.assumptions[t].ttftMs),
        String(r.latency.assumptions[t].tokensPerSecond),
        ms(r.latency.perTierMs[t]),
      ]),
      [false, true, true, false, true, true, true],
    ),
  );
  out.push('');
  out.push('Example decisions');
  for (const e of r.examples)
    out.push(`  [${TIER_LABEL[e.tier]}] (${e.task}) "${truncate(e.prompt, 60)}"\n      ${e.reason}`);
  return out.join('\n');
}

/** Where the quality column comes from, and what it does not say. */
export function qualityFootnote(r: WhatIfResult): string {
  const q = r.quality;
  const ci = q.routedCi95 ? ` (95% interval ${pct(q.routedCi95[0])}-${pct(q.routedCi95[1])})` : '';
  return [
    `* accuracy relative to all-frontier: routed keeps ${pct(q.routed)}${ci}, all mid ${pct(q.mid)}, ` +
      `on-device only ${pct(q.local)}.`,
    `  Measured on ${q.source}.`,
    "  A benchmark's mix, not your prompts: what each choice tends to buy, not a promise for this sample.",
  ].join('\n');
}

/** One sentence that puts the cheapest option's price next to what it gives up. */
export function tradeSentence(r: WhatIfResult): string {
  const q = r.quality;
  const gap = r.monthly.routed - r.monthly.mid;
  if (gap > 0 && q.mid >= q.routed)
    return (
      `All mid is ${formatUsd(gap)} a month cheaper than routed and keeps at least as much frontier ` +
      `accuracy (${pct(q.mid)} vs ${pct(q.routed)}) at knob ${q.knob}: raise --quality, or send this traffic to mid.`
    );
  if (gap > 0)
    return (
      `All mid is ${formatUsd(gap)} a month cheaper than routed, but keeps ${pct(q.mid)} of frontier ` +
      `accuracy where routed keeps ${pct(q.routed)} (${((q.routed - q.mid) * 100).toFixed(1)} points more).`
    );
  return `Routed costs no more than all mid and keeps ${pct(q.routed)} of frontier accuracy (all mid: ${pct(q.mid)}).`;
}

/** The machine-readable summary printed as the last line with --json (rows omitted). */
export function jsonSummary(r: WhatIfResult): string {
  const { rows: _rows, ...rest } = r;
  return JSON.stringify(rest);
}
