/**
 * npm run savings -- --prompts F.jsonl --per-day N [--days 30] [--quality 0..1] [--examples 5] [--json]
 *
 * Routes each prompt of F.jsonl ({"prompt": "...", "task"?: "chat|autocomplete|rewrite|classify|triage|extract"}
 * a line) with the router, estimates its tokens, and prints what a month of N requests a day shaped like
 * the sample would cost all-frontier, all-mid and routed, the tier mix, the latency each tier adds and a
 * few router reasons. With --json the last line is one JSON object. How it computes: docs/savings.md.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QualitySchema } from '../src/config/schemas.ts';
import { TierError } from '../src/errors.ts';
import { parsePromptsJsonl, whatIf } from '../src/ledger/what-if.ts';
import { route } from '../src/router/index.ts';
import { jsonSummary, renderReport } from './lib/savings-report.ts';

function fail(message: string): never {
  process.stderr.write(`savings: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    prompts: { type: 'string' },
    'per-day': { type: 'string', default: '1000' },
    days: { type: 'string', default: '30' },
    quality: { type: 'string' },
    examples: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.prompts) fail('give a prompt file: --prompts prompts.jsonl (one {"prompt": "..."} a line)');
const perDay = Number(values['per-day']);
const days = Number(values.days);
if (!(perDay > 0)) fail(`--per-day must be a positive number, got "${values['per-day']}"`);
if (!(days > 0)) fail(`--days must be a positive number, got "${values.days}"`);
const quality = values.quality === undefined ? undefined : QualitySchema.safeParse(Number(values.quality));
if (quality && !quality.success) fail('--quality must be a number from 0 to 1');

let text: string;
try {
  text = readFileSync(values.prompts, 'utf8');
} catch {
  fail(`cannot read ${values.prompts}: check the path`);
}
try {
  const result = whatIf(parsePromptsJsonl(text), route, {
    perDay,
    daysPerMonth: days,
    examples: Number(values.examples),
    context: quality?.success ? { quality: quality.data } : {},
  });
  process.stdout.write(renderReport(result) + '\n');
  if (values.json) process.stdout.write(jsonSummary(result) + '\n');
} catch (error) {
  if (error instanceof TierError) fail(error.message);
  throw error;
}
