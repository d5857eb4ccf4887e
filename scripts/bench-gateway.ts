/**
 * npm run bench:gateway [-- --json] [--paced] [--saturation] [--upstream anthropic|openai|both]
 *                        [--rate N] [--seconds S] [--rounds R] [--processes N] [--soak]
 *
 * What the gateway costs next to a bare proxy. Three processes besides this one: the provider stand-in
 * (test/support/upstream.ts, Anthropic and OpenAI SSE, a 25-word answer), a bare node:http pass-through in
 * front of it (the control: the cheapest possible extra hop) and the built gateway (JSONL usage log, memory
 * store; mid = the stand-in's Anthropic API, frontier = its OpenAI-compatible API). For each upstream format
 * the same streaming chat is sent straight to the stand-in ("direct"), through the pass-through ("pipe") and
 * through the gateway, in interleaved rounds (every side of a round sees the same machine noise).
 *
 * Per format it reports the gateway's and the pipe's CPU per request (process + children, from /proc; far
 * less sensitive to a busy machine than latency), added p50/p99 (gateway minus direct, per round, median
 * over rounds, with the rounds' min-max), the bare hop's added p50/p99 the same way, their ratios, errors
 * and lostUsageRecords (records the gateway counted minus lines in the JSONL file after it flushed and
 * exited). The top-level keys are the worse of the formats run. Load average is printed; a run on a machine
 * busier than its core count says so.
 *
 * --paced       evenly paced open-loop load (one request every 1000/rate ms) instead of autocannon's
 *               per-second bursts (see docs/bench/gateway.md for what autocannon's fixed rate measures)
 * --saturation  step the paced load (250, 500, 750, 1000, 1500, 2000, 3000, 4000 req/s) against one
 *               gateway process, then two (TIER_ASSIST_PROCESSES=2), until added p99 passes 5 ms or errors
 *               appear: maxRpsAtP99Under5Ms, maxRpsAtP99Under5MsTwoProcesses, the curves, and memory per
 *               1,000 open streams (--streams N held open against a slow stand-in; RSS read)
 * --soak        5 rounds of 30 s per side
 * --profile DIR  CPU profile of the gateway (scripts/lib/cpu-profile-preload.mjs), summarised at the end
 *                (scripts/lib/cpu-profile.ts: self time per area and function, µs per request)
 * --gateway-entry PATH  run another built gateway (e.g. a `git archive` of an older commit, built there)
 * --gateway-node-options=...  NODE_OPTIONS for the gateway
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startGateway, type RunningGateway } from '../test/support/gateway.ts';
import { startUpstream } from '../test/support/upstream.ts';
import {
  burst,
  cpuMs,
  holdStreams,
  median,
  metric,
  paced,
  processTree,
  round3,
  roundPercentiles,
  rssMb,
  spread,
  type Load,
  type Phase,
} from './lib/gateway-load.ts';
import { summarise as summariseProfile } from './lib/cpu-profile.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    role: { type: 'string' },
    target: { type: 'string' },
    'slow-ms': { type: 'string' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    upstream: { type: 'string', default: 'both' },
    processes: { type: 'string', default: '1' },
    saturation: { type: 'boolean', default: false },
    streams: { type: 'string', default: '250' },
    /** Run the gateway from the source with tsx instead of the built dist/server/cli.js. */
    source: { type: 'boolean', default: false },
    /** Another built gateway entry to run (e.g. an older tree's dist/server/cli.js, for before/after). */
    'gateway-entry': { type: 'string' },
    paced: { type: 'boolean', default: false },
    /** Write a CPU profile of each gateway process to DIR and print where the time went. */
    profile: { type: 'string' },
    'gateway-node-options': { type: 'string' },
  },
});

const REPLY =
  'Routing sends the simple requests to the small model in the browser and only the hard ones to the frontier model behind this gateway.';

type Format = 'anthropic' | 'openai';
const CORES = availableParallelism();

function say(line: string): void {
  if (!values.json) console.log(line);
}

const helpers: ChildProcess[] = [];
/** Stop the helper processes (their open stdout pipes would otherwise keep this process running). */
function stopHelpers(): void {
  for (const h of helpers.splice(0)) {
    h.stdout?.destroy();
    h.kill('SIGTERM');
  }
}
process.once('exit', stopHelpers);

