/**
 * The gateway's SSE output: OpenAI `chat.completion.chunk` events of one answer, and a byte stream that
 * writes them in batches. Deltas parsed from one upstream network read arrive within microtasks of each
 * other; they are gathered and written once per read (one syscall instead of one per delta), flushed on
 * the next macrotask. (Reading the upstream's SSE is providers/sse.ts.)
 */
import type { TierError } from '../errors.ts';

const encoder = new TextEncoder();

export const SSE_DONE = 'data: [DONE]\n\n';

export function sseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** The last event of an answer: no choices, the usage and the gateway's meta. */
export interface AnswerTail {
  usage: unknown;
  tier_assist: unknown;
}

export interface ChunkEncoder {
  /** A content delta; `first` adds `"role":"assistant"`. */
  content(text: string, first: boolean): string;
  /** The empty delta that carries the finish reason. */
  finish(reason: string): string;
  /** The usage event that ends a complete answer. */
  tail(tail: AnswerTail): string;
  /** The event that ends an answer cut mid-stream (the HTTP status is already 200). */
  error(error: TierError, tail: AnswerTail): string;
}

export function chunkEncoder(id: string, created: number, model: string): ChunkEncoder {
  // Every chunk shares its head and tail: build them once and JSON-encode only the delta text (the
  // bytes are exactly those of JSON.stringify on the whole chunk object, in the same key order).
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  return {
    content: (text, first) =>
      `${head}{${first ? '"role":"assistant",' : ''}"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`,
    finish: (reason) => `${head}{},"finish_reason":${JSON.stringify(reason)}}]}\n\n`,
    tail: (tail) => sseEvent({ id, object: 'chat.completion.chunk', created, model, choices: [], ...tail }),
    error: (error, tail) =>
      sseEvent({ error: { code: error.code, message: error.message, type: error.name }, ...tail }),
  };
}

/** Where an answer's producer writes. */
export interface SseSink {
  /** Queue text; it goes out with everything else written before the next macrotask. */
  write(text: string): void;
  /** Flush and close the stream. */
  end(): void;
  /** Error the stream (the client sees a cut connection). */
  error(reason: unknown): void;
  /** True once the reader has cancelled: writes are dropped. */
  cancelled(): boolean;
}

const later: (fn: () => void) => void =
  (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0));

/**
 * A byte stream fed by `produce`, which starts at once and writes through the sink. `onCancel` runs when
 * the reader goes away (after `cancelled()` turns true).
 */
export function batchedSseStream(
  produce: (sink: SseSink) => void,
  onCancel: (reason: unknown) => Promise<void>,
): ReadableStream<Uint8Array> {
  // `cancelled` is a method, not a getter: a getter in this per-answer object literal doubled the young
  // objects surviving each scavenge in the built gateway (+5% CPU per request; docs/bench/gateway.md).
  const state = { cancelled: false };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let pending = '';
      let scheduled = false;
      const flush = () => {
        scheduled = false;
        if (pending === '' || state.cancelled) return;
        const out = encoder.encode(pending);
        pending = '';
        controller.enqueue(out);
      };
      produce({
        write(text) {
          pending += text;
          if (!scheduled) {
            scheduled = true;
            later(flush);
          }
        },
        end() {
          flush();
          if (!state.cancelled) controller.close();
        },
        error(reason) {
          if (!state.cancelled) controller.error(reason);
        },
        cancelled: () => state.cancelled,
      });
    },
    async cancel(reason) {
      state.cancelled = true;
      await onCancel(reason);
    },
  });
}
