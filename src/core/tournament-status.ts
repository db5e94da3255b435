/**
 * The tournament-side state machines as data (tournament.md §3.1, §3.14, §4): tournaments, rounds, and
 * per (task, hotkey) trainings. Same shape as task-status.ts; operator rows come from the manual tools.
 */
import type { RoundStatus, TournamentStatus, TrainingStatus } from './enums.ts';
import type { TransitionKind, TransitionOptions } from './task-status.ts';

export interface Transition<S extends string> {
  readonly from: S;
  readonly to: S;
  readonly kind: TransitionKind;
  readonly trigger: string;
}

export const TOURNAMENT_TRANSITIONS: readonly Transition<TournamentStatus>[] = Object.freeze([
  { from: 'pending', to: 'active', kind: 'normal', trigger: 'enough participants answered /training_repo (MIN_MINERS_FOR_TOURN)' },
  { from: 'active', to: 'completed', kind: 'normal', trigger: 'final round decided and its boss-round syncs done' },
  { from: 'completed', to: 'active', kind: 'operator', trigger: 'reverse a round of a completed tournament' },
  // No code path of the original cancels; an unused SQL helper exists, so operators may.
  { from: 'pending', to: 'cancelled', kind: 'operator', trigger: 'operator cancels' },
  { from: 'active', to: 'cancelled', kind: 'operator', trigger: 'operator cancels' },
]);

export const ROUND_TRANSITIONS: readonly Transition<RoundStatus>[] = Object.freeze([
  { from: 'pending', to: 'active', kind: 'normal', trigger: 'tasks created and every task has at least one assigned node' },
  { from: 'active', to: 'completed', kind: 'normal', trigger: 'every task of the round resolved' },
  { from: 'completed', to: 'active', kind: 'operator', trigger: 'the next round was reversed' },
]);

export const TRAINING_TRANSITIONS: readonly Transition<TrainingStatus>[] = Object.freeze([
  { from: 'pending', to: 'training', kind: 'normal', trigger: 'a trainer answered "Started Training!"' },
  { from: 'pending', to: 'failure', kind: 'normal', trigger: 'attempts exhausted, no training repo, obfuscation check failed, or start failed 3 times' },
  { from: 'training', to: 'success', kind: 'normal', trigger: 'any trainer reports success' },
  { from: 'training', to: 'pending', kind: 'normal', trigger: 'every trainer reports failure, or none knows the job (retry)' },
  { from: 'failure', to: 'pending', kind: 'operator', trigger: 'manage_failed_task retry resets attempts' },
  { from: 'success', to: 'pending', kind: 'operator', trigger: 'manage_failed_task retry resets attempts' },
]);

export function canTransitionIn<S extends string>(
  table: readonly Transition<S>[],
  from: string,
  to: string,
  options: TransitionOptions = {},
): boolean {
  return table.some((tr) => tr.from === from && tr.to === to && (tr.kind !== 'operator' || options.operator === true));
}

export function assertTransitionIn<S extends string>(
  what: string,
  table: readonly Transition<S>[],
  from: string,
  to: string,
  options: TransitionOptions = {},
): void {
  if (!canTransitionIn(table, from, to, options)) {
    throw new Error(`${what} status cannot change from ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
  }
}
