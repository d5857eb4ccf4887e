import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * Parse `input` with `schema` at a trust boundary and return a new, typed value.
 * On failure throws {@link ConfigError} whose message and `data.field` name the first bad field,
 * prefixed with `where` (e.g. "attribute", "gateway config", "request body").
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '';
  const detail = issue?.message ?? 'invalid value';
  const message = field ? `Invalid ${where}: "${field}" ${detail}` : `Invalid ${where}: ${detail}`;
  throw new ConfigError(message, {
    cause: result.error,
    data: {
      field,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    },
  });
}
