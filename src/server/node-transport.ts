/**
 * The Node transport to providers (wired in by cli.ts): node:http(s) with keep-alive agents. Same contract
 * as the fetch transport, with less work per request than undici's fetch + web streams (the answer body is
 * the IncomingMessage itself, read as an async iterable of Buffers).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Transport, UpstreamResponse } from './providers/index.ts';

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += String(chunk);
  return text;
}

export function createNodeTransport(options: { maxSockets?: number } = {}): Transport & { close(): void } {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 }),
  };
  // Upstream URLs come from the config (a base URL and a fixed path): parse each once, not per request.
  const targets = new Map<string, { secure: boolean; hostname: string; port: string; path: string }>();
  const targetOf = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = {
        secure: u.protocol === 'https:',
        hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
      };
      if (targets.size < 256) targets.set(url, t);
    }
    return t;
  };
  const transport = (url: string, init: Parameters<Transport>[1]) =>
    new Promise<UpstreamResponse>((resolve, reject) => {
      const target = targetOf(url);
      const secure = target.secure;
      const req = (secure ? httpsRequest : httpRequest)(
        {
          hostname: target.hostname,
          ...(target.port ? { port: target.port } : {}),
          path: target.path,
          method: init.method,
          headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
          agent: secure ? agents.https : agents.http,
          signal: init.signal,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            headers: {
              get: (name) => {
                const value = res.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
              },
            },
            body: res,
            text: () => readText(res),
          });
        },
      );
      req.setNoDelay(true);
      req.on('error', reject);
      req.end(init.body);
    });
  return Object.assign(transport, {
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}
