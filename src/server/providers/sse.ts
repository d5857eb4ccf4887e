/** Read an HTTP body (any async iterable of bytes) as server-sent events (eventsource-parser). */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Read what is left of a body we stopped caring about (after message_stop / [DONE]) so the keep-alive
 * connection goes back to the pool instead of being destroyed; give up after `ms`.
 */
function drain(it: AsyncIterator<Uint8Array>, ms = 2000): void {
  const timer = setTimeout(() => void it.return?.()?.catch(() => undefined), ms);
  void (async () => {
    try {
      for (;;) if ((await it.next()).done) break;
    } catch {
      // aborted or reset: nothing to keep
    } finally {
      clearTimeout(timer);
    }
  })();
}

/**
 * The events of each network read as one array: a provider loops over them synchronously, so an answer
 * costs one async step per read instead of one per event (an upstream usually sends many events a read).
 */
export async function* readSseBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage[]> {
  let pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  const it = body[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) {
        ended = true;
        break;
      }
      parser.feed(decoder.decode(next.value, { stream: true }));
      if (pending.length > 0) {
        const batch = pending;
        pending = [];
        yield batch;
      }
    }
    parser.feed(decoder.decode());
    if (pending.length > 0) yield pending;
  } finally {
    // Left early (terminal event seen, or an error): an abort signal, if any, ends the drain at once.
    if (!ended) drain(it);
  }
}

/** The same events one at a time. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  for await (const batch of readSseBatches(body)) yield* batch;
}
