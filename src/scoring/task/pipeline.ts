/** evaluate_and_score's pure part: duplicates → zeroed duplicates → ranking (scoring.md §1.3–1.4). */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { handleDuplicateSubmissions, zeroDuplicateScores, type UploadTimestampLookup } from './duplicates.ts';
import { calculateMinerRankingAndScores } from './ranking.ts';
import type { MinerResult } from './types.ts';

export interface ScoredTask {
  readonly keepSubmission: Map<string, boolean>;
  readonly afterZeroDuplicates: MinerResult[];
  readonly final: MinerResult[];
}

export function scoreTaskWithDuplicateHandling(
  results: readonly MinerResult[],
  uploadTimestamp: UploadTimestampLookup,
  rules: ScoringRules = scoringRulesRef2025_08,
): ScoredTask {
  const keepSubmission = handleDuplicateSubmissions(results, uploadTimestamp);
  const afterZeroDuplicates = zeroDuplicateScores(results, keepSubmission, rules);
  const final = calculateMinerRankingAndScores(afterZeroDuplicates, rules);
  return { keepSubmission, afterZeroDuplicates, final };
}