/** This script in another role (`--role upstream|pipe`); resolves with the URL it prints. */
async function child(args: string[], tag: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  helpers.push(proc);
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = new RegExp(`${tag} (\\S+)`).exec(out);
      if (m) resolveUrl(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`${tag} exited (${code})`)));
  });
  return { proc, url };
}

/** The built gateway: mid = the stand-in's Anthropic API, frontier = its OpenAI-compatible API. */
function benchGateway(upstreamUrl: string, processes: number): Promise<RunningGateway> {
  const env: Record<string, string> = { TIER_ASSIST_PROCESSES: String(processes) };
  const nodeOptions = [values['gateway-node-options'] ?? ''];
  if (values.profile) {
    nodeOptions.push(`--import=${resolve(ROOT, 'scripts/lib/cpu-profile-preload.mjs')}`);
    env.TIER_ASSIST_CPU_PROFILE_DIR = resolve(values.profile);
  }
  if (nodeOptions.join('').trim()) env.NODE_OPTIONS = nodeOptions.join(' ').trim();
  return startGateway({
    staticFiles: false,
    env,
    ...(values.source ? {} : { entry: values['gateway-entry'] ?? 'dist/server/cli.js' }),
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
          provider: 'openai',
          model: 'gpt-5-mini',
          baseUrl: `${upstreamUrl}/v1`,
          apiKey: 'sk-bench',
          maxTokens: 512,
        },
      },
      // No limits, sites or budgets: the bench measures the request path, not the store.
      limits: { perIp: {} },
      reliability: { fallback: false },
    },
  });
}

const MESSAGES = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'In one sentence, why route requests between model tiers?' },
];

/** The same question sent directly to the stand-in in a format, through the pipe, through the gateway. */
function targets(format: Format, upstreamUrl: string, pipeUrl: string, gatewayUrl: string) {
  const directPath = format === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
  const directBody =
    format === 'anthropic'
      ? JSON.stringify({
          model: 'claude-haiku-4-5',
          max_tokens: 512,
          stream: true,
          system: MESSAGES[0]!.content,
          messages: [MESSAGES[1]],
        })
      : JSON.stringify({
          model: 'gpt-5-mini',
          max_tokens: 512,
          stream: true,
          stream_options: { include_usage: true },
          messages: MESSAGES,
        });
  return {
    direct: { url: `${upstreamUrl}${directPath}`, body: directBody },
    pipe: { url: `${pipeUrl}${directPath}`, body: directBody },
    gateway: {
      url: `${gatewayUrl}/v1/chat/completions`,
      body: JSON.stringify({
        tier: format === 'anthropic' ? 'mid' : 'frontier',
        stream: true,
        messages: MESSAGES,
      }),
    },
  };
}

function loadNow(): number {
  return round3(loadavg()[0]!);
}

function loadWarning(loads: number[]): string | undefined {
  const worst = Math.max(...loads);
  return worst > CORES
    ? `busy machine: load average reached ${worst} on ${CORES} cores; latency figures are noise, read the CPU per request`
    : undefined;
}

interface SideSummary {
  p50Ms: number;
  p99Ms: number;
  p99MsRounds: ReturnType<typeof spread>;
  reqPerSec: number;
  requests: number;
  errors: number;
}

function summarise(phases: Phase[]): SideSummary {
  const all = phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const at = (p: number) => all[Math.min(all.length - 1, Math.max(0, Math.ceil((p / 100) * all.length) - 1))];
  return {
    p50Ms: round3(at(50) ?? Number.NaN),
    p99Ms: round3(at(99) ?? Number.NaN),
    p99MsRounds: spread(roundPercentiles(phases, 99)),
    reqPerSec: round3(phases.reduce((n, p) => n + p.requests, 0) / phases.reduce((n, p) => n + p.seconds, 0)),
    requests: phases.reduce((n, p) => n + p.requests, 0),
    errors: phases.reduce((n, p) => n + p.errors + p.non2xx, 0),
  };
}

