/**
 * npm run bench:gateway [-- --json] [--paced] [--soak] [--rate N] [--seconds S] [--rounds R]
 *
 * Added latency of the gateway: autocannon sends the same streaming chat at a fixed rate, alternately
 * straight to the provider stand-in (Anthropic SSE) and through a gateway process in front of it
 * (which translates to OpenAI chunks, accounts usage, writes the JSONL usage log), in interleaved rounds
 * so both sides see the same machine noise. Prints p50/p99 per side and the difference, req/s, errors,
 * gateway RSS before/after, and lostUsageRecords (records the gateway handled minus lines written).
 * The stand-in runs in its own process (`--role upstream`), the gateway in another, autocannon here.
 * --soak: 5 minutes of rounds (30 s phases) to watch memory; default run is ~25 s.
 */
import { spawn } from 'node:child_process';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startGateway } from '../test/support/gateway.ts';
import { startUpstream } from '../test/support/upstream.ts';

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

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    role: { type: 'string' },
    target: { type: 'string' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    /** Run the gateway from the source with tsx instead of the built dist/server/cli.js. */
    source: { type: 'boolean', default: false },
    /** Evenly paced open-loop load (see paced()) instead of autocannon's per-second bursts. */
    paced: { type: 'boolean', default: false },
    /** NODE_OPTIONS for the gateway process (e.g. --import a profiler preload; see docs/bench/gateway.md). */
    'gateway-node-options': { type: 'string' },
  },
});

const REPLY =
  'Routing sends the simple requests to the small model in the browser and only the hard ones to the frontier model behind this gateway.';

