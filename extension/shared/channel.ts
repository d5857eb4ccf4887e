/**
 * A typed request/response channel over `chrome.runtime` messages. A protocol is a map from request
 * name to the zod schema of its payload; results are typed by a parallel interface. Every envelope
 * carries a marker (`tierAssist` for the public protocol, `tierAssistOffscreen` for the background
 * <-> offscreen one) so each listener answers only its own messages and leaves others alone.
 * Unknown or malformed messages are rejected loudly; errors travel as `{name, code, message, data}`
 * and are rebuilt into their classes on the other side.
 */
import './csp.ts';
import type { z } from 'zod';
import {
  deserializeError,
  InvalidInputError,
  serializeError,
  type SerializedError,
} from '../../src/errors.ts';

export type Protocol = Record<string, z.ZodType>;
type Reply = { ok: true; result: unknown } | { ok: false; error: SerializedError };
type PortReply = Reply & { seq: number };
/** A progress frame on a port, before the reply with the same `seq` (e.g. a streamed suggestion so far). */
type PortPartial = { seq: number; partial: unknown };
type Runtime = Pick<typeof chrome.runtime, 'onMessage' | 'sendMessage'>;

export type HandlersFor<P extends Protocol, R extends { [K in keyof P]: unknown }> = {
  [N in keyof P]: (
    payload: z.infer<P[N]>,
    sender: chrome.runtime.MessageSender,
    /** Only over ports: sends a progress frame the client's `onPartial` receives before the result. */
    partial?: (value: unknown) => void,
  ) => Promise<R[N]>;
};

export interface Channel<P extends Protocol, R extends { [K in keyof P]: unknown }> {
  readonly marker: string;
  /** Validates an incoming envelope; throws InvalidInputError for unknown names or bad payloads. */
  parse(message: unknown): { name: keyof P & string; payload: unknown };
  listen(handlers: HandlersFor<P, R>, runtime?: Runtime): () => void;
  request<N extends keyof P & string>(name: N, payload: z.input<P[N]>, runtime?: Runtime): Promise<R[N]>;
  /**
   * Answers the same handlers over long-lived ports named after the marker (`runtime.connect`): one
   * point-to-point hop instead of a broadcast to every extension context, for hot paths.
   */
  listenPorts(
    handlers: Partial<HandlersFor<P, R>>,
    options?: {
      portName?: string;
      runtime?: Pick<typeof chrome.runtime, 'onConnect'>;
      /** Greet each new port with `{hello: 1}` (clients that wait for it learn a live receiver exists). */
      hello?: boolean;
    },
  ): () => void;
  /**
   * A client over one port, reconnected on demand (the port drops when the service worker is
   * stopped; the next request opens a new one and wakes it).
   */
  portClient(options?: {
    portName?: string;
    runtime?: Pick<typeof chrome.runtime, 'connect'>;
    /**
     * Wait this long (ms) for the receiver's `{hello: 1}` on a new port before sending; without it
     * the request fails fast (a port to a context that is not running would otherwise just hang).
     */
    helloTimeoutMs?: number;
  }): {
    request<N extends keyof P & string>(
      name: N,
      payload: z.input<P[N]>,
      options?: { onPartial?: (value: unknown) => void },
    ): Promise<R[N]>;
  };
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
    listenPorts(handlers, { portName = marker, runtime = chrome.runtime, hello = false } = {}) {
      const onConnect = (port: chrome.runtime.Port) => {
        if (port.name !== portName) return;
        if (hello) port.postMessage({ hello: 1 });
        port.onMessage.addListener((message: unknown) => {
          const seq = (message as { seq?: unknown } | null)?.seq;
          if (typeof seq !== 'number') return;
          void (async () => {
            let reply: PortReply;
            try {
              const { name, payload } = parse(message);
              const handler = handlers[name] as
                | ((
                    p: unknown,
                    s: chrome.runtime.MessageSender,
                    partial: (value: unknown) => void,
                  ) => Promise<unknown>)
                | undefined;
              if (!handler)
                throw new InvalidInputError(`"${name}" is not answered on port "${portName}".`, {
                  data: { name },
                });
              const partial = (value: unknown): void => {
                try {
                  port.postMessage({ seq, partial: value } satisfies PortPartial);
                } catch {
                  // The page went away while we worked.
                }
              };
              reply = { seq, ok: true, result: await handler(payload, port.sender ?? {}, partial) };
            } catch (error) {
              reply = { seq, ok: false, error: serializeError(error) };
            }
            try {
              port.postMessage(reply);
            } catch {
              // The page went away while we worked.
            }
          })();
        });
      };
      runtime.onConnect.addListener(onConnect);
      return () => runtime.onConnect.removeListener(onConnect);
    },
    portClient({ portName = marker, runtime = chrome.runtime, helloTimeoutMs } = {}) {
      let port: chrome.runtime.Port | undefined;
      let ready: Promise<void> = Promise.resolve();
      let seq = 0;
      const pending = new Map<
        number,
        { resolve: (v: unknown) => void; reject: (e: unknown) => void; onPartial?: (v: unknown) => void }
      >();
      const open = (): chrome.runtime.Port => {
        if (port) return port;
        const opened = runtime.connect({ name: portName });
        let greeted: () => void = () => undefined;
        if (helloTimeoutMs !== undefined) {
          ready = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              if (port === opened) port = undefined;
              opened.disconnect();
              reject(
                deserializeError({
                  code: 'engine_unavailable',
                  message: `Nothing answers on "${portName}".`,
                }),
              );
            }, helloTimeoutMs);
            greeted = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          ready.catch(() => undefined);
        }
        opened.onMessage.addListener((message: unknown) => {
          if ((message as { hello?: unknown } | null)?.hello === 1) {
            greeted();
            return;
          }
          const reply = message as PortReply | PortPartial;
          const waiter = pending.get(reply.seq);
          if (!waiter) return;
          if ('partial' in reply) {
            waiter.onPartial?.(reply.partial);
            return;
          }
          pending.delete(reply.seq);
          if (reply.ok) waiter.resolve(reply.result);
          else waiter.reject(deserializeError(reply.error));
        });
        opened.onDisconnect.addListener(() => {
          if (port === opened) port = undefined;
          for (const [key, waiter] of pending) {
            pending.delete(key);
            waiter.reject(
              deserializeError({ code: 'internal', message: 'The extension restarted; try again.' }),
            );
          }
        });
        port = opened;
        return opened;
      };
      return {
        async request(name, payload, options) {
          const id = ++seq;
          const opened = open();
          await ready;
          return new Promise((resolve, reject) => {
            pending.set(id, {
              resolve: resolve as (v: unknown) => void,
              reject,
              ...(options?.onPartial ? { onPartial: options.onPartial } : {}),
            });
            try {
              opened.postMessage({ [marker]: 1, seq: id, name, payload });
            } catch (error) {
              pending.delete(id);
              if (port === opened) port = undefined;
              reject(error);
            }
          });
        },
      };
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
