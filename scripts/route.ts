/**
 * npm run -s route -- --file requests.jsonl   (or pipe JSONL on stdin)
 * For each input line {"prompt": "...", "task"?: "...", "turn"?: n, "quality"?: 0..1} print one JSON line
 * {"tier", "reason", "scores"} in the same order. A bad line prints {"error", "line"} and the run goes on.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { QualitySchema, TaskKindSchema } from '../src/config/schemas.ts';
import { route } from '../src/router/index.ts';

const LineSchema = z.object({
  prompt: z.string(),
  task: TaskKindSchema.optional(),
  turn: z.number().int().min(1).optional(),
  quality: QualitySchema.optional(),
});

const { values } = parseArgs({ options: { file: { type: 'string' } } });
const input = readFileSync(values.file ?? 0, 'utf8');
const lines = input.split(/\r?\n/);
if (lines.at(-1) === '') lines.pop();
const out: string[] = [];
lines.forEach((line, i) => {
  if (line.trim() === '') {
    out.push(
      JSON.stringify({ error: 'empty line: expected a JSON object with a "prompt" string', line: i + 1 }),
    );
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    out.push(JSON.stringify({ error: 'not valid JSON: expected {"prompt": "..."}', line: i + 1 }));
    return;
  }
  const parsed = LineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'line';
    out.push(JSON.stringify({ error: `${where}: ${issue?.message ?? 'invalid'}`, line: i + 1 }));
    return;
  }
  const { prompt, task, turn, quality } = parsed.data;
  const d = route(prompt, { task, turn, quality });
  out.push(JSON.stringify({ tier: d.tier, reason: d.reason, scores: d.scores }));
});
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
