/** A tiny HTTP server on 127.0.0.1 for test pages and fixtures (random free port). */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

/** Return true when the route answered the request. */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface StaticServer {
  url: string;
  server: Server;
  /** Serve `body` at `path` (exact match). */
  set(path: string, body: string | Uint8Array, contentType?: string): void;
  /** Serve every `.js` file under `dir` (recursively) at `prefix` + its relative path. */
  serveScripts(dir: string, prefix: string): void;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startStaticServer(routes: Route[] = []): Promise<StaticServer> {
  const files = new Map<string, { body: string | Uint8Array; type: string }>();
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    for (const route of routes) if (route(req, res) === true) return;
    if (path === '/favicon.ico' && !files.has(path)) {
      res.writeHead(204).end();
      return;
    }
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    // CORS and CORP: a cross-origin-isolated page (the extension's offscreen document, an embedding
    // site) may load these files from another origin, with fetch() (CORS) or a plain tag (CORP).
    res
      .writeHead(200, {
        'content-type': file.type,
        'access-control-allow-origin': '*',
        'cross-origin-resource-policy': 'cross-origin',
      })
      .end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits,
    set(path, body, contentType = 'text/html; charset=utf-8') {
      files.set(path, { body, type: contentType });
    },
    serveScripts(dir, prefix) {
      for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
        const path = join(entry.parentPath, entry.name);
        const url = prefix + relative(dir, path).split(sep).join('/');
        files.set(url, { body: readFileSync(path), type: 'text/javascript' });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
