/**
 * The one message protocol between extension contexts (content script, popup, options, side panel
 * <-> background). Every request name is declared once in {@link PROTOCOL} with a zod schema for its
 * payload; the result type rides along in {@link Results}. Unknown or malformed messages are rejected
 * loudly with a typed error, and errors travel as `{name, code, message, data}` and are rebuilt into
 * their classes on the other side.
 */
import { z } from 'zod';
import { InvalidInputError, deserializeError, serializeError, type SerializedError } from '../src/errors.ts';

export const PROTOCOL = {
  /** Liveness check; answers with the background's start time (changes when the worker restarts). */
  ping: z.object({}),
} as const;

export interface Results {
  ping: { pong: true; startedAt: number; version: string };
}

export type RequestName = keyof typeof PROTOCOL;
export type Payload<N extends RequestName> = z.infer<(typeof PROTOCOL)[N]>;

const EnvelopeSchema = z.object({ tierAssist: z.literal(1), name: z.string(), payload: z.unknown() });

type Reply<N extends RequestName> = { ok: true; result: Results[N] } | { ok: false; error: SerializedError };

export type Handlers = {
  [N in RequestName]: (payload: Payload<N>, sender: chrome.runtime.MessageSender) => Promise<Results[N]>;
};

/** Parses an incoming envelope: returns the request name and its validated payload, or throws InvalidInputError. */
export function parseRequest(message: unknown): { name: RequestName; payload: unknown } {
  const envelope = EnvelopeSchema.safeParse(message);
  if (!envelope.success)
    throw new InvalidInputError('Malformed extension message: expected {tierAssist: 1, name, payload}.');
  const { name } = envelope.data;
  if (!Object.hasOwn(PROTOCOL, name))
    throw new InvalidInputError(`Unknown extension message "${name}".`, { data: { name } });
  const schema = PROTOCOL[name as RequestName];
  const payload = schema.safeParse(envelope.data.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new InvalidInputError(
      `Bad payload for "${name}": ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      {
        data: { name },
      },
    );
  }
  return { name: name as RequestName, payload: payload.data };
}

/**
 * Installs the background's message listener. Messages not meant for tier-assist (no `tierAssist`
 * marker) are left alone so other listeners can answer them.
 */
export function listen(handlers: Handlers, runtime: typeof chrome.runtime = chrome.runtime): () => void {
  const listener = (
    message: unknown,
    sender: chrome.runtime.MessageSender,
    sendResponse: (reply: unknown) => void,
  ) => {
    if (typeof message !== 'object' || message === null || !('tierAssist' in message)) return false;
    void (async () => {
      try {
        const { name, payload } = parseRequest(message);
        const handler = handlers[name] as (p: unknown, s: chrome.runtime.MessageSender) => Promise<unknown>;
        sendResponse({ ok: true, result: await handler(payload, sender) });
      } catch (error) {
        sendResponse({ ok: false, error: serializeError(error) });
      }
    })();
    return true;
  };
  runtime.onMessage.addListener(listener);
  return () => runtime.onMessage.removeListener(listener);
}

/** Sends a typed request to the background and returns its result, or throws the rebuilt typed error. */
export async function request<N extends RequestName>(
  name: N,
  payload: Payload<N>,
  runtime: typeof chrome.runtime = chrome.runtime,
): Promise<Results[N]> {
  const reply = (await runtime.sendMessage({ tierAssist: 1, name, payload })) as Reply<N> | undefined;
  if (!reply)
    throw deserializeError({ code: 'internal', message: `No answer from the background for "${name}".` });
  if (!reply.ok) throw deserializeError(reply.error);
  return reply.result;
}
