/**
 * A typed request/response channel over `chrome.runtime` messages. A protocol is a map from request
 * name to the zod schema of its payload; results are typed by a parallel interface. Every envelope
 * carries a marker (`tierAssist` for the public protocol, `tierAssistOffscreen` for the background
 * <-> offscreen one) so each listener answers only its own messages and leaves others alone.
 * Unknown or malformed messages are rejected loudly; errors travel as `{name, code, message, data}`
 * and are rebuilt into their classes on the other side. Validation, replies and pending requests are
 * the request/response core the triage worker's channel uses too (src/rpc.ts).
 */
import './csp.ts';
import type { z } from 'zod';
import { deserializeError, InvalidInputError } from '../../src/errors.ts';
import { answer, parseRequest, PendingRequests, type Reply } from '../../src/rpc.ts';

export type Protocol = Record<string, z.ZodType>;
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
    const schemaOf = (name: string) => (Object.hasOwn(protocol, name) ? protocol[name] : undefined);
    return parseRequest(schemaOf, envelope.name, envelope.payload ?? {}, 'extension message');
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
        const reply = answer(() => {
          const { name, payload } = parse(message);
          const handler = handlers[name] as (p: unknown, s: chrome.runtime.MessageSender) => Promise<unknown>;
          return handler(payload, sender);
        });
        void reply.then(sendResponse);
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
            const reply: PortReply = {
              seq,
              ...(await answer(() => {
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
                return handler(payload, port.sender ?? {}, partial);
              })),
            };
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
      const pending = new PendingRequests();
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
          if ('partial' in reply) pending.partial(reply.seq, reply.partial);
          else pending.settle(reply.seq, reply);
        });
        opened.onDisconnect.addListener(() => {
          if (port === opened) port = undefined;
          pending.failAll(
            deserializeError({ code: 'internal', message: 'The extension restarted; try again.' }),
          );
        });
        port = opened;
        return opened;
      };
      return {
        async request(name, payload, options) {
          const opened = open();
          await ready;
          return new Promise((resolve, reject) => {
            const id = pending.add({
              resolve: resolve as (v: unknown) => void,
              reject,
              onPartial: options?.onPartial,
            });
            try {
              opened.postMessage({ [marker]: 1, seq: id, name, payload });
            } catch (error) {
              pending.drop(id);
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
