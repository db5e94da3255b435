/**
 * Decoding helpers shared by the scoring vector adapters: the vectors' JSON shapes (snake_case, Python types)
 * to our types, validated with zod so that a malformed case names the failing field.
 */
import { z } from 'zod';
import { taskTypeSchema } from '../../core/enums.ts';
import { parseWire } from '../../core/parse.ts';
import { resultKindOf, type MinerResult } from './types.ts';
import { ScoringError } from './errors.ts';

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A Python float: any number, NaN and ±Infinity included (also accepted in their vector string encoding). */
export const pyFloat = z.preprocess(
  (v) => (typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v),
  z.custom<number>((v) => typeof v === 'number', { message: 'expected a float' }),
);

export const minerResultInput = z.object({
  hotkey: z.string(),
  test_loss: pyFloat,
  synth_loss: pyFloat,
  is_finetune: z.boolean(),
  task_type: taskTypeSchema,
  score: pyFloat.nullish(),
  score_reason: z.string().nullish(),
  adjusted_loss: pyFloat.nullish(),
  submission: z.object({ repo: z.string(), model_hash: z.string().nullish() }).nullish(),
});

export function toMinerResult(r: z.output<typeof minerResultInput>): MinerResult {
  return {
    hotkey: r.hotkey,
    testLoss: r.test_loss,
    synthLoss: r.synth_loss,
    isFinetune: r.is_finetune,
    score: r.score ?? 0.0,
    scoreReason: r.score_reason ?? null,
    adjustedLoss: r.adjusted_loss ?? null,
    taskType: r.task_type,
    kind: resultKindOf(r.task_type),
    submission: r.submission ? { repo: r.submission.repo, modelHash: r.submission.model_hash ?? null } : null,
  };
}

/** A miner result in the vectors' output shape. */
export function fromMinerResult(r: MinerResult) {
  return {
    hotkey: r.hotkey,
    score: r.score,
    score_reason: r.scoreReason,
    adjusted_loss: r.adjustedLoss,
    test_loss: r.testLoss,
    synth_loss: r.synthLoss,
    is_finetune: r.isFinetune,
  };
}

/** Parses a case input against its schema; a mismatch is a WireError naming the field path. */
export function decode<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  return parseWire(schema, input, { label });
}

/** Runs `fn`, turning a ScoringError into the vectors' `{error, message}` form (what the original raised). */
export function orPythonError<T>(fn: () => T): T | { error: string; message: string } {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ScoringError) return { error: e.pythonClass, message: e.message };
    throw e;
  }
}
