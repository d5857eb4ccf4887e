/** The typed channel against an in-memory chrome.runtime (one listener, replies by callback or port). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createChannel } from '../../extension/shared/channel.ts';
import { parseRequest } from '../../extension/shared/messaging.ts';
import { InvalidInputError, NotFoundError } from '../../src/errors.ts';

type Listener = (message: unknown, sender: object, reply: (r: unknown) => void) => boolean;

function fakeRuntime() {
  const listeners: Listener[] = [];
  return {
    onMessage: {
      addListener: (l: Listener) => listeners.push(l),
      removeListener: (l: Listener) => listeners.splice(listeners.indexOf(l), 1),
    },
    sendMessage: (message: unknown) =>
      new Promise((resolve) => {
        for (const l of listeners) if (l(message, {}, resolve)) return;
        resolve(undefined);
      }),
  } as unknown as typeof chrome.runtime;
}

const protocol = { echo: z.object({ text: z.string().max(5) }), missing: z.object({}) } as const;
interface Results {
  echo: { text: string };
  missing: never;
}

describe('typed extension channel', () => {
  it('answers a declared request with its validated payload', async () => {
    const runtime = fakeRuntime();
    const channel = createChannel<typeof protocol, Results>('test', protocol);
    channel.listen(
      {
        echo: async ({ text }) => ({ text: text.toUpperCase() }),
        missing: async () => {
          throw new NotFoundError('nothing here');
        },
      },
      runtime,
    );
    await expect(channel.request('echo', { text: 'hi' }, runtime)).resolves.toEqual({ text: 'HI' });
  });

  it('rebuilds typed errors and rejects bad payloads loudly', async () => {
    const runtime = fakeRuntime();
    const channel = createChannel<typeof protocol, Results>('test', protocol);
    channel.listen(
      {
        echo: async ({ text }) => ({ text }),
        missing: async () => {
          throw new NotFoundError('nothing here');
        },
      },
      runtime,
    );
    await expect(channel.request('missing', {}, runtime)).rejects.toBeInstanceOf(NotFoundError);
    const bad = await channel.request('echo', { text: 'too long' }, runtime).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidInputError);
    expect((bad as InvalidInputError).data?.field).toBe('text');
  });

  it('leaves messages of other markers to other listeners and rejects unknown names', async () => {
    const runtime = fakeRuntime();
    const channel = createChannel<typeof protocol, Results>('test', protocol);
    channel.listen(
      { echo: async ({ text }) => ({ text }), missing: async () => undefined as never },
      runtime,
    );
    await expect(runtime.sendMessage({ other: 1, name: 'echo' })).resolves.toBeUndefined();
    expect(() => parseRequest({ tierAssist: 1, name: 'format-disk', payload: {} })).toThrow(
      InvalidInputError,
    );
    expect(() => parseRequest({ name: 'ping' })).toThrow(InvalidInputError);
    expect(
      parseRequest({ tierAssist: 1, name: 'suggest', payload: { id: 'a', before: 'x', after: '' } }).name,
    ).toBe('suggest');
  });
});
