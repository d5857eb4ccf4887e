/**
 * A small JSON Schema validator for model output (the subset structured-output schemas use: type,
 * properties, required, additionalProperties, items, enum, const, min/max, minLength/maxLength,
 * minItems/maxItems, pattern, anyOf/oneOf/allOf). Returns human-readable errors with JSON paths.
 */
import type { JsonSchema } from './types.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
  const actual = typeOf(v);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

/** Errors for `value` against `schema` (empty when valid). */
export function validateJson(value: unknown, schema: JsonSchema, path = '$'): string[] {
  const errors: string[] = [];
  const s = schema;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      errors.push(`${path}: expected ${types.join('|')}, got ${typeOf(value)}`);
      return errors;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: must be one of ${JSON.stringify(s.enum)}`);
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) {
    errors.push(`${path}: must be ${JSON.stringify(s.const)}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value))
      errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    if (isObject(s.items)) {
      value.forEach((item, i) => errors.push(...validateJson(item, s.items as JsonSchema, `${path}[${i}]`)));
    }
  }
  if (isObject(value)) {
    const props = isObject(s.properties) ? s.properties : {};
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[]) {
        if (!(key in value)) errors.push(`${path}: missing "${key}"`);
      }
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = props[key];
      if (isObject(sub)) errors.push(...validateJson(v, sub, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected "${key}"`);
      else if (isObject(s.additionalProperties))
        errors.push(...validateJson(v, s.additionalProperties, `${path}.${key}`));
    }
  }
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf) if (isObject(sub)) errors.push(...validateJson(value, sub, path));
  }
  if (Array.isArray(s.anyOf)) {
    const subs = s.anyOf.filter(isObject);
    if (!subs.some((sub) => validateJson(value, sub, path).length === 0))
      errors.push(`${path}: matches none of anyOf`);
  }
  if (Array.isArray(s.oneOf)) {
    const n = s.oneOf.filter(isObject).filter((sub) => validateJson(value, sub, path).length === 0).length;
    if (n !== 1) errors.push(`${path}: must match exactly one of oneOf (matched ${n})`);
  }
  return errors;
}
