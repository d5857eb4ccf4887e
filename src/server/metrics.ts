/**
 * Prometheus text exposition for /metrics, hand-rolled (counters and histograms by label set) so the app
 * stays runtime-neutral and dependency-free. Every series is named `tier_assist_*`.
 */

type Labels = Record<string, string>;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

// Label sets repeat (a few tiers x outcomes): remember each one's rendered key instead of sorting and
// escaping on every observation. Bounded so odd label values cannot grow it without limit.
const keyCache = new Map<string, string>();

function labelKey(labels: Labels): string {
  let raw = '';
  for (const k in labels) raw += `${k}\u0000${labels[k]}\u0001`;
  const hit = keyCache.get(raw);
  if (hit !== undefined) return hit;
  const key = renderLabels(labels);
  if (keyCache.size < 10_000) keyCache.set(raw, key);
  return key;
}

function renderLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${this.name}{${key}} ${value}`);
    return lines.join('\n');
  }
}

class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[] = LATENCY_BUCKETS,
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${key}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${key}} ${s.sum}`);
      lines.push(`${this.name}_count{${key}} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class GatewayMetrics {
  readonly requests = new Counter('tier_assist_requests_total', 'Chat requests by tier served and outcome.');
  readonly tokens = new Counter('tier_assist_tokens_total', 'Tokens by tier and kind (input, output).');
  readonly cost = new Counter('tier_assist_cost_usd_total', 'Upstream cost in USD by tier.');
  readonly retries = new Counter(
    'tier_assist_upstream_retries_total',
    'Upstream attempts retried, by tier and reason.',
  );
  readonly fallbacks = new Counter('tier_assist_fallbacks_total', 'Requests served by a fallback tier.');
  readonly rejections = new Counter(
    'tier_assist_rejections_total',
    'Requests refused before reaching an upstream, by code.',
  );
  readonly latency = new Histogram(
    'tier_assist_request_duration_seconds',
    'Whole request latency by tier and outcome.',
  );
  readonly ttfb = new Histogram(
    'tier_assist_time_to_first_byte_seconds',
    'Time to the first upstream event, by tier.',
  );
  readonly usageWritten = new Counter(
    'tier_assist_usage_records_total',
    'Usage records handed to the usage log.',
  );

  render(extra: string[] = []): string {
    return (
      [
        this.requests,
        this.tokens,
        this.cost,
        this.retries,
        this.fallbacks,
        this.rejections,
        this.latency,
        this.ttfb,
        this.usageWritten,
      ]
        .map((m) => m.render())
        .concat(extra)
        .join('\n') + '\n'
    );
  }
}
