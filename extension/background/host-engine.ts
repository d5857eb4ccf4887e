/**
 * The engine host's model (the offscreen document, ADR 0002) as the cascade and LLM triage see an
 * on-device engine: one chat at a time through `engine.chat`, answered whole (one delta), with
 * token counts estimated from the text since the host's chat reports none.
 */
import type { CascadeEngine } from '../../src/assist/types.ts';
import { createGenerationStream } from '../../src/engines/stream.ts';
import type { ChatMessage, FinishReason } from '../../src/engines/types.ts';
import { InvalidInputError } from '../../src/errors.ts';
import { approxTokens } from '../shared/stats.ts';

export type HostChat = (
  id: string,
  messages: ChatMessage[],
) => Promise<{ text: string; model: string; finishReason: FinishReason }>;

export function hostEngine(chat: HostChat, id: string, now: () => number): CascadeEngine {
  return {
    capabilities: { logprobs: false },
    chat: (messages) =>
      createGenerationStream(async (emit) => {
        const started = now();
        const out = await chat(id, messages);
        emit(out.text);
        const ms = now() - started;
        const promptTokens = approxTokens(messages.map((m) => m.content).join('\n'));
        return {
          ...out,
          usage: { promptTokens, completionTokens: approxTokens(out.text) },
          timings: { ttftMs: ms, totalMs: ms, decodeTokPerSec: 0 },
        };
      }),
    complete: () => {
      throw new InvalidInputError(
        'Extension jobs chat with the on-device model; they never complete a prefix.',
      );
    },
  };
}
