/**
 * Who advances from a completed round (spec/scoring.md §4.2, spec/tournament.md §3.8): task winners,
 * knockout pairs, groups, and the boss round against the defending champion's code.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { adjustedLosses } from './boss-ranking.ts';
import { compareCodePoints, mostCommonFirst } from './python.ts';
import { progressiveThreshold } from './streak.ts';
import type { Behaviour, RoundTask, TaskNodeRow } from './types.ts';

/** `get_task_winner`: the row with the highest quality score above 0 (rank 1 after scoring); ties by row order. */
export function taskWinner(rows: readonly TaskNodeRow[]): string | null {
  let best: TaskNodeRow | null = null;
  for (const row of rows) {
    if (row.qualityScore === null || !(row.qualityScore > 0)) continue;
    if (best === null || row.qualityScore > (best.qualityScore as number)) best = row;
  }
  return best?.hotkey ?? null;
}

/** How one boss-round task was decided. */
export interface BossTaskOutcome {
  readonly taskId: string;
  /** Null when the task was skipped (both trained, neither has a loss). */
  readonly winner: string | null;
  readonly decidedBy: 'no-results' | 'training-status' | 'loss' | 'skipped';
  readonly bossLoss: number | null;
  readonly challenger: string | null;
  readonly challengerLoss: number | null;
  readonly higherIsBetter: boolean;
}

/**
 * Whether the champion's code keeps a task at margin `t`: the challenger must beat the boss by the fraction
 * `t` of the boss's score. The original multiplies the boss's score by (1 ± t), which points the margin the
 * wrong way when that score is negative (GRPO rewards can be): a worse challenger then wins (spec §6.7).
 * The fix (D-tournament-2) applies the margin to the magnitude, and an exact tie stays with the boss even where the
 * margin vanishes (a boss score of 0); otherwise, for a non-negative boss score, both agree.
 */
export function bossKeepsTask(
  bossLoss: number,
  challengerLoss: number,
  threshold: number,
  higherIsBetter: boolean,
  behaviour: Behaviour = 'fixed',
): boolean {
  if (behaviour === 'original') {
    return higherIsBetter ? bossLoss * (1 + threshold) > challengerLoss : bossLoss * (1 - threshold) < challengerLoss;
  }
  // A challenger no better than the boss never takes the task. The margin alone says so except where it vanishes
  // (a boss score of 0, or one so small that b·(1±t) rounds to b): an exact tie there went to the challenger.
  if (higherIsBetter ? challengerLoss <= bossLoss : challengerLoss >= bossLoss) return true;
  const flip = bossLoss < 0;
  if (higherIsBetter) return bossLoss * (flip ? 1 - threshold : 1 + threshold) > challengerLoss;
  return bossLoss * (flip ? 1 + threshold : 1 - threshold) < challengerLoss;
}

/** Decides each boss-round task in round order (the body of the original's boss-round loop). */
export function bossRoundTaskOutcomes(
  tasks: readonly RoundTask[],
  consecutiveWins: number,
  behaviour: Behaviour = 'fixed',
  rules: ScoringRules = scoringRulesRef2025_08,
): BossTaskOutcome[] {
  const boss = rules.emissionBurnHotkey;
  const threshold = progressiveThreshold(consecutiveWins, rules);
  const success = 'success';
  return tasks.map((task): BossTaskOutcome => {
    const higherIsBetter = task.taskType === 'GrpoTask';
    const base = { taskId: task.taskId, higherIsBetter };
    const ranked = adjustedLosses(task.taskType, task.rows, rules);
    if (ranked.length === 0) {
      return { ...base, winner: boss, decidedBy: 'no-results', bossLoss: null, challenger: null, challengerLoss: null };
    }
    let bossLoss: number | null = null;
    let challenger: string | null = null;
    let challengerLoss: number | null = null;
    for (const r of ranked) {
      if (r.hotkey === boss) bossLoss = r.adjustedLoss;
      else if (challenger === null) {
        challenger = r.hotkey;
        challengerLoss = r.adjustedLoss;
      }
    }
    const seen = { ...base, bossLoss, challenger, challengerLoss };
    if (bossLoss === null || challengerLoss === null) {
      const bossTrained = task.trainingStatus[boss] === success;
      const challengerTrained = challenger !== null && task.trainingStatus[challenger] === success;
      if (challengerTrained && !bossTrained) return { ...seen, winner: challenger, decidedBy: 'training-status' };
      if (bossTrained && !challengerTrained) return { ...seen, winner: boss, decidedBy: 'training-status' };
      if (!bossTrained && !challengerTrained) return { ...seen, winner: boss, decidedBy: 'training-status' };
      if (challengerLoss !== null && bossLoss === null) return { ...seen, winner: challenger, decidedBy: 'training-status' };
      if (bossLoss !== null && challengerLoss === null) return { ...seen, winner: boss, decidedBy: 'training-status' };
      return { ...seen, winner: null, decidedBy: 'skipped' };
    }
    const keeps = bossKeepsTask(bossLoss, challengerLoss, threshold, higherIsBetter, behaviour);
    return { ...seen, winner: keeps ? boss : challenger, decidedBy: 'loss' };
  });
}

