import type { TaskType } from '../../core/enums.ts';

/** What period scoring reads of a task (`MiniTaskWithScoringOnly`). */
export interface ScoringTask {
  readonly taskType: TaskType;
  readonly isOrganic: boolean;
  /** Microseconds since the epoch (see `isoToMicros`). */
  readonly createdAt: number;
  readonly hoursToComplete: number;
  readonly modelId: string;
  /** The base model's parameter count; 0 when unknown (the column default); null is malformed. */
  readonly modelParamsCount: number | null;
}

/** A kept `task_nodes` row: quality score ≥ 1 or < 0 (the winner's 3 and the −1 penalties). */
export interface NodeScore {
  readonly hotkey: string;
  readonly qualityScore: number;
}

/** `TaskResults`: one successful task with its kept node rows. */
export interface TaskResult {
  readonly task: ScoringTask;
  readonly nodeScores: readonly NodeScore[];
}

/** `PeriodScore`: one hotkey's score in one bucket (window × task-type group × organic/synthetic). */
export interface PeriodScore {
  readonly hotkey: string;
  readonly qualityScore: number;
  readonly summedTaskScore: number;
  readonly averageScore: number;
  readonly stdScore: number;
  weightMultiplier: number;
  normalisedScore: number;
}

/** The emission split between tournament, regular mining and burn (`TournamentBurnData`'s weights). */
export interface EmissionSplit {
  readonly tournamentWeight: number;
  readonly regularWeight: number;
  readonly burnWeight: number;
}