/** Per-round differences of a percentile (same noise within a round). */
function added(side: Phase[], base: Phase[], p: number): number[] {
  const a = roundPercentiles(side, p);
  const b = roundPercentiles(base, p);
  return a.map((x, i) => x - b[i]!);
}

/**
 * added / bare hop; NaN (JSON null) when the bare hop added under 0.05 ms: a ratio over noise around zero
 * (or a negative difference, which a busy machine produces at p99) says nothing.
 */
function ratio(added: number, hop: number): number {
  return hop >= 0.05 ? round3(added / hop) : Number.NaN;
}

/** One format's sides over all rounds, and the CPU the pipe and the gateway spent on them. */
interface Sides {
  direct: Phase[];
  pipe: Phase[];
  gateway: Phase[];
  gatewayCpu: number;
  pipeCpu: number;
}

function formatResult(d: Sides) {
  const g = summarise(d.gateway);
  const pipe = summarise(d.pipe);
  const hopP50 = added(d.pipe, d.direct, 50);
  const hopP99 = added(d.pipe, d.direct, 99);
  const addP50 = added(d.gateway, d.direct, 50);
  const addP99 = added(d.gateway, d.direct, 99);
  return {
    direct: summarise(d.direct),
    pipe,
    gateway: g,
    gatewayCpuMsPerRequest: round3(d.gatewayCpu / Math.max(1, g.requests)),
    bareHopCpuMsPerRequest: round3(d.pipeCpu / Math.max(1, pipe.requests)),
    addedP50Ms: round3(median(addP50)),
    addedP99Ms: round3(median(addP99)),
    addedP50MsRounds: spread(addP50),
    addedP99MsRounds: spread(addP99),
    bareHopAddedP50Ms: round3(median(hopP50)),
    bareHopAddedP99Ms: round3(median(hopP99)),
    bareHopAddedP50MsRounds: spread(hopP50),
    bareHopAddedP99MsRounds: spread(hopP99),
    addedOverBareHopP50: ratio(median(addP50), median(hopP50)),
    addedOverBareHopP99: ratio(median(addP99), median(hopP99)),
  };
}