/**
 * The boss round's winner at the reference version: the most frequent task winner, ties going to whoever won
 * a task first; the champion's code (the burn placeholder) when no task was decided.
 */
export function bossRoundWinner(outcomes: readonly BossTaskOutcome[], rules: ScoringRules = scoringRulesRef2025_08): string {
  const winners = outcomes.flatMap((o) => (o.winner === null ? [] : [o.winner]));
  return mostCommonFirst(winners) ?? rules.emissionBurnHotkey;
}

export interface KnockoutRound {
  readonly isFinalRound: boolean;
  /** The round's tasks in the order the round lists them. */
  readonly tasks: readonly RoundTask[];
}

/**
 * `get_knockout_winners`: in an ordinary knockout round, each pair task's winner advances (a pair where both
 * failed sends nobody on); in the final it is the boss round's single winner. `consecutiveWins` is the
 * defending champion's streak (`championConsecutiveWins`).
 */
export function knockoutWinners(
  round: KnockoutRound,
  consecutiveWins: number,
  behaviour: Behaviour = 'fixed',
  rules: ScoringRules = scoringRulesRef2025_08,
): string[] {
  if (!round.isFinalRound) {
    return round.tasks.flatMap((t) => {
      const w = taskWinner(t.rows);
      return w === null || w === '' ? [] : [w];
    });
  }
  return [bossRoundWinner(bossRoundTaskOutcomes(round.tasks, consecutiveWins, behaviour, rules), rules)];
}

/**
 * `get_group_winners` at the reference version: per group, count task wins; a lone winner advances, a unique
 * leader takes the top two (a tie for second goes to the hotkey that won a task first, as in the original's
 * encounter order), a tie for first sends every tied hotkey. Hotkeys without a win never advance. The union
 * over groups is returned sorted (the original returns a set's arbitrary order).
 */
export function groupWinners(tasks: readonly RoundTask[], groups: Readonly<Record<string, readonly string[]>>): string[] {
  const groupTasks = new Map<string, RoundTask[]>();
  for (const task of tasks) {
    if (!task.groupId) continue;
    const list = groupTasks.get(task.groupId);
    if (list) list.push(task);
    else groupTasks.set(task.groupId, [task]);
  }
  const advancing = new Set<string>();
  for (const [groupId, groupTaskList] of groupTasks) {
    const members = Object.hasOwn(groups, groupId) ? groups[groupId] : undefined;
    if (!members || members.length === 0 || groupTaskList.length === 0) continue;
    // One winner per distinct task id (the original reads them back as a dict keyed by task).
    const winnerByTask = new Map<string, string>();
    for (const task of groupTaskList) {
      const w = taskWinner(task.rows);
      if (w !== null) winnerByTask.set(task.taskId, w);
    }
    const counts = new Map<string, number>();
    for (const w of winnerByTask.values()) counts.set(w, (counts.get(w) ?? 0) + 1);
    if (counts.size === 0) continue;
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    if (sorted.length === 1) {
      advancing.add(sorted[0]![0]);
      continue;
    }
    const maxWins = sorted[0]![1];
    const tiedFirst = sorted.filter(([, wins]) => wins === maxWins).map(([h]) => h);
    const chosen = tiedFirst.length === 1 ? sorted.slice(0, 2).map(([h]) => h) : tiedFirst;
    for (const h of chosen) advancing.add(h);
  }
  return [...advancing].sort(compareCodePoints);
}
