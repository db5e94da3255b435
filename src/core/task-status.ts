/**
 * The task lifecycle as data (validator.md §4, tournament.md §3.1, §3.7, §4). Every allowed status change is a
 * row of TASK_TRANSITIONS, with who makes it; `canTransition` / `assertTransition` are the only checks.
 *
 *  (create) → pending → preparing_data → looking_for_nodes → ready → training → preevaluation → evaluating
 *                              │                 │   ▲                                  ▲           │
 *                              ▼                 ▼   │ (due)                            └─ all zero ┤
 *                     prep_task_failure       delayed                                    success / failure
 *                                        failure_finding_nodes
 *
 * Tournament and benchmark tasks skip the offer round: the orchestrator moves them from looking_for_nodes
 * straight to training, and back to preevaluation once every (task, hotkey) training has finished.
 */
import {
  LEGACY_TASK_STATUSES,
  TASK_STATUSES,
  type LegacyTaskStatus,
  type StoredTaskStatus,
  type TaskStatus,
} from './enums.ts';

/**
 * normal: the task system's own loops. recovery: the cycle's start-up repair after a crash.
 * operator: manual tools (reverse a round, manage a failed tournament task); allowed only when asked for.
 */
export type TransitionKind = 'normal' | 'recovery' | 'operator';

export interface TaskTransition {
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  readonly kind: TransitionKind;
  /** Who makes the change and when, in the original's terms. */
  readonly trigger: string;
}

/** How a task comes into existence, and in which status. */
export interface TaskCreation {
  readonly status: TaskStatus;
  readonly trigger: string;
}

export const TASK_CREATIONS: readonly TaskCreation[] = Object.freeze([
  { status: 'pending', trigger: 'API create, synthetic scheduler, tournament task creator' },
  { status: 'looking_for_nodes', trigger: 'POST /v1/tasks/create_with_fixed_datasets (prep skipped); boss-round copy to the general network; benchmark copy' },
  { status: 'success', trigger: 'POST /v1/tasks/create reuse path (an identical task succeeded in the last 7 days)' },
  { status: 'preparing_data', trigger: 'POST /v1/tasks/{task_id}/create_benchmark_root (benchmark roots stay here as templates)' },
]);

const t = (from: TaskStatus, to: TaskStatus, kind: TransitionKind, trigger: string): TaskTransition =>
  Object.freeze({ from, to, kind, trigger });

export const TASK_TRANSITIONS: readonly TaskTransition[] = Object.freeze([
  t('pending', 'preparing_data', 'normal', 'cycle picks the task for prep (written before prep starts)'),
  t('preparing_data', 'looking_for_nodes', 'normal', 'prep succeeded: data URLs and standard column names written'),
  t('preparing_data', 'prep_task_failure', 'normal', 'any exception during prep; no retry'),
  t('preparing_data', 'pending', 'recovery', 'cycle start-up moves interrupted preps back (benchmark roots excluded)'),
  t('looking_for_nodes', 'ready', 'normal', 'offer round: at least MINIMUM_MINER_POOL miners accepted'),
  t('looking_for_nodes', 'delayed', 'normal', 'organic task, times_delayed below the cap, and no miner found (or an error)'),
  t('looking_for_nodes', 'failure_finding_nodes', 'normal', 'synthetic task with no miner, or organic task delayed too often'),
  t('looking_for_nodes', 'training', 'normal', 'tournament orchestrator creates the (task, hotkey) trainings'),
  t('delayed', 'looking_for_nodes', 'normal', 'next_delay_at has passed'),
  t('ready', 'training', 'normal', 'start requests sent to the assigned miners (HEAD: orchestrator for organic tasks)'),
  t('training', 'preevaluation', 'normal', 'termination_at passed, or (tournament) every training finished'),
  t('preevaluation', 'evaluating', 'normal', 'an evaluation worker takes the task'),
  t('evaluating', 'success', 'normal', 'some miner score is not 0.0'),
  t('evaluating', 'preevaluation', 'normal', 'every score is 0.0 and evaluation attempts remain'),
  t('evaluating', 'failure', 'normal', 'every score is 0.0 on the last attempt, or evaluation raised'),
  t('evaluating', 'preevaluation', 'recovery', 'cycle start-up re-queues interrupted evaluations'),
  // reverse_tournament_round sets every task of the reversed round (not synced to the general network) to
  // failure, whatever its status.
  ...TASK_STATUSES.filter((s) => s !== 'failure').map((s) =>
    t(s, 'failure', 'operator', 'reverse a tournament round: the round\'s tasks are failed'),
  ),
  t('failure', 'prep_task_failure', 'operator', 'manage_failed_task replace: mark for replacement'),
  t('failure', 'training', 'operator', 'manage_failed_task retry: train again with attempts reset'),
]);

/** Statuses nothing moves out of (except operator tools). */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = Object.freeze([
  'prep_task_failure',
  'failure_finding_nodes',
  'success',
  'failure',
]);

export function isTaskStatus(value: string): value is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(value);
}

export function isLegacyTaskStatus(value: string): value is LegacyTaskStatus {
  return (LEGACY_TASK_STATUSES as readonly string[]).includes(value);
}

export function isTerminalTaskStatus(status: StoredTaskStatus): boolean {
  // Legacy statuses are only ever read from old rows; nothing resumes them.
  return isLegacyTaskStatus(status) || TERMINAL_TASK_STATUSES.includes(status);
}

/**
 * "In flight" for the API's hiding rule: data URLs, the dataset name and image pairs are hidden until the
 * task reaches one of the four terminal statuses.
 */
export function isTaskInFlight(status: StoredTaskStatus): boolean {
  return !isTerminalTaskStatus(status);
}

export interface TransitionOptions {
  /** Also allow the manual tools' transitions (default false). */
  operator?: boolean;
}

/** The transition row for from → to, or undefined when the state machine forbids it. */
export function findTransition(
  from: string,
  to: string,
  options: TransitionOptions = {},
): TaskTransition | undefined {
  return TASK_TRANSITIONS.find(
    (tr) => tr.from === from && tr.to === to && (tr.kind !== 'operator' || options.operator === true),
  );
}

export function canTransition(from: string, to: string, options: TransitionOptions = {}): boolean {
  return findTransition(from, to, options) !== undefined;
}

export class TaskTransitionError extends Error {
  readonly from: string;
  readonly to: string;
  constructor(from: string, to: string) {
    super(`task status cannot change from ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
    this.name = 'TaskTransitionError';
    this.from = from;
    this.to = to;
  }
}

/** Throws TaskTransitionError unless from → to is allowed; returns the matching row. */
export function assertTransition(from: string, to: string, options: TransitionOptions = {}): TaskTransition {
  const found = findTransition(from, to, options);
  if (!found) throw new TaskTransitionError(from, to);
  return found;
}

/** Statuses reachable from `from` in one step. */
export function nextTaskStatuses(from: string, options: TransitionOptions = {}): TaskStatus[] {
  const out = new Set<TaskStatus>();
  for (const tr of TASK_TRANSITIONS) {
    if (tr.from === from && (tr.kind !== 'operator' || options.operator === true)) out.add(tr.to);
  }
  return [...out];
}

export function canCreateTaskIn(status: string): boolean {
  return TASK_CREATIONS.some((c) => c.status === status);
}
