/**
 * Period scores and the weight vector at the reference version (spec/scoring.md §2, §5): work scores, buckets,
 * suspicious nodes, the emission split, the final float vector and fiber's u16 quantisation. Pure functions;
 * each takes the rule set last (default: the reference `ref-2025-08`).
 */
export type { EmissionSplit, NodeScore, PeriodScore, ScoringTask, TaskResult } from './types.ts';
export { taskWorkScore, taskWorkScoreOrNull } from './work-score.ts';
export {
  aggregatePeriodScores,
  hasUnscorableTasks,
  isScorableTask,
  normaliseScores,
  periodScoresFromResults,
  scorableTaskResults,
} from './period-scores.ts';
export {
  detectSuspiciousNodes,
  organicProportion,
  periodScoresFromScorableTaskResults,
  periodScoresFromTaskResults,
  taskTypeGroups,
  type TaskTypeGroup,
} from './buckets.ts';
export {
  burnProportion,
  tournamentBurnDetails,
  weightRedistribution,
  type CompletedTournamentFacts,
  type TournamentBurnData,
  type TournamentHistory,
} from './burn.ts';
export {
  burnUidWeightBeforeBurn,
  combinedTournamentWeights,
  nodeWeightsFromPeriodScores,
  type BurnAssignment,
  type NodeWeights,
  type NodeWeightsInput,
} from './node-weights.ts';
export { normalizeAndQuantizeWeights, type QuantizedWeights } from './quantize.ts';
export { isoToMicros, npMean, npStd, pairwiseSum, pyRound, pySum, MICROS_PER_DAY } from './numeric.ts';
