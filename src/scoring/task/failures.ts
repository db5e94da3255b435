/**
 * What goes into ranking besides real losses: failure results (scoring.md §1.2), the finetune check's effect and
 * the REF two-stage text evaluation (§1.1), and the task's status after scoring (§1.5).
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { TaskStatus } from '../../core/enums.ts';
import { weightedLossForImageEval } from './losses.ts';
import type { MinerResult, SubmissionRef, TaskType } from './types.ts';

export const FAILURE_REASONS = Object.freeze({
  repoNameMismatch: 'Repository name mismatch',
  hashVerificationFailed: 'Hash verification failed',
  noRepo: 'Invalid/No repo submitted',
});

/** `Evaluation failed: <first 350 characters of the error>` (characters as Python counts them: code points). */
export function evaluationFailedReason(error: string, rules: ScoringRules = scoringRulesRef2025_08): string {
  return `Evaluation failed: ${Array.from(error).slice(0, rules.evalErrorReasonMaxChars).join('')}`;
}

/**
 * `_create_failed_miner_result`: NaN losses, not a finetune, score 0.0 (ranking turns it into −1 when someone is
 * valid). The original builds Chat failures as image results; the kind is kept for fidelity (it never matters,
 * failures are never ranked).
 */
export function failedMinerResult(hotkey: string, scoreReason: string, taskType: TaskType): MinerResult {
  const text = taskType === 'InstructTextTask' || taskType === 'DpoTask' || taskType === 'GrpoTask';
  return {
    hotkey,
    testLoss: NaN,
    synthLoss: NaN,
    isFinetune: false,
    score: 0.0,
    scoreReason,
    adjustedLoss: null,
    taskType,
    kind: text ? 'text' : 'image',
    submission: null,
  };
}

/** One repo's evaluation on one dataset, as the evaluator reports it. */
export interface EvalOutcome {
  readonly isFinetune: boolean;
  readonly evalLoss: number;
}

/**
 * The finetune check's effect: a repo equal to the base model, or one the evaluator finds is not a finetune of
 * it, gets `is_finetune = false` with loss 0.0 on both sets, so ranking marks it `Non-finetuned submission`
 * (−1 when someone is valid).
 */
export const NON_FINETUNED_OUTCOME: EvalOutcome = Object.freeze({ isFinetune: false, evalLoss: 0.0 });

/** `repo == task.model_id`: submitting the base model itself is never a finetune. */
export function isBaseModelRepo(repo: string, baseModelId: string): boolean {
  return repo === baseModelId;
}

/**
 * REF two-stage text evaluation: of the finetuned repos (in evaluation order) the best `topN` on the test set
 * (GRPO: highest reward; NaN last) go on to the synthetic set; the rest get the 1000 sentinel. `topN` is the
 * evaluation rule `synthEvalTopN` (4).
 */
export function reposForSyntheticEval(
  testLosses: readonly { repo: string; testLoss: number }[],
  taskType: TaskType,
  topN: number,
): { top: string[]; rest: string[] } {
  const grpo = taskType === 'GrpoTask';
  const keyed = testLosses.map((t) => ({
    repo: t.repo,
    // Python sorts GRPO with reverse=True on a key mapping NaN to -inf; a stable descending sort keeps ties in order.
    key: Number.isNaN(t.testLoss) ? (grpo ? -Infinity : Infinity) : t.testLoss,
  }));
  keyed.sort((a, b) => (grpo ? (a.key > b.key ? -1 : a.key < b.key ? 1 : 0) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { top: keyed.slice(0, topN).map((k) => k.repo), rest: keyed.slice(topN).map((k) => k.repo) };
}

/** A text miner result from its test and synthetic outcomes (is_finetune comes from the test outcome). */
export function textMinerResult(
  hotkey: string,
  taskType: TaskType,
  test: EvalOutcome,
  synth: EvalOutcome,
  submission: SubmissionRef | null,
): MinerResult {
  return {
    hotkey,
    testLoss: test.evalLoss,
    synthLoss: synth.evalLoss,
    isFinetune: test.isFinetune,
    score: 0.0,
    scoreReason: null,
    adjustedLoss: null,
    taskType,
    kind: 'text',
    submission,
  };
}

/** An image miner result: the loss is the 0.25/0.75 mix and stands in for both the test and synthetic loss. */
export function imageMinerResult(
  hotkey: string,
  losses: { textGuidedLosses: readonly number[]; noTextLosses: readonly number[]; isFinetune: boolean },
  submission: SubmissionRef | null,
  rules: ScoringRules = scoringRulesRef2025_08,
): MinerResult {
  const loss = weightedLossForImageEval(losses.textGuidedLosses, losses.noTextLosses, rules);
  return {
    hotkey,
    testLoss: loss,
    synthLoss: loss,
    isFinetune: losses.isFinetune,
    score: 0.0,
    scoreReason: null,
    adjustedLoss: null,
    taskType: 'ImageTask',
    kind: 'image',
    submission,
  };
}

/**
 * Status after scoring (§1.5): all scores exactly 0 means nobody could be ranked — re-evaluate while attempts
 * remain (`n_eval_attempts < MAX_EVAL_ATTEMPTS − 1`), else fail; otherwise success. The caller increments
 * `n_eval_attempts` in every case.
 */
export function taskStatusAfterScoring(
  scored: readonly Pick<MinerResult, 'score'>[],
  nEvalAttempts: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): Extract<TaskStatus, 'preevaluation' | 'failure' | 'success'> {
  if (!scored.every((r) => r.score === 0)) return 'success';
  return nEvalAttempts < rules.maxEvalAttempts - 1 ? 'preevaluation' : 'failure';
}
