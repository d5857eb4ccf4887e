import type { ProviderKind } from '../config.ts';
import { anthropicStream } from './anthropic.ts';
import { openaiStream } from './openai.ts';
import type { ProviderStream } from './types.ts';

export const PROVIDERS: Record<ProviderKind, ProviderStream> = {
  anthropic: anthropicStream,
  openai: openaiStream,
};
export * from './types.ts';
