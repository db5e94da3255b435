/**
 * The tournament rules (src/core/rules/tournament.ts) plus the few this subsystem adds for its fixes and its work
 * queue. The additions have the reference behaviour's value where one exists; they belong in src/core/rules once
 * the lead promotes them (listed in docs/tournament.md).
 */
import { tournamentRules, type TournamentRules } from '../core/rules/tournament.ts';
import type { GpuType } from '../core/enums.ts';

export interface TournamentExtraRules {
  /** How long a lifecycle worker holds a tournament while it works on it. */
  lifecycleLeaseSeconds: number;
  /** How long the orchestrator holds a training while starting or polling it. */
  trainingLeaseSeconds: number;
  /** Grace after hours_to_complete before a training still running counts as timed out (trainer STALE_TASK_GRACE). */
  trainingGraceSeconds: number;
  /** GPU types a text training may use (the original: H100 only). */
  textGpuTypes: readonly GpuType[];
  /** GPU types an image training may use. The original: A100 only, so a trainer without A100s never ran one (spec §10). */
  imageGpuTypes: readonly GpuType[];
  /** A GPU the trainer reports busy while our database has it free is booked for this long (the original never did). */
  trainerBusyHoldSeconds: number;
  /** An unreachable trainer's GPUs are booked for this long (HEAD: 2 h). */
  unreachableTrainerHoldSeconds: number;
  /** Attempts at publishing a completed tournament's winners before giving up. */
  maxPublishAttempts: number;
  /** Wait between publishing attempts. */
  publishRetrySeconds: number;
  /** Tournament tasks the round-task step creates per pass (each is one transaction). */
  taskCreationsPerPass: number;
}

export type TournamentLifecycleRules = TournamentRules & TournamentExtraRules;

export const tournamentExtraRules: TournamentExtraRules = Object.freeze({
  lifecycleLeaseSeconds: 600,
  trainingLeaseSeconds: 120,
  trainingGraceSeconds: 600,
  textGpuTypes: Object.freeze(['H100'] as GpuType[]),
  imageGpuTypes: Object.freeze(['A100', 'H100'] as GpuType[]),
  trainerBusyHoldSeconds: 3600,
  unreachableTrainerHoldSeconds: 7200,
  maxPublishAttempts: 3,
  publishRetrySeconds: 900,
  taskCreationsPerPass: 64,
});

export const defaultLifecycleRules: TournamentLifecycleRules = Object.freeze({ ...tournamentRules, ...tournamentExtraRules });

export function lifecycleRules(overrides: Partial<TournamentLifecycleRules> = {}, base: TournamentRules = tournamentRules): TournamentLifecycleRules {
  return Object.freeze({ ...base, ...tournamentExtraRules, ...overrides });
}