async function main(): Promise<void> {
  if (values.saturation) return saturation();
  const rate = Number(values.rate);
  const connections = Number(values.connections);
  const formats: Format[] =
    values.upstream === 'both'
      ? ['anthropic', 'openai']
      : [values.upstream === 'openai' ? 'openai' : 'anthropic'];
  const seconds = Number(values.seconds ?? (values.soak ? 30 : formats.length > 1 ? 2 : 4));
  const rounds = Number(values.rounds ?? 5);
  const processes = Number(values.processes);
  const loads = [loadNow()];

  const { url: upstreamUrl } = await child(['--role', 'upstream'], 'UPSTREAM');
  const { proc: pipeProc, url: pipeUrl } = await child(['--role', 'pipe', '--target', upstreamUrl], 'PIPE');
  const gw = await benchGateway(upstreamUrl, processes);
  const gwTree = () => processTree(gw.child!.pid!);
  const load: Load = values.paced ? paced : burst;

  say(
    `stand-in ${upstreamUrl}, pipe ${pipeUrl}, gateway ${gw.url} (${processes} process(es)); ${values.paced ? 'paced' : 'autocannon bursts'}, ${rate} req/s, ${connections} connections, ${rounds} rounds x ${seconds} s per side, formats ${formats.join(', ')}; load average ${loads[0]} on ${CORES} cores`,
  );
  const t = Object.fromEntries(formats.map((f) => [f, targets(f, upstreamUrl, pipeUrl, gw.url)])) as Record<
    Format,
    ReturnType<typeof targets>
  >;
  // Warm-up (JIT, keep-alive pools) on every side, not measured.
  for (const f of formats)
    for (const side of ['direct', 'pipe', 'gateway'] as const)
      await load(t[f][side].url, t[f][side].body, 2, rate, connections);
  const memBefore = rssMb(gwTree());

  const data = Object.fromEntries(
    formats.map((f) => [f, { direct: [], pipe: [], gateway: [], gatewayCpu: 0, pipeCpu: 0 } as Sides]),
  ) as Record<Format, Sides>;
  const memSeries = [memBefore];
  for (let r = 0; r < rounds; r++) {
    for (const f of formats) {
      const d = data[f];
      d.direct.push(await load(t[f].direct.url, t[f].direct.body, seconds, rate, connections));
      let before = cpuMs([pipeProc.pid!]);
      d.pipe.push(await load(t[f].pipe.url, t[f].pipe.body, seconds, rate, connections));
      d.pipeCpu += cpuMs([pipeProc.pid!]) - before;
      const tree = gwTree();
      before = cpuMs(tree);
      d.gateway.push(await load(t[f].gateway.url, t[f].gateway.body, seconds, rate, connections));
      d.gatewayCpu += cpuMs(tree) - before;
    }
    memSeries.push(rssMb(gwTree()));
    loads.push(loadNow());
    say(`round ${r + 1}/${rounds}: gateway RSS ${memSeries.at(-1)} MB, load average ${loads.at(-1)}`);
  }

  // Every request the gateway answered leaves one record; with one process its own counter says how many
  // it handled, with several the counter is per worker, so the requests it answered stand in.
  const answered = formats.reduce(
    (n, f) => n + data[f].gateway.reduce((m, p) => m + p.requests - p.errors, 0),
    0,
  );
  const handled = processes === 1 ? await metric(gw.url, 'tier_assist_usage_records_total') : answered;
  await gw.stop();
  stopHelpers();
  const records = gw.readUsage();
  const written = records.length;
  if (values.profile && !values.json)
    for (const line of summariseProfile([resolve(values.profile)], 30, written)) console.log(line);
  const warmupRequests = formats.length * 2 * rate;

  const perFormat = Object.fromEntries(formats.map((f) => [f, formatResult(data[f])])) as Record<
    Format,
    ReturnType<typeof formatResult>
  >;
  type NumericKey = {
    [K in keyof ReturnType<typeof formatResult>]: ReturnType<typeof formatResult>[K] extends number
      ? K
      : never;
  }[keyof ReturnType<typeof formatResult>];
  const worst = (key: NumericKey) => Math.max(...formats.map((f) => perFormat[f][key]));
  const lost = Math.max(0, handled - written);
  const gatewayErrors = formats.reduce((n, f) => n + perFormat[f].gateway.errors, 0);
  const result = {
    bench: 'gateway',
    load: values.paced ? 'paced' : 'autocannon',
    soak: values.soak,
    rate,
    connections,
    rounds,
    secondsPerSide: seconds,
    processes,
    formats,
    loadAverage: { cores: CORES, samples: loads, max: Math.max(...loads) },
    busyMachine: loadWarning(loads) ?? false,
    // The headline: for each key, the worse of the formats run.
    gatewayCpuMsPerRequest: worst('gatewayCpuMsPerRequest'),
    bareHopCpuMsPerRequest: worst('bareHopCpuMsPerRequest'),
    addedP50Ms: worst('addedP50Ms'),
    addedP99Ms: worst('addedP99Ms'),
    bareHopAddedP50Ms: worst('bareHopAddedP50Ms'),
    bareHopAddedP99Ms: worst('bareHopAddedP99Ms'),
    addedOverBareHopP50: worst('addedOverBareHopP50'),
    addedOverBareHopP99: worst('addedOverBareHopP99'),
    gateway: { errors: gatewayErrors },
    lostUsageRecords: lost,
    usageRecords: { handled, written, warmupRequests },
    memoryMb: { before: memBefore, after: memSeries.at(-1), series: memSeries },
    ...perFormat,
    targets: {
      gatewayCpuMsPerRequest: 0.6,
      addedOverBareHopP50: 1.25,
      addedOverBareHopP99: 1.5,
      errors: 0,
      lostUsageRecords: 0,
    },
  };
  if (!values.json) {
    console.log('');
    const fmt = (x: number) => String(x).padStart(7);
    for (const f of formats) {
      const r = perFormat[f];
      console.log(`${f} upstream`);
      console.log('  side      p50 ms   p99 ms  p99 rounds min-max   req/s  requests errors  CPU ms/req');
      for (const [name, s, cpu] of [
        ['direct', r.direct, ''],
        ['pipe', r.pipe, String(r.bareHopCpuMsPerRequest)],
        ['gateway', r.gateway, String(r.gatewayCpuMsPerRequest)],
      ] as const)
        console.log(
          `  ${name.padEnd(8)}${fmt(s.p50Ms)}  ${fmt(s.p99Ms)}  ${`${s.p99MsRounds.min}-${s.p99MsRounds.max}`.padStart(18)} ${fmt(s.reqPerSec)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(6)}  ${cpu.padStart(10)}`,
        );
      console.log(
        `  added by the gateway: p50 ${r.addedP50Ms} ms (rounds ${r.addedP50MsRounds.min}-${r.addedP50MsRounds.max}), p99 ${r.addedP99Ms} ms (rounds ${r.addedP99MsRounds.min}-${r.addedP99MsRounds.max})`,
      );
      console.log(
        `  added by the bare hop: p50 ${r.bareHopAddedP50Ms} ms (${r.bareHopAddedP50MsRounds.min}-${r.bareHopAddedP50MsRounds.max}), p99 ${r.bareHopAddedP99Ms} ms (${r.bareHopAddedP99MsRounds.min}-${r.bareHopAddedP99MsRounds.max})`,
      );
      console.log(
        `  gateway / bare hop: p50 ${r.addedOverBareHopP50}x (target <= 1.25), p99 ${r.addedOverBareHopP99}x (target <= 1.5); CPU ${r.gatewayCpuMsPerRequest} ms/req (target <= 0.6)`,
      );
    }
    console.log(
      `gateway RSS ${memBefore} MB -> ${memSeries.at(-1)} MB; usage records handled ${handled}, written ${written}, lost ${lost}; errors ${gatewayErrors}`,
    );
    const warning = loadWarning(loads);
    console.log(warning ? `WARNING: ${warning}` : `load average ${Math.max(...loads)} (<= ${CORES} cores)`);
  }
  console.log(JSON.stringify(result));
}

