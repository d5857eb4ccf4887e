/**
 * Plumbing shared by the engines and the gateway client: the one push-to-pull {@link TextStream}
 * (engines produce `TextStream<GenerateResult>`, src/remote produces `TextStream<RemoteResult>`, so a
 * reader handles both with one loop), a one-request-at-a-time lock, stop-string matching, and the
 * JSON validate + one retry policy for engines that cannot constrain decoding to a schema.
 */
import { InvalidOutputError, toTierError } from '../errors.ts';
import type { GenerateResult, GenerationStream, JsonSchema, TextStream } from './types.ts';
import { validateJson } from './json-schema.ts';

/**
 * The one push-to-pull text stream of the project (engines and the gateway client both produce it):
 * a producer pushes deltas and settles a result; consumers iterate the deltas (once) and/or await
 * `result`. Deltas pushed before anyone iterates are buffered, and a stream nobody iterates still
 * settles its result, so no producer ever waits on a reader (an engine's lock is never held by an
 * unread stream). A rejected result nobody awaits is not reported as unhandled: iteration re-throws it.
 */
export interface TextChannel<R> {
  stream: TextStream<R>;
  push(delta: string): void;
  finish(result: R): void;
  fail(error: unknown): void;
}

export function createTextChannel<R>(): TextChannel<R> {
  const queue: string[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let settle!: { resolve: (r: R) => void; reject: (e: unknown) => void };
  const result = new Promise<R>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => undefined);
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stream: TextStream<R> = {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
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

/**
 * Build a stream from a producer. `run` pushes deltas with `emit` and resolves with the final result.
 * Errors become typed (src/errors.ts), reject `result` and make the iteration throw.
 */
export function createGenerationStream(
  run: (emit: (delta: string) => void) => Promise<GenerateResult>,
): GenerationStream {
  const channel = createTextChannel<GenerateResult>();
  let running: Promise<GenerateResult>;
  try {
    running = run(channel.push);
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(channel.finish, (error: unknown) => channel.fail(toTierError(error)));
  return channel.stream;
}

/** The result of a request whose signal fired before it started (e.g. while queued). */
export function abortedBeforeStart(model: string): GenerateResult {
  return {
    text: '',
    finishReason: 'abort',
    usage: { promptTokens: 0, completionTokens: 0 },
    timings: { ttftMs: 0, totalMs: 0, decodeTokPerSec: 0 },
    model,
  };
}

/** Serialises async work: one generation at a time per engine (a second waits for the first). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Cuts generated text at the first stop string. Text that could still become a stop string is held
 * back until it cannot, so no stop text ever reaches the reader.
 */
export class StopMatcher {
  private pending = '';
  private readonly stops: string[];
  stopped = false;

  constructor(stops: readonly string[] | undefined) {
    this.stops = (stops ?? []).filter((s) => s.length > 0);
  }

  /** Feed a delta; returns the text safe to emit now. Sets `stopped` once a stop string matched. */
  push(delta: string): string {
    if (this.stopped) return '';
    if (this.stops.length === 0) return delta;
    this.pending += delta;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stopped = true;
      const out = this.pending.slice(0, cut);
      this.pending = '';
      return out;
    }
    // Hold back the longest suffix that is a prefix of some stop string.
    let hold = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(stop.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  /** Text still held back when the generation ended without a stop. */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }
}

/** Strip a Markdown code fence some models wrap JSON in. */
export function unfenceJson(text: string): string {
  return text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '')
    .trim();
}

/** The instruction added on the retry when the first JSON answer failed the schema. */
export function jsonRetryInstruction(schema: JsonSchema, problem: string): string {
  return `Your previous answer was not valid (${problem}). Reply with only one JSON value that matches this JSON Schema, with no other text: ${JSON.stringify(schema)}`;
}

/**
 * Validate a JSON answer; on failure run `retry` once (with the reason), then validate again.
 * Returns the JSON text (unfenced) or throws {@link InvalidOutputError} with `data.errors`.
 */
export async function validateWithOneRetry(
  first: GenerateResult,
  schema: JsonSchema,
  retry: (problem: string) => Promise<GenerateResult>,
): Promise<GenerateResult & { attempts: number }> {
  const check = (result: GenerateResult): string | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(unfenceJson(result.text));
    } catch {
      return result.finishReason === 'length' ? 'the JSON was cut off by the token limit' : 'not JSON';
    }
    const errors = validateJson(value, schema);
    return errors.length === 0 ? undefined : errors.slice(0, 3).join('; ');
  };
  if (first.finishReason === 'abort') return { ...first, attempts: 1 };
  const problem = check(first);
  if (problem === undefined) return { ...first, text: unfenceJson(first.text), attempts: 1 };
  const second = await retry(problem);
  if (second.finishReason === 'abort') return { ...second, attempts: 2 };
  const problem2 = check(second);
  if (problem2 === undefined) return { ...second, text: unfenceJson(second.text), attempts: 2 };
  throw new InvalidOutputError(
    `The model's answer did not match the requested JSON schema after one retry (${problem2}). Try a larger model or escalate the request.`,
    { data: { errors: [problem, problem2], text: second.text.slice(0, 500) } },
  );
}
