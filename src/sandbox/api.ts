/**
 * What the validator, the API and the ML engine call: restricted execution, reward-function validation and batch
 * scoring, each one round trip to the isolated pool. Failures of the sandboxed code are data (`error` fields);
 * only misuse by the caller (bad arguments, a closed pool) throws.
 */
import { z } from 'zod';
import { floatSchema } from '../core/models/common.ts';
import type { CallOutcome } from './process.ts';
import { isHarnessTimeout, transportVerdict, type SandboxCallVerdict, type SandboxPool } from './pool.ts';
import {
  describeIssues,
  restrictedBodySchema,
  scoreBodySchema,
  validateBodySchema,
  type RestrictedBody,
} from './protocol.ts';

/** `restricted_execution`'s `(output, error)`; `error` is null on success (the reference returns ""). */
export type RestrictedResult = RestrictedBody;

export interface RestrictedOptions {
  /** Deadline of the run in seconds (default: the `callTimeoutSeconds` rule). */
  timeoutSeconds?: number;
}

/** Headroom between the harness's per-run deadline and the call deadline around it. */
const CALL_MARGIN_S = 0.5;

function parseBody<T>(schema: z.ZodType<T>, outcome: CallOutcome): { ok: true; value: T } | { ok: false; error: string } {
  if (outcome.kind !== 'ok') return { ok: false, error: outcome.error };
  const parsed = schema.safeParse(outcome.body);
  if (!parsed.success) return { ok: false, error: `malformed answer from the sandbox: ${describeIssues(parsed.error)}` };
  return { ok: true, value: parsed.data };
}

/** The verdict of a call whose body says whether the sandboxed code failed (`failure` reads that from the body). */
function judgeBy<T>(schema: z.ZodType<T>, failure: (body: T) => string | null): (outcome: CallOutcome) => SandboxCallVerdict {
  return (outcome) => {
    if (outcome.kind !== 'ok') return transportVerdict(outcome);
    const parsed = schema.safeParse(outcome.body);
    if (!parsed.success) return 'error';
    const error = failure(parsed.data);
    return error === null ? 'ok' : isHarnessTimeout(error) ? 'timeout' : 'error';
  };
}

const judgeRestricted = judgeBy(restrictedBodySchema, (b) => b.error);
const judgeValidate = judgeBy(validateBodySchema, (b) => (b.valid ? null : (b.error ?? 'invalid')));
const judgeScore = judgeBy(scoreBodySchema, (b) => b.results.find((r) => r.error !== null)?.error ?? null);

export async function restrictedExecution(pool: SandboxPool, code: string, inputData = '', options: RestrictedOptions = {}): Promise<RestrictedResult> {
  z.string().parse(code);
  const timeout = options.timeoutSeconds ?? pool.rules.callTimeoutSeconds;
  const outcome = await pool.call({ op: 'restricted', code, input: String(inputData), timeout_s: timeout }, timeout + CALL_MARGIN_S, judgeRestricted);
  const body = parseBody(restrictedBodySchema, outcome);
  return body.ok ? body.value : { output: '', error: body.error };
}

/** One row of sample data for validation: the prompt (used as a completion, as the reference does) and extra data. */
export const sampleRowSchema = z.object({ prompt: z.string().optional(), extra_data: z.unknown().optional() }).loose();
export type SampleRow = z.infer<typeof sampleRowSchema>;

export interface RewardValidation {
  valid: boolean;
  error: string | null;
  /** Name of the reward function found in the code. */
  name: string | null;
  supportsExtraData: boolean;
  /** Scores of each trial call (the default sample, then the sample rows when given). */
  scores: number[][];
}

/**
 * Admission check of a reward function: it compiles, defines exactly one top-level function taking
 * `(completions, …, **kwargs)`, runs on sample completions within the deadline (module-level code included) and
 * returns one finite number per completion.
 */
export async function validateRewardFunction(pool: SandboxPool, code: string, sampleRows: readonly SampleRow[] = []): Promise<RewardValidation> {
  z.string().parse(code);
  const rows = z.array(sampleRowSchema).parse(sampleRows);
  const outcome = await pool.call({ op: 'validate', code, sample_rows: rows }, pool.rules.validationTimeoutSeconds, judgeValidate);
  const body = parseBody(validateBodySchema, outcome);
  if (!body.ok) return { valid: false, error: body.error, name: null, supportsExtraData: false, scores: [] };
  const { valid, error, name, supports_extra_data, scores } = body.value;
  return { valid, error, name, supportsExtraData: supports_extra_data, scores };
}

export interface FunctionScores {
  rewards: number[] | null;
  error: string | null;
}

export interface ScoreResult {
  /** Raw rewards of each function, in the order given. */
  perFunction: FunctionScores[];
  /** Σ weightᵢ · rewardᵢ per completion; null when any function failed (a failed function fails the batch). */
  totals: number[] | null;
  /** First failure, prefixed with the function's index; null when all succeeded. */
  error: string | null;
}

const scoreArgsSchema = z
  .object({
    functions: z.array(z.string()).min(1),
    weights: z.array(floatSchema.min(0)),
    completions: z.array(z.string()),
    extraData: z.array(z.unknown()).nullable().optional(),
  })
  .refine((a) => a.weights.length === a.functions.length, { message: 'one weight per function', path: ['weights'] })
  .refine((a) => a.extraData == null || a.extraData.length === a.completions.length, {
    message: 'extraData must have one entry per completion',
    path: ['extraData'],
  });

/**
 * Scores a batch of completions with weighted reward functions in one sandbox call. Functions that declare an
 * `extra_data` parameter receive `extraData` (aligned with completions); the others are called with completions only.
 */
export async function scoreCompletions(
  pool: SandboxPool,
  functions: readonly string[],
  weights: readonly number[],
  completions: readonly string[],
  extraData?: readonly unknown[] | null,
  options: { timeoutSeconds?: number } = {},
): Promise<ScoreResult> {
  const parsed = scoreArgsSchema.safeParse({ functions, weights, completions, extraData });
  if (!parsed.success) throw new TypeError(`scoreCompletions: ${describeIssues(parsed.error)}`);
  const args = parsed.data;
  const timeout = options.timeoutSeconds ?? pool.rules.scoreTimeoutSeconds;
  const outcome = await pool.call({ op: 'score', functions: args.functions, completions: args.completions, extra_data: args.extraData ?? null }, timeout, judgeScore);
  const body = parseBody(scoreBodySchema, outcome);
  if (!body.ok) {
    return { perFunction: args.functions.map(() => ({ rewards: null, error: body.error })), totals: null, error: body.error };
  }
  const perFunction = body.value.results;
  if (perFunction.length !== args.functions.length) {
    const error = `malformed answer from the sandbox: ${perFunction.length} results for ${args.functions.length} functions`;
    return { perFunction: args.functions.map(() => ({ rewards: null, error })), totals: null, error };
  }
  const failed = perFunction.findIndex((f) => f.rewards === null || f.rewards.length !== args.completions.length);
  if (failed >= 0) return { perFunction, totals: null, error: `function ${failed}: ${perFunction[failed]?.error ?? 'wrong number of rewards'}` };
  const totals = args.completions.map((_, j) => perFunction.reduce((sum, f, i) => sum + (args.weights[i] ?? 0) * (f.rewards?.[j] ?? 0), 0));
  return { perFunction, totals, error: null };
}