/** One step of the saturation curve: interleaved direct and gateway rounds at one offered rate. */
async function step(
  rate: number,
  direct: { url: string; body: string },
  gateway: { url: string; body: string },
  tree: () => number[],
) {
  const rounds = 3;
  const seconds = 2;
  const connections = Math.max(10, Math.ceil(rate / 50));
  await paced(gateway.url, gateway.body, 1, rate, connections);
  const d: Phase[] = [];
  const g: Phase[] = [];
  let cpu = 0;
  for (let r = 0; r < rounds; r++) {
    d.push(await paced(direct.url, direct.body, seconds, rate, connections));
    const pids = tree();
    const before = cpuMs(pids);
    g.push(await paced(gateway.url, gateway.body, seconds, rate, connections));
    cpu += cpuMs(pids) - before;
  }
  const gs = summarise(g);
  const addP99 = added(g, d, 99);
  return {
    offeredRps: rate,
    achievedRps: gs.reqPerSec,
    gatewayP99Ms: gs.p99Ms,
    addedP50Ms: round3(median(added(g, d, 50))),
    addedP99Ms: round3(median(addP99)),
    addedP99MsRounds: spread(addP99),
    errors: gs.errors,
    gatewayCpuMsPerRequest: round3(cpu / Math.max(1, gs.requests)),
    loadAverage: loadNow(),
  };
}

const STEPS = [250, 500, 750, 1000, 1500, 2000, 3000, 4000];

