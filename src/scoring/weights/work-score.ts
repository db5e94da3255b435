/** `get_task_work_score` (scoring.md §2.2): how much a task counts, from its duration and model size. */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { check, ScoringError } from '../task/errors.ts';
import { pyFloorDiv } from './numeric.ts';
import type { ScoringTask } from './types.ts';

/** The first run of digits directly before a `b`/`B` in the model id: "Qwen2.5-7B" → 7, "6.7b" → 7. */
const SIZE_IN_NAME = /(\d+)(?=[bB])/;

/**
 * max(1, 2·sqrt(hours · size)), size in billions: from the parameter count (integer division, clamped to 1..40)
 * or, when the count is 0, from the model name (capped at 8; 1 when the name has none).
 * Throws ScoringError for what the original rejects: hours ≤ 0, an empty model id, a null parameter count.
 */
export function taskWorkScore(
  task: Pick<ScoringTask, 'hoursToComplete' | 'modelId' | 'modelParamsCount'>,
  rules: ScoringRules = scoringRulesRef2025_08,
): number {
  const hours = task.hoursToComplete;
  check(hours > 0, 'Hours to complete must be positive');
  check(task.modelId !== '', 'Model ID must be present');
  const params = task.modelParamsCount;
  if (params === null) throw new ScoringError('TypeError', "'>' not supported between instances of 'NoneType' and 'int'");
  let sizeBillions: number;
  if (params > 0) {
    const billions = pyFloorDiv(params, rules.workScoreParamsPerBillion);
    sizeBillions = Math.min(rules.workScoreMaxParamsBillions, Math.max(1, billions));
  } else {
    const m = SIZE_IN_NAME.exec(task.modelId);
    sizeBillions = Math.min(rules.workScoreMaxRegexBillions, m ? Number.parseInt(m[1]!, 10) : 1);
  }
  return Math.max(1, 2 * Math.sqrt(hours * sizeBillions));
}

/** taskWorkScore, or null for a task the original would fail on (hours ≤ 0, no model id, null count). */
export function taskWorkScoreOrNull(task: ScoringTask, rules: ScoringRules = scoringRulesRef2025_08): number | null {
  try {
    return taskWorkScore(task, rules);
  } catch (e) {
    if (e instanceof ScoringError) return null;
    throw e;
  }
}

/** Whether taskWorkScore is defined for this task (what it checks before computing), without computing it. */
export function hasWorkScore(task: Pick<ScoringTask, 'hoursToComplete' | 'modelId' | 'modelParamsCount'>): boolean {
  return task.hoursToComplete > 0 && task.modelId !== '' && task.modelParamsCount !== null;
}
