/**
 * Load generators and process readings for scripts/bench-gateway.ts: autocannon's per-second bursts, an
 * evenly paced open-loop load, percentiles and spreads over interleaved rounds, and CPU / RSS of a process
 * tree read from /proc (a clustered gateway is a primary plus its workers).
 */
import { Agent, request as httpRequest } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The slice of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
interface AutocannonInstance {
  on(
    event: 'response',
    fn: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): AutocannonInstance;
  once(event: 'done', fn: (result: AutocannonResult) => void): AutocannonInstance;
  once(event: 'error', fn: (error: unknown) => void): AutocannonInstance;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>,
) => AutocannonInstance;

/** One side's measurements in one round. */
export interface Phase {
  latencies: number[];
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
}

export type Load = (
  url: string,
  body: string,
  seconds: number,
  rate: number,
  connections: number,
) => Promise<Phase>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Median and min-max of per-round values: one run shows how far its own rounds disagree. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}
export function spread(xs: number[]): Spread {
  return { median: round3(median(xs)), min: round3(Math.min(...xs)), max: round3(Math.max(...xs)) };
}

/** p-th percentile of each round's latencies. */
export function roundPercentiles(phases: Phase[], p: number): number[] {
  return phases.map((ph) =>
    percentile(
      [...ph.latencies].sort((a, b) => a - b),
      p,
    ),
  );
}

const pids = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}

/** A process and all its descendants (a clustered gateway: the primary and its workers). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const ppid = Number(statFields(pid)?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** User + system CPU time of a process tree so far, in ms (clock ticks are 100 Hz on Linux). */
export function cpuMs(tree: number[]): number {
  let total = 0;
  for (const pid of tree) {
    const f = statFields(pid);
    if (f) total += (Number(f[11]) + Number(f[12])) * 10;
  }
  return total;
}

/** Resident memory of a process tree, MB. */
export function rssMb(tree: number[]): number {
  let kb = 0;
  for (const pid of tree) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * autocannon at `rate` over `connections`: its overallRate is a per-connection quota per second, so every
 * second starts with a closed-loop burst of `connections` requests in flight (docs/bench/gateway.md).
 */
export const burst: Load = async (url, body, seconds, rate, connections) => {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body,
    duration: seconds,
    connections,
    overallRate: rate,
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await new Promise<AutocannonResult>((r, reject) =>
    instance.once('done', r).once('error', reject),
  );
  return {
    latencies,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds: result.duration,
  };
};

/**
 * Open-loop load at an even pace: one request every 1000/rate ms (on a keep-alive pool of `connections`
 * sockets), whatever the answers do, each measured from send to last byte. Timer lag is caught up, so the
 * offered rate stays the asked one.
 */
export const paced: Load = async (url, body, seconds, rate, connections) => {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies: number[] = [];
  const length = Buffer.byteLength(body);
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  let inFlight = 0;
  const one = () => {
    const t0 = performance.now();
    inFlight++;
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'content-length': length,
        },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          inFlight--;
          const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
          if (ok) latencies.push(performance.now() - t0);
          else non2xx++;
        });
      },
    );
    req.on('error', () => {
      inFlight--;
      errors++;
    });
    req.end(body);
  };
  const start = performance.now();
  const total = Math.round(seconds * rate);
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        one();
      }
      if (sent < total) setTimeout(tick, Math.max(0, (sent * 1000) / rate - (performance.now() - start)));
      else done();
    };
    tick();
  });
  const deadline = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();
  return {
    latencies,
    requests: sent,
    errors: errors + inFlight,
    non2xx,
    seconds: (performance.now() - start) / 1000,
  };
};

/**
 * Open `count` streams at once and keep them open (the stand-in answers slowly); resolves when every one
 * has its response headers, with a function that cuts them all. Used to read memory per open stream.
 */
export async function holdStreams(
  url: string,
  body: string,
  count: number,
): Promise<{ opened: number; failed: number; close(): void }> {
  const agent = new Agent({ keepAlive: false, maxSockets: count });
  const target = new URL(url);
  const requests: ReturnType<typeof httpRequest>[] = [];
  let opened = 0;
  let failed = 0;
  await new Promise<void>((done) => {
    const settle = () => {
      if (opened + failed === count) done();
    };
    for (let i = 0; i < count; i++) {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('error', () => undefined);
          if ((res.statusCode ?? 0) === 200) opened++;
          else failed++;
          settle();
        },
      );
      req.on('error', () => {
        failed++;
        settle();
      });
      req.end(body);
      requests.push(req);
    }
  });
  return {
    opened,
    failed,
    close() {
      for (const r of requests) r.destroy();
      agent.destroy();
    },
  };
}

/** Sum of a Prometheus counter's samples (all label sets). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').at(-1));
  return total;
}
