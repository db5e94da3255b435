/**
 * How a tournament task's stored rows are re-ranked to get each side's adjusted loss (the original's
 * `get_task_results_for_ranking` followed by `calculate_miner_ranking_and_scores`, spec/scoring.md §4.2).
 * The ranking itself is the task-scoring module's; this file only rebuilds its input from stored rows.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { TaskType } from '../../core/enums.ts';
import { calculateMinerRankingAndScores } from '../task/ranking.ts';
import type { MinerResult } from '../task/types.ts';
import type { TaskNodeRow } from './types.ts';

/**
 * Rows are read back as text results only for these types; Chat and Image come back as image results, so a
 * Chat task is ranked by the weighted metric here (spec §6.4, kept: it is the original's ranking rule).
 */
const TEXT_RESULT_TYPES: ReadonlySet<string> = new Set(['InstructTextTask', 'DpoTask', 'GrpoTask']);

export interface RankedRow {
  readonly hotkey: string;
  readonly testLoss: number;
  readonly synthLoss: number;
  /** Null when the row was not ranked (e.g. outside the top 4: no synthetic loss stored). */
  readonly adjustedLoss: number | null;
}

/** A stored loss as the original reads it: NaN and ±inf come back as missing. */
function cleanLoss(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}

/**
 * Rows with a quality score and a usable test loss, in row order, as the results the original rebuilds from
 * the database: everyone counts as finetuned and a missing synthetic loss becomes the outside-top-4 sentinel.
 */
export function resultsForRanking(
  taskType: string | null,
  rows: readonly TaskNodeRow[],
  rules: ScoringRules = scoringRulesRef2025_08,
): MinerResult[] {
  const kind = taskType !== null && TEXT_RESULT_TYPES.has(taskType) ? 'text' : 'image';
  const out: MinerResult[] = [];
  for (const row of rows) {
    if (row.qualityScore === null) continue;
    const test = cleanLoss(row.testLoss);
    if (test === null) continue;
    out.push({
      hotkey: row.hotkey,
      testLoss: test,
      synthLoss: cleanLoss(row.synthLoss) ?? rules.outsideTopSynthLoss,
      isFinetune: true,
      score: 0.0,
      scoreReason: null,
      adjustedLoss: null,
      taskType: (kind === 'image' ? 'ImageTask' : taskType) as TaskType,
      kind,
      submission: null,
    });
  }
  return out;
}

/** The adjusted loss of each usable stored row of a tournament task, in row order. */
export function adjustedLosses(
  taskType: string | null,
  rows: readonly TaskNodeRow[],
  rules: ScoringRules = scoringRulesRef2025_08,
): RankedRow[] {
  const ranked = calculateMinerRankingAndScores(resultsForRanking(taskType, rows, rules), rules);
  return ranked.map((r) => ({ hotkey: r.hotkey, testLoss: r.testLoss, synthLoss: r.synthLoss, adjustedLoss: r.adjustedLoss }));
}
