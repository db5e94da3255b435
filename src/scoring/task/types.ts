import type { TaskType } from '../../core/enums.ts';

export type { TaskType };

/** What a miner submitted for a task (the original's `Submission`, reduced to what scoring reads). */
export interface SubmissionRef {
  readonly repo: string;
  /** Never set by the original's evaluation at REF (scoring.md §1.3), so the hash path is dormant there. */
  readonly modelHash: string | null;
}

/**
 * One miner's evaluation result for one task (`MinerResultsText` / `MinerResultsImage`).
 * Losses are floats that may be NaN (failed or duplicate) or ±Infinity; for GRPO they hold a reward (higher is
 * better).
 */
export interface MinerResult {
  readonly hotkey: string;
  readonly testLoss: number;
  readonly synthLoss: number;
  readonly isFinetune: boolean;
  readonly score: number;
  readonly scoreReason: string | null;
  /** The metric the miner was ranked by; null until ranked, and for results that are not ranked. */
  readonly adjustedLoss: number | null;
  readonly taskType: TaskType;
  /**
   * Which result class the original built. Ranking picks its metric from the class of the first valid result:
   * only `text` results use max(test, synth) for Instruct/DPO/Chat. The original builds Chat *failures* and
   * tournament re-ranking rows as `image` (scoring.md §4.2, §6 item 4), which is why this is not derived from
   * `taskType`.
   */
  readonly kind: 'text' | 'image';
  readonly submission: SubmissionRef | null;
}

/** The result kind the original builds for an evaluated (not failed) submission of this task type. */
export function resultKindOf(taskType: TaskType): 'text' | 'image' {
  return taskType === 'ImageTask' ? 'image' : 'text';
}