async function saturation(): Promise<void> {
  const format: Format = values.upstream === 'openai' ? 'openai' : 'anthropic';
  const loads = [loadNow()];
  const { url: upstreamUrl } = await child(['--role', 'upstream'], 'UPSTREAM');
  const curves: Record<string, Awaited<ReturnType<typeof step>>[]> = {};
  const maxRps = { maxRpsAtP99Under5Ms: 0, maxRpsAtP99Under5MsTwoProcesses: 0 };
  for (const processes of [1, 2]) {
    const gw = await benchGateway(upstreamUrl, processes);
    const t = targets(format, upstreamUrl, upstreamUrl, gw.url);
    const curve: Awaited<ReturnType<typeof step>>[] = [];
    let best = 0;
    say(`${processes} process(es), ${format} upstream; load average ${loadNow()} on ${CORES} cores`);
    for (const rate of STEPS) {
      const s = await step(rate, t.direct, t.gateway, () => processTree(gw.child!.pid!));
      curve.push(s);
      loads.push(s.loadAverage);
      say(
        `  ${String(rate).padStart(5)} req/s: achieved ${s.achievedRps}, added p50 ${s.addedP50Ms} ms, p99 ${s.addedP99Ms} ms (rounds ${s.addedP99MsRounds.min}-${s.addedP99MsRounds.max}), errors ${s.errors}, CPU ${s.gatewayCpuMsPerRequest} ms/req, load ${s.loadAverage}`,
      );
      // Past the knee: added p99 over 5 ms, errors, or the load generator could not offer the rate.
      if (s.addedP99Ms > 5 || s.errors > 0 || s.achievedRps < rate * 0.9) break;
      best = rate;
    }
    await gw.stop();
    curves[processes === 1 ? 'oneProcess' : 'twoProcesses'] = curve;
    maxRps[processes === 1 ? 'maxRpsAtP99Under5Ms' : 'maxRpsAtP99Under5MsTwoProcesses'] = best;
  }

  // Memory per open stream: hold N streams open through one gateway process against a slow stand-in.
  const count = Number(values.streams);
  const { proc: slowProc, url: slowUrl } = await child(
    ['--role', 'upstream', '--slow-ms', '2000'],
    'UPSTREAM',
  );
  const gw = await benchGateway(slowUrl, 1);
  const t = targets(format, slowUrl, slowUrl, gw.url);
  const tree = processTree(gw.child!.pid!);
  // A few streams first, so the idle reading includes warmed-up code and pools.
  const warm = await holdStreams(t.gateway.url, t.gateway.body, 20);
  warm.close();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssMb(tree);
  const held = await holdStreams(t.gateway.url, t.gateway.body, count);
  await new Promise((r) => setTimeout(r, 500));
  const open = rssMb(tree);
  held.close();
  await gw.stop();
  slowProc.kill('SIGTERM');
  stopHelpers();
  const perThousand = round3(((open - idle) * 1000) / Math.max(1, held.opened));

  // Load-insensitive companion of the curve: the request rate one core could carry at the CPU per request
  // measured at the lowest step (the latency knee moves with a busy machine's noise; this does much less).
  const cpuAt = (curve: Awaited<ReturnType<typeof step>>[] | undefined) =>
    curve?.[0]?.gatewayCpuMsPerRequest ?? 0;
  const result = {
    bench: 'gateway-saturation',
    format,
    cpuBoundRpsPerCore: round3(1000 / Math.max(1e-9, cpuAt(curves.oneProcess))),
    loadAverage: { cores: CORES, samples: loads, max: Math.max(...loads) },
    busyMachine: loadWarning(loads) ?? false,
    ...maxRps,
    curves,
    openStreams: {
      requested: count,
      opened: held.opened,
      failed: held.failed,
      rssIdleMb: idle,
      rssOpenMb: open,
    },
    memoryMbPer1000OpenStreams: perThousand,
    targets: { maxRpsAtP99Under5Ms: 1000 },
  };
  say(`CPU-bound ceiling: ${result.cpuBoundRpsPerCore} req/s per core at ${cpuAt(curves.oneProcess)} ms/req`);
  say(
    `maxRpsAtP99Under5Ms ${result.maxRpsAtP99Under5Ms}, two processes ${result.maxRpsAtP99Under5MsTwoProcesses}; ${held.opened} open streams: RSS ${idle} -> ${open} MB (${perThousand} MB per 1,000)`,
  );
  const warning = loadWarning(loads);
  if (warning) say(`WARNING: ${warning}`);
  console.log(JSON.stringify(result));
}

// Roles last: every declaration above is initialised before main() runs.
if (values.role === 'upstream') {
  const slow = values['slow-ms'] ? Number(values['slow-ms']) : 0;
  const up = await startUpstream({
    reply: REPLY,
    ...(slow > 0 ? { fault: { kind: 'slow', delayMs: slow } } : {}),
  });
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