if (values.role === 'upstream') {
  const up = await startUpstream({ reply: REPLY });
  console.log(`UPSTREAM ${up.url}`);
  process.on('SIGTERM', () => void up.close().then(() => process.exit(0)));
} else if (values.role === 'pipe') {
  // Control: the cheapest possible extra hop, a node:http pass-through with keep-alive, no parsing at all.
  const target = new URL(values.target!);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        agent,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`PIPE http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  await main();
}

interface Phase {
  latencies: number[];
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** User + system CPU time of a process so far, in ms (from /proc; clock ticks are 100 Hz on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

async function burst(
  url: string,
  body: string,
  seconds: number,
  rate: number,
  connections: number,
): Promise<Phase> {
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
}

/**
 * Open-loop load at an even pace: one request every 1000/rate ms (on a keep-alive pool of `connections`
 * sockets), whatever the answers do. autocannon's --overallRate instead lets each connection send its
 * whole per-second quota back to back at the start of every second, so at 200 req/s over 10 connections
 * it measures a 10-deep burst (latency = queueing behind the other 9 requests), not a steady 200 req/s.
 */
async function paced(
  url: string,
  body: string,
  seconds: number,
  rate: number,
  connections: number,
): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies: number[] = [];
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
          'content-length': Buffer.byteLength(body),
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
      // Catch up on timer lag so the offered rate stays the asked one.
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
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').at(-1));
  return total;
}

async function main(): Promise<void> {
  const rate = Number(values.rate);
  const connections = Number(values.connections);
  const seconds = Number(values.seconds ?? (values.soak ? 30 : 4));
  const rounds = Number(values.rounds ?? (values.soak ? 5 : 3));
  const say = (line: string) => {
    if (!values.json) console.log(line);
  };

  const child = async (args: string[], tag: string) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = new RegExp(`${tag} (\\S+)`).exec(out);
        if (m) resolveUrl(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`${tag} exited (${code})`)));
    });
    return { proc, url };
  };
  const { proc: upProc, url: upstreamUrl } = await child(['--role', 'upstream'], 'UPSTREAM');
  const { proc: pipeProc, url: pipeUrl } = await child(['--role', 'pipe', '--target', upstreamUrl], 'PIPE');
  // A gateway that fails to start must not leave the two helper processes running.
  process.once('exit', () => {
    upProc.kill('SIGTERM');
    pipeProc.kill('SIGTERM');
  });
  const gw = await startGateway({
    staticFiles: false,
    ...(values['gateway-node-options'] ? { env: { NODE_OPTIONS: values['gateway-node-options'] } } : {}),
    ...(values.source ? {} : { entry: 'dist/server/cli.js' }),
    config: {
      tiers: {
        mid: {
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          baseUrl: upstreamUrl,
          apiKey: 'sk-bench',
          maxTokens: 512,
        },
        frontier: {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: upstreamUrl,
          apiKey: 'sk-bench',
          maxTokens: 512,
        },
      },
      limits: { perIp: {} },
    },
  });

  const messages = [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: 'In one sentence, why route requests between model tiers?' },
  ];
  const direct = {
    url: `${upstreamUrl}/v1/messages`,
    body: JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 512,
      stream: true,
      system: messages[0]!.content,
      messages: [messages[1]],
    }),
  };
  const piped = { url: `${pipeUrl}/v1/messages`, body: direct.body };
  const through = {
    url: `${gw.url}/v1/chat/completions`,
    body: JSON.stringify({ tier: 'mid', stream: true, messages }),
  };

  say(
    `stand-in ${upstreamUrl}, gateway ${gw.url}; ${rate} req/s, ${connections} connections, ${rounds} rounds x ${seconds} s per side`,
  );
  const load = values.paced ? paced : burst;
  await load(direct.url, direct.body, 2, rate, connections);
  await load(piped.url, piped.body, 2, rate, connections);
  await load(through.url, through.body, 2, rate, connections);
  const memBefore = rssMb(gw.child!.pid!);

  const sides: Record<'direct' | 'pipe' | 'gateway', Phase[]> = { direct: [], pipe: [], gateway: [] };
  const memSeries = [memBefore];
  let gatewayCpuMs = 0;
  for (let r = 0; r < rounds; r++) {
    sides.direct.push(await load(direct.url, direct.body, seconds, rate, connections));
    sides.pipe.push(await load(piped.url, piped.body, seconds, rate, connections));
    const cpuBefore = cpuMs(gw.child!.pid!);
    const phase = await load(through.url, through.body, seconds, rate, connections);
    gatewayCpuMs += cpuMs(gw.child!.pid!) - cpuBefore;
    sides.gateway.push(phase);
    memSeries.push(rssMb(gw.child!.pid!));
    say(`round ${r + 1}/${rounds}: gateway RSS ${memSeries.at(-1)} MB`);
  }
  const memAfter = memSeries.at(-1)!;

  const handled = await metric(gw.url, 'tier_assist_usage_records_total');
  await gw.stop();
  const records = gw.readUsage();
  const written = records.length;
  // Time inside the gateway's handler (request parsed -> usage settled), from its own usage records.
  const inside = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const ttfb = records.map((r) => r.ttfbMs ?? 0).sort((a, b) => a - b);
  upProc.kill('SIGTERM');
  pipeProc.kill('SIGTERM');

  const summary = (phases: Phase[]) => {
    const all = phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
    return {
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      roundP50Ms: phases.map((p) =>
        percentile(
          [...p.latencies].sort((a, b) => a - b),
          50,
        ),
      ),
      roundP99Ms: phases.map((p) =>
        percentile(
          [...p.latencies].sort((a, b) => a - b),
          99,
        ),
      ),
      reqPerSec: phases.reduce((n, p) => n + p.requests, 0) / phases.reduce((n, p) => n + p.seconds, 0),
      requests: phases.reduce((n, p) => n + p.requests, 0),
      errors: phases.reduce((n, p) => n + p.errors + p.non2xx, 0),
    };
  };
  const d = summary(sides.direct);
  const g = summary(sides.gateway);
  const pp = summary(sides.pipe);
  // Added latency: per-round difference of percentiles (same noise within a round), median over rounds.
  const addedP50 = median(g.roundP50Ms.map((x, i) => x - d.roundP50Ms[i]!));
  const addedP99 = median(g.roundP99Ms.map((x, i) => x - d.roundP99Ms[i]!));
  // The same for the bare pass-through: what one extra process hop costs on this machine at all.
  const hopP50 = median(pp.roundP50Ms.map((x, i) => x - d.roundP50Ms[i]!));
  const hopP99 = median(pp.roundP99Ms.map((x, i) => x - d.roundP99Ms[i]!));
  const result = {
    bench: 'gateway',
    load: values.paced ? 'paced' : 'autocannon',
    soak: values.soak,
    rate,
    connections,
    rounds,
    secondsPerSide: seconds,
    direct: {
      p50Ms: round(d.p50Ms),
      p99Ms: round(d.p99Ms),
      reqPerSec: round(d.reqPerSec),
      requests: d.requests,
      errors: d.errors,
    },
    pipe: {
      p50Ms: round(pp.p50Ms),
      p99Ms: round(pp.p99Ms),
      reqPerSec: round(pp.reqPerSec),
      requests: pp.requests,
      errors: pp.errors,
    },
    gateway: {
      p50Ms: round(g.p50Ms),
      p99Ms: round(g.p99Ms),
      reqPerSec: round(g.reqPerSec),
      requests: g.requests,
      errors: g.errors,
    },
    addedP50Ms: round(addedP50),
    addedP99Ms: round(addedP99),
    gatewayCpuMsPerRequest: round(gatewayCpuMs / Math.max(1, g.requests)),
    handlerP50Ms: percentile(inside, 50),
    handlerP99Ms: percentile(inside, 99),
    upstreamFirstEventP50Ms: percentile(ttfb, 50),
    bareHopAddedP50Ms: round(hopP50),
    bareHopAddedP99Ms: round(hopP99),
    memoryMb: { before: memBefore, after: memAfter, series: memSeries },
    usageRecords: { handled, written },
    lostUsageRecords: Math.max(0, handled - written),
    targets: { addedP50Ms: 1, addedP99Ms: 5, errors: 0, lostUsageRecords: 0 },
  };
  if (!values.json) {
    console.log('');
    console.log('side      p50 ms   p99 ms   req/s   requests  errors');
    for (const [name, s] of [
      ['direct', result.direct],
      ['pipe', result.pipe],
      ['gateway', result.gateway],
    ] as const)
      console.log(
        `${name.padEnd(8)} ${String(s.p50Ms).padStart(7)} ${String(s.p99Ms).padStart(8)} ${String(s.reqPerSec).padStart(7)} ${String(s.requests).padStart(10)} ${String(s.errors).padStart(7)}`,
      );
    console.log(
      `added latency (median over rounds of per-round differences): p50 ${result.addedP50Ms} ms, p99 ${result.addedP99Ms} ms`,
    );
    console.log(
      `gateway RSS ${memBefore} MB -> ${memAfter} MB; usage records handled ${handled}, written ${written}, lost ${result.lostUsageRecords}`,
    );
  }
  console.log(JSON.stringify(result));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
