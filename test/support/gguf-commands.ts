/**
 * Browser side of the model-server commands (test/support/gguf-server.ts): start a real HTTP server
 * for a generated GGUF from a browser test, make it refuse or cut off requests, read its counters.
 */
import { commands } from 'vitest/browser';
import type { LlamaGgufOptions } from './gguf.ts';
import type { ModelServerHandle, ModelServerMode, ModelServerStats } from './gguf-server.ts';

declare module 'vitest/browser' {
  interface BrowserCommands {
    modelServerStart(options?: LlamaGgufOptions & { path?: string }): Promise<ModelServerHandle>;
    modelServerMode(
      id: string,
      mode: ModelServerMode,
      options?: { cutAfter?: number; allowRange?: boolean },
    ): Promise<void>;
    modelServerStats(id: string): Promise<ModelServerStats>;
    modelServerStop(id: string): Promise<void>;
  }
}

export interface ModelServer extends ModelServerHandle {
  mode(mode: ModelServerMode, options?: { cutAfter?: number; allowRange?: boolean }): Promise<void>;
  stats(): Promise<ModelServerStats>;
  stop(): Promise<void>;
}

export async function startModelServer(
  options: LlamaGgufOptions & { path?: string } = {},
): Promise<ModelServer> {
  const handle = await commands.modelServerStart(options);
  return {
    ...handle,
    mode: (mode, o) => commands.modelServerMode(handle.id, mode, o),
    stats: () => commands.modelServerStats(handle.id),
    stop: () => commands.modelServerStop(handle.id),
  };
}
