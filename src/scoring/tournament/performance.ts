/**
 * How far the tournament's winner is behind the best ordinary miner on copies of the boss-round tasks
 * (spec/scoring.md §4.5, reference version): feeds the burn split of §2.5. Positive means the tournament is
 * worse.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { pyMax2, pyMaxOf, pyMinOf, pySum } from './python.ts';
import { isTaskType, type Behaviour, type TaskNodeRow } from './types.ts';

/** A boss-round task joined with its synced copy on the general network (`get_boss_round_winner_task_pairs`). */
export interface BossTaskPair {
  readonly tournamentTaskId: string;
  readonly syntheticTaskId: string;
  /** The tournament's stored `winner_hotkey` (the burn placeholder when the champion defended). */
  readonly winnerHotkey: string | null;
  readonly taskType: string;
}

/** `TournamentPerformanceData`. */
export interface PairPerformance {
  readonly tournamentTaskId: string;
  readonly syntheticTaskId: string;
  readonly taskType: string;
  readonly tournamentWinnerScore: number;
  readonly bestSyntheticScore: number;
  readonly performanceDifference: number;
}

/** Raised where the original raised `ValueError: '<x>' is not a valid TaskType`. */
export class InvalidTaskTypeError extends Error {
  override readonly name = 'ValueError';
  constructor(readonly taskType: string) {
    super(`'${taskType}' is not a valid TaskType`);
  }
}

/** Rows of a task as the batch score query returns them: both losses present and not NaN (infinities stay). */
function scoredRows(rows: readonly TaskNodeRow[]): { hotkey: string; test: number; synth: number }[] {
  const out: { hotkey: string; test: number; synth: number }[] = [];
  for (const r of rows) {
    if (r.testLoss === null || Number.isNaN(r.testLoss) || r.synthLoss === null || Number.isNaN(r.synthLoss)) continue;
    out.push({ hotkey: r.hotkey, test: r.testLoss, synth: r.synthLoss });
  }
  return out;
}

/**
 * The row whose score stands for the tournament winner. The original reads the burn placeholder's row whenever
 * the placeholder played the task, which in a boss round is always — so when a challenger won it measured the
 * loser (spec §6.2). Fixed (D-tournament-3): the winner's own row, and the placeholder's only when the winner
 * has none (it played as the placeholder).
 */
export function winnerLookupHotkey(
  winner: string | null,
  tournamentRows: readonly { hotkey: string }[],
  behaviour: Behaviour,
  rules: ScoringRules,
): string | null {
  const burn = rules.emissionBurnHotkey;
  if (winner === burn || !tournamentRows.some((r) => r.hotkey === burn)) return winner;
  if (behaviour === 'fixed' && tournamentRows.some((r) => r.hotkey === winner)) return winner;
  return burn;
}

/**
 * Rows of the synced copy that count toward the best synthetic score. A row with the outside-top-4 sentinel
 * was never evaluated on the synthetic set; the original counted its 1000, which wins a GRPO (higher is better)
 * maximum and reports the tournament ~100 % behind (spec §6.3). Fixed (D-tournament-4): such rows do not count.
 */
export function syntheticRowsThatCount<T extends { synth: number }>(rows: readonly T[], behaviour: Behaviour, rules: ScoringRules): T[] {
  return behaviour === 'fixed' ? rows.filter((r) => r.synth !== rules.outsideTopSynthLoss) : [...rows];
}

/** `get_tournament_performance_data`: one entry per pair where both sides have a score. */
export function tournamentPerformanceData(
  pairs: readonly BossTaskPair[],
  rowsByTask: ReadonlyMap<string, readonly TaskNodeRow[]>,
  behaviour: Behaviour = 'fixed',
  rules: ScoringRules = scoringRulesRef2025_08,
): PairPerformance[] {
  const out: PairPerformance[] = [];
  for (const pair of pairs) {
    const tournamentRows = scoredRows(rowsByTask.get(pair.tournamentTaskId) ?? []);
    const syntheticRows = scoredRows(rowsByTask.get(pair.syntheticTaskId) ?? []);
    const lookup = winnerLookupHotkey(pair.winnerHotkey, tournamentRows, behaviour, rules);
    const winnerRow = tournamentRows.find((r) => r.hotkey === lookup);
    const winnerScore = winnerRow ? pyMax2(winnerRow.test, winnerRow.synth) : null;

    let best: number | null = null;
    if (syntheticRows.length > 0) {
      if (!isTaskType(pair.taskType)) throw new InvalidTaskTypeError(pair.taskType);
      const counted = syntheticRowsThatCount(syntheticRows, behaviour, rules).map((r) => pyMax2(r.test, r.synth));
      if (counted.length > 0) best = pair.taskType === 'GrpoTask' ? pyMaxOf(counted) : pyMinOf(counted);
    }
    if (best === null) continue;
    const ids = { tournamentTaskId: pair.tournamentTaskId, syntheticTaskId: pair.syntheticTaskId, taskType: pair.taskType };
    if (winnerScore === null) {
      // The winner has no usable score but ordinary miners do: treated as the maximum burn.
      out.push({ ...ids, tournamentWinnerScore: 0.0, bestSyntheticScore: best, performanceDifference: rules.maxBurnReduction / rules.burnReductionRate });
      continue;
    }
    let diff = 0.0;
    if (best > 0) diff = pair.taskType === 'GrpoTask' ? (best - winnerScore) / best : (winnerScore - best) / best;
    out.push({ ...ids, tournamentWinnerScore: winnerScore, bestSyntheticScore: best, performanceDifference: diff });
  }
  return out;
}

/** `calculate_performance_difference` at the reference version: the mean over pairs, 0.0 without any. */
export function performanceDifference(data: readonly PairPerformance[]): number {
  if (data.length === 0) return 0.0;
  return pySum(data.map((d) => d.performanceDifference)) / data.length;
}
