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

export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
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
      while (pending.length > 0) yield pending.shift()!;
    }
    parser.feed(decoder.decode());
    while (pending.length > 0) yield pending.shift()!;
  } finally {
    // Left early (terminal event seen, or an error): an abort signal, if any, ends the drain at once.
    if (!ended) drain(it);
  }
}
