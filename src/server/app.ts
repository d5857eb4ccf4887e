import { Hono } from 'hono';

export interface AppOptions {
  /** Version reported by /healthz. */
  version?: string;
}

/** The gateway as a runtime-neutral Hono app (Node serves it in cli.ts; tests call `app.request()`). */
export function createApp(options: AppOptions = {}): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  app.get('/healthz', (c) =>
    c.json({
      status: 'ok',
      version: options.version ?? '0.0.0',
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    }),
  );
  return app;
}
