/**
 * Messages between the parent and a sandbox child (one JSON object per line). Everything the child sends is
 * untrusted and validated here: a child that misbehaves produces a protocol error, never a crash of the parent.
 */
import { z } from 'zod';

export const readyMessageSchema = z.object({ type: z.literal('ready'), bootMs: z.number(), snapshot: z.boolean() });
export const snapshotMessageSchema = z.object({ type: z.literal('snapshot'), bytes: z.string() });
export const fatalMessageSchema = z.object({ type: z.literal('fatal'), id: z.number().nullable(), error: z.string() });
export const resultMessageSchema = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('result'), id: z.number(), ok: z.literal(true), body: z.unknown() }),
  z.object({ type: z.literal('result'), id: z.number(), ok: z.literal(false), error: z.string() }),
]);
export const childMessageSchema = z.union([readyMessageSchema, snapshotMessageSchema, fatalMessageSchema, resultMessageSchema]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

export const restrictedBodySchema = z.object({ output: z.string(), error: z.string().nullable() });
export type RestrictedBody = z.infer<typeof restrictedBodySchema>;

const finite = z.number().finite();
export const validateBodySchema = z.object({
  valid: z.boolean(),
  error: z.string().nullable(),
  name: z.string().nullable(),
  supports_extra_data: z.boolean(),
  scores: z.array(z.array(finite)),
});
export type ValidateBody = z.infer<typeof validateBodySchema>;

export const scoreBodySchema = z.object({
  results: z.array(z.object({ rewards: z.array(finite).nullable(), error: z.string().nullable() })),
});
export type ScoreBody = z.infer<typeof scoreBodySchema>;

/** Requests the harness understands (`_OPS` in harness.py). Durations in seconds. */
export type SandboxRequest =
  | { op: 'restricted'; code: string; input: string; timeout_s: number }
  | { op: 'validate'; code: string; sample_rows?: ReadonlyArray<Record<string, unknown>> }
  | { op: 'score'; functions: readonly string[]; completions: readonly string[]; extra_data?: readonly unknown[] | null };

/** Formats a zod failure as `path: message` lines, so protocol errors name the offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
