/**
 * A push-to-pull text stream: a producer pushes deltas and settles a result; consumers iterate the
 * deltas (once) and/or await `result`. Deltas pushed before anyone iterates are buffered, and a
 * stream nobody iterates still settles its result, so no producer waits on a reader.
 */
export interface TextStream<R> extends AsyncIterable<string> {
  readonly result: Promise<R>;
}

export interface Channel<R> {
  stream: TextStream<R>;
  push(delta: string): void;
  finish(result: R): void;
  fail(error: unknown): void;
}

export function createChannel<R>(): Channel<R> {
  const queue: string[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let settle!: { resolve: (r: R) => void; reject: (e: unknown) => void };
  const result = new Promise<R>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A rejected result nobody awaits must not become an unhandled rejection: iteration re-throws it.
  result.catch(() => undefined);
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stream: TextStream<R> = {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (failure) throw failure.error;
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
  return {
    stream,
    push(delta) {
      if (done || failure || delta === '') return;
      queue.push(delta);
      notify();
    },
    finish(value) {
      if (done || failure) return;
      done = true;
      settle.resolve(value);
      notify();
    },
    fail(error) {
      if (done || failure) return;
      failure = { error };
      settle.reject(error);
      notify();
    },
  };
}
