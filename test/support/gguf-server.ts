/**
 * Node side of the model-server browser commands: a real HTTP server on 127.0.0.1 serving generated
 * GGUF files with Range support, that tests can switch to refuse (503) or to cut a download off
 * mid-way. Registered as Vitest browser commands in vitest.config.ts; browser tests call them through
 * test/support/gguf-commands.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserCommand } from 'vitest/node';
import { makeTinyLlamaGguf, type LlamaGgufOptions } from './gguf.ts';

export type ModelServerMode = 'ok' | 'refuse' | 'cut';

export interface ModelServerHandle {
  id: string;
  /** URL of the model file. */
  url: string;
  sizeBytes: number;
}

export interface ModelServerStats {
  requests: number;
  rangeRequests: number;
  servedBytes: number;
}

interface Served {
  server: Server;
  body: Uint8Array;
  mode: ModelServerMode;
  cutAfter: number;
  allowRange: boolean;
  stats: ModelServerStats;
}

const servers = new Map<string, Served>();
let nextId = 1;

/** Start a server for one generated model (`options` are makeTinyLlamaGguf's; `bytes` overrides). */
export async function startModelServer(
  options: LlamaGgufOptions & { bytes?: Uint8Array; path?: string } = {},
): Promise<ModelServerHandle> {
  const body = options.bytes ?? makeTinyLlamaGguf(options);
  const path = options.path ?? '/models/tiny.gguf';
  const state: Served = {
    server: undefined as unknown as Server,
    body,
    mode: 'ok',
    cutAfter: 0,
    allowRange: true,
    stats: { requests: 0, rangeRequests: 0, servedBytes: 0 },
  };
  state.server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'range',
      'access-control-expose-headers': 'content-length, content-range',
      // A cross-origin-isolated page may load the model too (CORS for fetch(), CORP for a no-cors load).
      'cross-origin-resource-policy': 'cross-origin',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) {
      res.writeHead(404, cors).end();
      return;
    }
    state.stats.requests += 1;
    if (state.mode === 'refuse') {
      res.writeHead(503, { ...cors, 'content-type': 'text/plain' }).end('offline');
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && state.allowRange) {
      state.stats.rangeRequests += 1;
      start = Math.min(Number(range[1]), state.body.byteLength);
    }
    const slice = state.body.subarray(start);
    const headers: Record<string, string> = {
      ...cors,
      'content-type': 'application/octet-stream',
      'content-length': String(slice.byteLength),
    };
    if (start > 0)
      headers['content-range'] = `bytes ${start}-${state.body.byteLength - 1}/${state.body.byteLength}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (state.mode === 'cut') {
      const part = slice.subarray(0, Math.min(state.cutAfter, slice.byteLength));
      state.stats.servedBytes += part.byteLength;
      res.write(part, () => setTimeout(() => res.destroy(), 20));
      return;
    }
    state.stats.servedBytes += slice.byteLength;
    res.end(slice);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  const { port } = state.server.address() as AddressInfo;
  const id = String(nextId++);
  servers.set(id, state);
  return { id, url: `http://127.0.0.1:${port}${path}`, sizeBytes: body.byteLength };
}

function served(id: string): Served {
  const s = servers.get(id);
  if (!s) throw new Error(`no model server ${id}`);
  return s;
}

export function setModelServerMode(
  id: string,
  mode: ModelServerMode,
  options: { cutAfter?: number; allowRange?: boolean } = {},
): void {
  const s = served(id);
  s.mode = mode;
  s.cutAfter = options.cutAfter ?? s.cutAfter;
  s.allowRange = options.allowRange ?? s.allowRange;
}

export function modelServerStats(id: string): ModelServerStats {
  return { ...served(id).stats };
}

export async function stopModelServer(id: string): Promise<void> {
  const s = servers.get(id);
  if (!s) return;
  servers.delete(id);
  s.server.closeAllConnections();
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
}

/** The browser commands (see test/support/gguf-commands.ts for the typed browser-side calls). */
export const ggufServerCommands: Record<string, BrowserCommand<never[]>> = {
  modelServerStart: ((_ctx, options?: LlamaGgufOptions & { path?: string }) =>
    startModelServer(options ?? {})) as BrowserCommand<never[]>,
  modelServerMode: ((
    _ctx,
    id: string,
    mode: ModelServerMode,
    options?: { cutAfter?: number; allowRange?: boolean },
  ) => setModelServerMode(id, mode, options)) as BrowserCommand<never[]>,
  modelServerStats: ((_ctx, id: string) => modelServerStats(id)) as BrowserCommand<never[]>,
  modelServerStop: ((_ctx, id: string) => stopModelServer(id)) as BrowserCommand<never[]>,
};
