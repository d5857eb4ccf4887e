/**
 * Cross-origin isolation for the files the gateway serves (the demo pages in public/ and the built
 * components in dist/components). The wasm engine runs llama.cpp on several threads only where
 * SharedArrayBuffer exists, i.e. in a cross-origin-isolated page: COOP `same-origin` + COEP on the
 * document. See docs/isolation.md for what an embedding site needs.
 *
 * - COOP `same-origin` and COEP (`require-corp` by default: every browser with SharedArrayBuffer
 *   supports it, Safari included; `credentialless` is Chromium and Firefox only) make our own pages
 *   isolated. On scripts and wasm they are harmless, and a worker script that carries them may start
 *   under an isolated page.
 * - `Cross-Origin-Resource-Policy: cross-origin` and `Access-Control-Allow-Origin: *` let an isolated
 *   page on another origin load these public files: module scripts and fetch() (the wasm, a GGUF put
 *   in public/) are CORS requests, a classic `<script>` or `<img>` is a no-cors one that COEP lets through
 *   only with CORP. Nothing here is private and no credentials are allowed, so `*` is safe.
 * - The gateway's API (/v1/*) is answered before this runs and keeps its own per-origin CORS, which is
 *   all an isolated page needs to call it (COEP does not block CORS responses).
 */
import type { MiddlewareHandler } from 'hono';

export type EmbedderPolicy = 'require-corp' | 'credentialless';

export interface IsolationOptions {
  /** COEP value for our own documents (default `require-corp`). */
  embedderPolicy?: EmbedderPolicy;
}

export function crossOriginIsolation(options: IsolationOptions = {}): MiddlewareHandler {
  const embedderPolicy = options.embedderPolicy ?? 'require-corp';
  return async function isolateStaticFiles(c, next) {
    await next();
    c.header('cross-origin-opener-policy', 'same-origin');
    c.header('cross-origin-embedder-policy', embedderPolicy);
    c.header('cross-origin-resource-policy', 'cross-origin');
    c.header('access-control-allow-origin', '*');
  };
}
