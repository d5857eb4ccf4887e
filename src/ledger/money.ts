/**
 * Integer nano-dollar amounts: exact sums, exact decimal strings, and display formatting. Pure, and
 * imports nothing, so the elements' first load can format money without the price table (and its zod).
 * `formatUsd` is the one money format of the project: components, the extension popup and the scripts.
 */

/** 1 USD in nano-dollars: the ledger's integer unit (exact sums; prices with up to 3 decimals per million tokens are exact). */
export const NANOS_PER_USD = 1_000_000_000;

/** Nano-dollars to a float USD (for display and charts only; never sum these). */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** USD to the nearest whole nano-dollar. */
export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

/** Exact decimal string of a nano-dollar amount with all 9 decimals, e.g. 5280000 -> "0.005280000". */
export function nanosToDecimal(nanos: number): string {
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`not a whole number of nano-dollars: ${nanos}`);
  const sign = nanos < 0 ? '-' : '';
  const abs = Math.abs(nanos);
  const whole = Math.floor(abs / NANOS_PER_USD);
  const frac = String(abs % NANOS_PER_USD).padStart(9, '0');
  return `${sign}${whole}.${frac}`;
}

/** Parse an exact decimal USD string ("0.005280000", "12", "-3.5") back to nano-dollars. */
export function decimalToNanos(text: string): number {
  const match = /^(-)?(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!match) throw new RangeError(`not a USD amount: ${text}`);
  const whole = Number(match[2]) * NANOS_PER_USD;
  const frac = Number((match[3] ?? '').padEnd(9, '0'));
  const value = whole + frac;
  return match[1] ? -value : value;
}

/**
 * A USD amount for people: 2 decimals from $1, more below so small savings do not read as $0.00
 * ($0.0053, $0.000012), and thousands separators. `en-US` so the output is stable across machines.
 */
export function formatUsd(usd: number): string {
  const abs = Math.abs(usd);
  let digits = 2;
  if (abs > 0 && abs < 1) digits = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(abs))));
  const text = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${usd < 0 ? '-' : ''}$${text}`;
}
