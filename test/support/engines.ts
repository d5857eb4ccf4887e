/**
 * Scripted stand-ins for the two answerers the cascade talks to: a LocalEngine that streams fixed
 * answers word by word (honouring the AbortSignal), and a gateway (RemoteChat) that streams a fixed
 * answer with the gateway's usage and cost. Both produce the project's one TextStream
 * (src/engines/stream.ts), so they behave like the real engine and GatewayClient towards a reader.
 */
import type { RemoteChat } from '../../src/assist/types.ts';
import { createTextChannel } from '../../src/engines/stream.ts';
import type {
  ChatMessage,
  FinishReason,
  GenerateOptions,
  GenerateResult,
  LocalEngine,
} from '../../src/engines/types.ts';
import type { RemoteChatRequest, RemoteResult } from '../../src/remote/index.ts';

export interface ScriptedEngine extends LocalEngine {
  /** Each chat's messages, and each completion's prefix, in order. */
  chats: ChatMessage[][];
  prefixes: string[];
  options: GenerateOptions[];
}

/** Answers every request with the next of `answers` (the last one repeats); `fail` rejects instead. */
export function scriptedEngine(
  answers: string[],
  options: { fail?: Error; finish?: FinishReason } = {},
): ScriptedEngine {
  const queue = [...answers];
  const next = () => (queue.length > 1 ? queue.shift()! : (queue[0] ?? ''));
  const stream = (answer: string, opts: GenerateOptions) => {
    const ch = createTextChannel<GenerateResult>();
    const result = (text: string, finishReason: FinishReason): GenerateResult => ({
      text,
      finishReason,
      usage: { promptTokens: 5, completionTokens: Math.max(1, text.split(' ').length) },
      timings: { ttftMs: 1, totalMs: 2, decodeTokPerSec: 100 },
      model: 'scripted-1b',
    });
    void (async () => {
      if (options.fail) return ch.fail(options.fail);
      let text = '';
      for (const word of answer.split(/(?<= )/)) {
        await new Promise((r) => setTimeout(r, 1));
        if (opts.signal?.aborted) return ch.finish(result(text, 'abort'));
        text += word;
        ch.push(word);
      }
      ch.finish(result(text, options.finish ?? 'stop'));
    })();
    return ch.stream;
  };
  const engine: ScriptedEngine = {
    chats: [],
    prefixes: [],
    options: [],
    capabilities: { kind: 'wasm', jsonSchema: false, logprobs: false, completion: true, gpu: false },
    model: { id: 'scripted-1b', label: 'Scripted 1B', sizeBytes: 1, memoryBytes: 1, engine: 'wasm' },
    load: async () => undefined,
    unload: async () => undefined,
    chat(messages, opts = {}) {
      engine.chats.push(messages);
      engine.options.push(opts);
      return stream(next(), opts);
    },
    complete(prefix, opts = {}) {
      engine.prefixes.push(prefix);
      engine.options.push(opts);
      return stream(next(), opts);
    },
  };
  return engine;
}

export interface ScriptedGateway extends RemoteChat {
  requests: RemoteChatRequest[];
}

/** A gateway that answers every tier with `answer` (streamed in words), or fails with `fail`. */
export function scriptedGateway(answer: string, options: { fail?: Error } = {}): ScriptedGateway {
  const gateway: ScriptedGateway = {
    requests: [],
    chat(request) {
      gateway.requests.push(request);
      const ch = createTextChannel<RemoteResult>();
      void (async () => {
        await new Promise((r) => setTimeout(r, 1));
        if (options.fail) return ch.fail(options.fail);
        for (const part of answer.split(/(?<= )/)) ch.push(part);
        ch.finish({
          text: answer,
          finishReason: 'stop',
          model: `${request.tier}-model`,
          usage: { promptTokens: 10, completionTokens: 4 },
          meta: {
            tier: request.tier,
            model: `${request.tier}-model`,
            costUsd: 0.00003,
            frontierCostUsd: 0.00015,
          },
          timings: { ttftMs: 1, totalMs: 2 },
        });
      })();
      return ch.stream;
    },
  };
  return gateway;
}
