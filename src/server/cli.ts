/**
 * `npm start`: the gateway on Node, also serving the demo site (public/) and the built components
 * (dist/components) so a newcomer sees the product at http://localhost:8787.
 */
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.ts';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

export function startServer(options: { port: number; hostname?: string; root?: string }) {
  const root = options.root ?? findRoot(dirname(fileURLToPath(import.meta.url)));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const app = createApp({ version: pkg.version });
  const rel = (p: string) => relative(process.cwd(), resolve(root, p)) || '.';
  app.use('/components/*', serveStatic({ root: rel('dist') }));
  app.use('/*', serveStatic({ root: rel('public') }));
  return serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' });
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = Number(process.env.PORT ?? 8787);
  startServer({ port });
  console.log(`tier-assist gateway and demo on http://localhost:${port}`);
}
