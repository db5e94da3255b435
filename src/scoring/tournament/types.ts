/** Plain data the tournament rules work on. Field meanings follow the original's tables (spec/tournament.md §1). */

export type TaskTypeName = 'InstructTextTask' | 'DpoTask' | 'GrpoTask' | 'ChatTask' | 'ImageTask';
export const TASK_TYPES: readonly TaskTypeName[] = ['InstructTextTask', 'DpoTask', 'GrpoTask', 'ChatTask', 'ImageTask'];

export function isTaskType(value: string): value is TaskTypeName {
  return (TASK_TYPES as readonly string[]).includes(value);
}

export type TournamentTypeName = 'text' | 'image';

/**
 * Which behaviour to run. `fixed` (the default) is ours: the original's rules with the deviations listed in
 * docs/deviations.md. `original` reproduces commit a7e666d7 bug for bug, for replaying or auditing its
 * decisions and for proving that a deviation changes exactly what the document says.
 */
export type Behaviour = 'fixed' | 'original';

/** One `task_nodes` row as the original reads it: a null quality score means "not scored yet". */
export interface TaskNodeRow {
  readonly hotkey: string;
  readonly qualityScore: number | null;
  readonly testLoss: number | null;
  readonly synthLoss: number | null;
}

/** A tournament task with what the round-winner rules read about it. */
export interface RoundTask {
  readonly taskId: string;
  /** Null when the task row is missing (deleted or never created). */
  readonly taskType: string | null;
  readonly groupId?: string | null;
  readonly rows: readonly TaskNodeRow[];
  /** Training status per hotkey (`success`, `failure`, …) from the tournament trainings table. */
  readonly trainingStatus: Readonly<Record<string, string>>;
}

export interface TournamentScore {
  readonly hotkey: string;
  readonly score: number;
}

/** `TournamentResultsWithWinners`: a completed tournament's rounds and per-task winners. */
export interface TournamentResults {
  readonly winnerHotkey: string | null;
  readonly baseWinnerHotkey: string | null;
  readonly rounds: readonly {
    readonly roundNumber: number;
    readonly isFinalRound: boolean;
    readonly tasks: readonly { readonly winner: string | null }[];
  }[];
}

/** `TournamentTypeResult`. */
export interface TournamentTypeResult {
  readonly scores: TournamentScore[];
  readonly prevWinnerHotkey: string | null;
  readonly prevWinnerWonFinal: boolean;
}
