/**
 * A typed request/response channel over `chrome.runtime` messages. A protocol is a map from request
 * name to the zod schema of its payload; results are typed by a parallel interface. Every envelope
 * carries a marker (`tierAssist` for the public protocol, `tierAssistOffscreen` for the background
 * <-> offscreen one) so each listener answers only its own messages and leaves others alone.
 * Unknown or malformed messages are rejected loudly; errors travel as `{name, code, message, data}`
 * and are rebuilt into their classes on the other side.
 */
import type { z } from 'zod';
import { deserializeError, InvalidInputError, serializeError, type SerializedError } from '../src/errors.ts';

export type Protocol = Record<string, z.ZodType>;
type Reply = { ok: true; result: unknown } | { ok: false; error: SerializedError };
type Runtime = Pick<typeof chrome.runtime, 'onMessage' | 'sendMessage'>;

export type HandlersFor<P extends Protocol, R extends { [K in keyof P]: unknown }> = {
  [N in keyof P]: (payload: z.infer<P[N]>, sender: chrome.runtime.MessageSender) => Promise<R[N]>;
};

export interface Channel<P extends Protocol, R extends { [K in keyof P]: unknown }> {
  readonly marker: string;
  /** Validates an incoming envelope; throws InvalidInputError for unknown names or bad payloads. */
  parse(message: unknown): { name: keyof P & string; payload: unknown };
  listen(handlers: HandlersFor<P, R>, runtime?: Runtime): () => void;
  request<N extends keyof P & string>(name: N, payload: z.input<P[N]>, runtime?: Runtime): Promise<R[N]>;
}

export function createChannel<P extends Protocol, R extends { [K in keyof P]: unknown }>(
  marker: string,
  protocol: P,
): Channel<P, R> {
  const parse = (message: unknown): { name: keyof P & string; payload: unknown } => {
    const envelope = message as Record<string, unknown> | null;
    if (
      typeof envelope !== 'object' ||
      envelope === null ||
      envelope[marker] !== 1 ||
      typeof envelope.name !== 'string'
    )
      throw new InvalidInputError(`Malformed extension message: expected {${marker}: 1, name, payload}.`);
    const name = envelope.name;
    if (!Object.hasOwn(protocol, name))
      throw new InvalidInputError(`Unknown extension message "${name}".`, { data: { name } });
    const result = protocol[name]!.safeParse(envelope.payload ?? {});
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new InvalidInputError(
        `Bad payload for "${name}": ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
        { data: { name, field: issue?.path.join('.') ?? '' } },
      );
    }
    return { name: name as keyof P & string, payload: result.data };
  };

  return {
    marker,
    parse,
    listen(handlers, runtime = chrome.runtime) {
      const listener = (
        message: unknown,
        sender: chrome.runtime.MessageSender,
        sendResponse: (reply: Reply) => void,
      ): boolean => {
        if (typeof message !== 'object' || message === null || !(marker in message)) return false;
        void (async () => {
          try {
            const { name, payload } = parse(message);
            const handler = handlers[name] as (
              p: unknown,
              s: chrome.runtime.MessageSender,
            ) => Promise<unknown>;
            sendResponse({ ok: true, result: await handler(payload, sender) });
          } catch (error) {
            sendResponse({ ok: false, error: serializeError(error) });
          }
        })();
        return true;
      };
      runtime.onMessage.addListener(listener);
      return () => runtime.onMessage.removeListener(listener);
    },
    async request(name, payload, runtime = chrome.runtime) {
      const reply = (await runtime.sendMessage({ [marker]: 1, name, payload })) as Reply | undefined;
      if (!reply)
        throw deserializeError({
          code: 'internal',
          message: `No answer for "${name}": the receiver is not running.`,
        });
      if (!reply.ok) throw deserializeError(reply.error);
      return reply.result as R[typeof name];
    },
  };
}
