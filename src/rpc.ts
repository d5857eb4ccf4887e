/**
 * The typed request/response core both of our message channels share: the extension's channel over
 * `chrome.runtime` (extension/shared/channel.ts) and the page <-> triage Web Worker channel
 * (src/triage/protocol.ts, worker.ts, worker-client.ts). A request is validated once, at the
 * receiving boundary, against the schema its protocol declares for that name (unknown names and bad
 * payloads are InvalidInputError); a handler's outcome travels as a {@link Reply} with errors
 * serialized as `{name, code, message, data}`; the sender keeps its pending requests by id and
 * rebuilds errors into their classes. Transport-free and pure, so both sides and tests use it as is.
 */
import type { z } from 'zod';
import { deserializeError, InvalidInputError, serializeError, type SerializedError } from './errors.ts';

export type Reply = { ok: true; result: unknown } | { ok: false; error: SerializedError };
/** A reply as it arrives: its error is rebuilt by deserializeError, whatever its code. */
export type ReceivedReply = { ok: true; result: unknown } | { ok: false; error: unknown };

/**
 * Validate a request: `schemaOf(name)` is the protocol's payload schema for that name (undefined:
 * not in the protocol). `what` names the channel in the error ("extension message", ...).
 */
export function parseRequest<N extends string>(
  schemaOf: (name: string) => z.ZodType | undefined,
  name: string,
  payload: unknown,
  what: string,
): { name: N; payload: unknown } {
  const schema = schemaOf(name);
  if (!schema) throw new InvalidInputError(`Unknown ${what} "${name}".`, { data: { name } });
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new InvalidInputError(`Bad payload for "${name}": ${field} ${issue?.message ?? ''}`.trim(), {
      data: { name, field },
    });
  }
  return { name: name as N, payload: result.data };
}

/** Run a handler and turn its outcome, value or error, into the reply that crosses the boundary. */
export async function answer(run: () => unknown): Promise<Reply> {
  try {
    return { ok: true, result: await run() };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Progress frames that arrive before the reply (training epochs, a suggestion so far). */
  onPartial?: ((value: unknown) => void) | undefined;
}

/** The sender's side: requests in flight by id, settled by their reply (errors rebuilt into classes). */
export class PendingRequests {
  #next = 1;
  readonly #waiting = new Map<number, Waiter>();

  /** Register a request; returns its id (send it with the request). */
  add(waiter: Waiter): number {
    const id = this.#next++;
    this.#waiting.set(id, waiter);
    return id;
  }

  partial(id: number, value: unknown): void {
    this.#waiting.get(id)?.onPartial?.(value);
  }

  /** Settle a request with its reply; a reply for an unknown (dropped, cancelled) id is ignored. */
  settle(id: number, reply: ReceivedReply): void {
    const waiter = this.#waiting.get(id);
    if (!waiter) return;
    this.#waiting.delete(id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(deserializeError(reply.error));
  }

  /** Forget a request (cancelled, or its send failed); true when it was still waiting. */
  drop(id: number): boolean {
    return this.#waiting.delete(id);
  }

  /** Fail every request in flight (the other side went away). */
  failAll(error: unknown): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiting) waiter.reject(error);
  }
}
