/** Read an HTTP body (any async iterable of bytes) as server-sent events (eventsource-parser). */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  // Leaving the loop early (break, throw) calls the body's return(), which releases the connection.
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift()!;
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift()!;
}
