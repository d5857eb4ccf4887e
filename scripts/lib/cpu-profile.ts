/**
 * Where a V8 CPU profile (.cpuprofile, from --cpu-prof or scripts/lib/cpu-profile-preload.mjs) spends its
 * time: self time per function and per area (our gateway code, Hono, node:http, streams, GC...), without a
 * flame-graph tool.
 *
 *   npx tsx scripts/lib/cpu-profile.ts DIR_OR_FILES... [--top 30] [--requests N]
 *
 * With --requests N the figures are also divided per request (µs per request).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  area: string;
  ms: number;
}

/** Which part of the stack a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url.includes('/src/server/') || url.includes('dist/server/cli.js')) return 'gateway code';
  if (url.includes('node_modules/hono') || url.includes('@hono')) return 'hono';
  if (url.includes('node_modules/zod')) return 'zod';
  if (url.includes('eventsource-parser')) return 'eventsource-parser';
  if (/node:internal\/(http|_http)|node:_http|node:http/.test(url)) return 'node http';
  if (/node:internal\/webstreams|node:internal\/deps\/undici/.test(url)) return 'web streams / undici';
  if (/node:internal\/streams|node:stream/.test(url)) return 'node streams';
  if (/node:net|node:internal\/net|stream_base_commons/.test(url)) return 'node net (sockets)';
  if (/node:internal\/(process\/task_queues|timers)|node:timers/.test(url)) return 'ticks and timers';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return 'native / builtins';
  return 'other';
}

export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    ms.set(id, (ms.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const merged = new Map<string, SelfTime>();
  for (const [id, t] of ms) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.split('/').slice(-2).join('/');
    const name = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    const entry = merged.get(name) ?? { name, area: areaOf(frame), ms: 0 };
    entry.ms += t;
    merged.set(name, entry);
  }
  return [...merged.values()].sort((a, b) => b.ms - a.ms);
}

function files(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(p, f))
      : [p],
  );
}

/** Summary lines of the profiles at `paths`: busy time, time per area, the top self-time functions. */
export function summarise(paths: string[], top = 30, requests?: number): string[] {
  const all = files(paths).flatMap((f) => selfTimes(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile));
  const merged = new Map<string, SelfTime>();
  for (const s of all) {
    const e = merged.get(s.name) ?? { ...s, ms: 0 };
    e.ms += s.ms;
    merged.set(s.name, e);
  }
  const fns = [...merged.values()].sort((a, b) => b.ms - a.ms);
  const busy = fns.filter((f) => f.area !== 'idle').reduce((n, f) => n + f.ms, 0);
  const per = (x: number) => (requests ? `  ${((x * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '');
  const areas = new Map<string, number>();
  for (const f of fns) if (f.area !== 'idle') areas.set(f.area, (areas.get(f.area) ?? 0) + f.ms);
  const lines = [`busy ${busy.toFixed(0)} ms${requests ? ` over ${requests} requests` : ''}${per(busy)}`, ''];
  lines.push('by area (self time):');
  for (const [area, t] of [...areas].sort((a, b) => b[1] - a[1]))
    lines.push(
      `  ${area.padEnd(24)} ${t.toFixed(0).padStart(6)} ms ${((100 * t) / busy).toFixed(1).padStart(5)}%${per(t)}`,
    );
  lines.push('', `top ${top} functions (self time):`);
  for (const f of fns.filter((x) => x.area !== 'idle').slice(0, top))
    lines.push(
      `  ${f.ms.toFixed(1).padStart(7)} ms ${((100 * f.ms) / busy).toFixed(1).padStart(5)}%  [${f.area}] ${f.name}${per(f.ms)}`,
    );
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, requests: { type: 'string' } },
  });
  const requests = values.requests ? Number(values.requests) : undefined;
  for (const line of summarise(positionals, Number(values.top), requests)) console.log(line);
}
