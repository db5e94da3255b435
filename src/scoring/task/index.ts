/**
 * Per-task scoring (spec/scoring.md §1): failure results, the finetune check, duplicates, ranking and the task's
 * status afterwards. Pure functions; each takes the rule set last (default: the reference `ref-2025-08`).
 */
export { ScoringError } from './errors.ts';
export { resultKindOf, type MinerResult, type SubmissionRef, type TaskType } from './types.ts';
export { calculateWeightedLoss, isSynthLossValidForGroup, weightedLossForImageEval } from './losses.ts';
export {
  RANKING_REASONS,
  calculateMinerRankingAndScores,
  chooseRankingMetric,
  nanSynthAbortsOriginalRanking,
  rankMiners,
  unrankedReason,
  type RankingMetric,
} from './ranking.ts';
export {
  DUPLICATE_REASON,
  groupByLosses,
  handleDuplicateSubmissions,
  reposNeedingUploadTimestamps,
  zeroDuplicateScores,
  type UploadTimestampLookup,
} from './duplicates.ts';
export {
  FAILURE_REASONS,
  NON_FINETUNED_OUTCOME,
  evaluationFailedReason,
  failedMinerResult,
  imageMinerResult,
  isBaseModelRepo,
  reposForSyntheticEval,
  taskStatusAfterScoring,
  textMinerResult,
  type EvalOutcome,
} from './failures.ts';
export { scoreTaskWithDuplicateHandling, type ScoredTask } from './pipeline.ts';
