/**
 * The page <-> triage worker protocol, declared once: each request name maps to its payload and
 * result schema. Unknown or malformed messages are answered with an `invalid_input` error.
 */
import { z } from 'zod';

const Example = z.object({ text: z.string(), label: z.string().min(1) });

export const TriageRequests = {
  /** Load a model JSON (starter, stored or imported). */
  load: { payload: z.object({ model: z.unknown() }), result: z.object({ labels: z.array(z.string()) }) },
  /** Train from scratch on labelled examples. */
  train: {
    payload: z.object({
      examples: z.array(Example),
      validation: z.array(Example).optional(),
      epochs: z.number().int().min(1).max(50).optional(),
    }),
    result: z.object({ labels: z.array(z.string()), seconds: z.number() }),
  },
  /** Continue training on corrections (incremental). */
  update: {
    payload: z.object({ examples: z.array(Example), epochs: z.number().int().min(1).max(50).optional() }),
    result: z.object({ labels: z.array(z.string()), seconds: z.number() }),
  },
  predict: {
    payload: z.object({ text: z.string(), k: z.number().int().min(1).max(20).optional() }),
    result: z.object({
      label: z.string(),
      confidence: z.number(),
      outOfScope: z.boolean(),
      top: z.array(z.object({ label: z.string(), p: z.number() })),
    }),
  },
  export: {
    payload: z.object({ encoding: z.enum(['f32', 'i8']).optional() }),
    result: z.object({ model: z.unknown() }),
  },
} as const;

export type TriageRequestName = keyof typeof TriageRequests;
export type TriagePayload<N extends TriageRequestName> = z.infer<(typeof TriageRequests)[N]['payload']>;
export type TriageResult<N extends TriageRequestName> = z.infer<(typeof TriageRequests)[N]['result']>;

/** Sent by the worker while a long request runs (training: one per epoch), before its response. */
export const ProgressEnvelope = z.object({
  id: z.number().int(),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(1) }),
});
export type WorkerProgress = z.infer<typeof ProgressEnvelope>['progress'];

export const RequestEnvelope = z.object({ id: z.number().int(), name: z.string(), payload: z.unknown() });
export const ResponseEnvelope = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({
      name: z.string(),
      code: z.string(),
      message: z.string(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
]);
