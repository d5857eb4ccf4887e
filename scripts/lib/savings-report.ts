/**
 * Text report of a what-if result: a cost table, a Unicode bar chart, the tier mix, latency per tier and
 * example router decisions. Pure string building (the CLI prints it).
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
  const configs = [
    ['all frontier', r.prices.frontier, r.monthly.frontier, r.latency.meanMs.frontier],
    ['all mid', r.prices.mid, r.monthly.mid, r.latency.meanMs.mid],
    ['routed', 'on-device / mid / frontier', r.monthly.routed, r.latency.meanMs.routed],
  ] as const;
  out.push(
    table(
      ['configuration', 'models', 'per month', 'vs frontier', 'mean latency'],
      configs.map(([name, models, usd, latency]) => [
        name,
        models,
        formatUsd(usd),
        r.monthly.frontier === 0 ? '-' : pct(usd / r.monthly.frontier),
        ms(latency),
      ]),
      [false, false, true, true, true],
    ),
  );
  out.push('');
  out.push('Monthly cost');
  const max = Math.max(r.monthly.frontier, r.monthly.mid, r.monthly.routed);
  for (const [name, , usd] of configs)
    out.push(`${name.padEnd(12)} ${bar(usd, max).padEnd(40)} ${formatUsd(usd)}`);
  out.push('');
  out.push(
    `Routing saves ${formatUsd(r.savedVsFrontier)} a month (${pct(r.savedShare)}) against sending everything to ${r.prices.frontier}.`,
  );
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

/** The machine-readable summary printed as the last line with --json (rows omitted). */
export function jsonSummary(r: WhatIfResult): string {
  const { rows: _rows, ...rest } = r;
  return JSON.stringify(rest);
}
