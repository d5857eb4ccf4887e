/**
 * The named checks of `npm run test:packaging`: each prints one line `✓ name (1.2 s)` or `✗ name (…)`
 * followed by what went wrong and what to do; `summary()` prints the one `N passed, N failed` line.
 * A check that depends on an earlier one that failed is reported as failed with that reason, so the
 * count never shrinks when something breaks early.
 */

/** A failure whose message already says what to do; `detail` is printed under it (command output...). */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly detail = '',
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
}

const MAX_DETAIL_LINES = 40;

export class Checks {
  readonly results: CheckResult[] = [];

  /** Runs `fn` as the check `name`; returns its value, or undefined when it failed. */
  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    const started = performance.now();
    try {
      const value = await fn();
      this.#record(name, true, started);
      return value;
    } catch (error) {
      this.#record(name, false, started);
      const message = error instanceof Error ? error.message : String(error);
      console.log(indent(message));
      const detail = error instanceof CheckFailure ? error.detail : error instanceof Error ? error.stack : '';
      if (detail) console.log(indent(lastLines(detail, MAX_DETAIL_LINES), '      │ '));
      return undefined;
    }
  }

  /** Reports `name` as failed without running it, because `reason` (an earlier failure) makes it moot. */
  skip(name: string, reason: string): void {
    this.#record(name, false, performance.now());
    console.log(indent(`not run: ${reason}`));
  }

  get failed(): number {
    return this.results.filter((r) => !r.ok).length;
  }

  get passed(): number {
    return this.results.filter((r) => r.ok).length;
  }

  /** The last line of the run. */
  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }

  #record(name: string, ok: boolean, started: number): void {
    const ms = performance.now() - started;
    this.results.push({ name, ok, ms });
    console.log(`${ok ? '✓' : '✗'} ${name} (${(ms / 1000).toFixed(1)} s)`);
  }
}

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return (lines.length > n ? ['…', ...lines.slice(-n)] : lines).join('\n');
}
