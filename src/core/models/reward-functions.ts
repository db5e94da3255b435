/**
 * GRPO reward functions: the object miners receive (code + weight), the organic request's reference by id,
 * the stored row, and the `/v1/grpo/reward_functions` API shapes (evaluation.md §9.2–9.4).
 *
 * A reward function is Python source with the calling convention `f(completions, **kwargs) -> list[number]`,
 * or `f(completions, extra_data=None, **kwargs)` to receive the task's extra column.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dateTimeSchema, floatSchema, type Complete, type DefaultsOf } from './common.ts';

/** RewardFunction (utility_models.py): what a GRPO dataset type carries, code included. */
export const rewardFunctionSchema = z.object({
  /** UUID of the stored function, as a string; null for functions not (yet) stored. */
  reward_id: z.string().nullable().optional(),
  /** Python source of the function. */
  reward_func: z.string(),
  reward_weight: floatSchema.min(0),
  /** sha256 hex of `reward_func`; tasks fill it in when missing (see `withFuncHash`). */
  func_hash: z.string().nullable().optional(),
  is_generic: z.boolean().nullable().optional(),
  /** [HEAD] stored as a manual (library) function. */
  is_manual: z.boolean().nullable().optional(),
});
export type RewardFunction = z.infer<typeof rewardFunctionSchema>;
/** Reference defaults; `is_manual` is left out because the reference model has no such key. */
export const rewardFunctionDefaults: Omit<DefaultsOf<RewardFunction>, 'is_manual'> = {
  reward_id: null,
  func_hash: null,
  is_generic: null,
};
export function completeRewardFunction(f: RewardFunction): Omit<Complete<RewardFunction>, 'is_manual'> & { is_manual?: boolean | null } {
  return { ...rewardFunctionDefaults, ...stripUndefined(f) };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** sha256 hex of the source's UTF-8 bytes: the `func_hash` key of `reward_functions` (unique). */
export function rewardFuncHash(rewardFunc: string): string {
  return createHash('sha256').update(rewardFunc, 'utf8').digest('hex');
}

/** As GrpoRawTask's validator does: a missing (or null) func_hash becomes the hash of the code. */
export function withFuncHash(f: RewardFunction): RewardFunction {
  return f.func_hash == null ? { ...f, func_hash: rewardFuncHash(f.reward_func) } : f;
}

/** RewardFunctionReference: how an organic GRPO request names a stored function, with its per-task weight. */
export const rewardFunctionReferenceSchema = z.object({
  reward_id: z.string(),
  reward_weight: floatSchema.min(0),
});
export type RewardFunctionReference = z.infer<typeof rewardFunctionReferenceSchema>;

/** A `reward_functions` table row. The weight is not here: it lives per task in `grpo_task_functions`. */
export const storedRewardFunctionSchema = z.object({
  reward_id: z.string(),
  reward_func: z.string(),
  func_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters'),
  is_generic: z.boolean(),
  is_manual: z.boolean(),
  created_at: dateTimeSchema.nullable().optional(),
});
export type StoredRewardFunction = z.infer<typeof storedRewardFunctionSchema>;

/** One entry of GET /v1/grpo/reward_functions (name = first `def`, description = first docstring). */
export const rewardFunctionInfoSchema = z.object({
  reward_id: z.string(),
  name: z.string(),
  description: z.string(),
  code: z.string(),
});
export type RewardFunctionInfo = z.infer<typeof rewardFunctionInfoSchema>;

/** GET /v1/grpo/reward_functions: manual functions keyed by name (same names collapse). */
export const rewardFunctionsResponseSchema = z.object({
  reward_functions: z.record(z.string(), rewardFunctionInfoSchema),
});
export type RewardFunctionsResponse = z.infer<typeof rewardFunctionsResponseSchema>;

/** POST /v1/grpo/reward_functions body; `reward_weight` is accepted and ignored by the original. */
export const addRewardFunctionRequestSchema = z.object({
  name: z.string(),
  description: z.string(),
  code: z.string(),
  reward_weight: floatSchema.nullable().optional(),
});
export type AddRewardFunctionRequest = z.infer<typeof addRewardFunctionRequestSchema>;

/** POST /v1/grpo/reward_functions response. */
export const addRewardFunctionResponseSchema = z.object({ reward_id: z.string() });
export type AddRewardFunctionResponse = z.infer<typeof addRewardFunctionResponseSchema>;
