/**
 * The validator cycle's work queue over `tasks`: claim a due task (optionally changing its status in the same
 * statement), finish it (status change + column updates + task_events row, in the caller's transaction), and the
 * start-up repair. Every claim is one statement with FOR UPDATE SKIP LOCKED; a claim is a lease
 * (`claimed_until = next_attempt_at = now + lease`), so a task whose claimer died becomes due again by itself.
 */
import type { TaskStatus, TaskType } from '../../core/enums.ts';
import { assertTransition } from '../../core/task-status.ts';
import type { Queryable } from '../types.ts';
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { setTaskStatusWith, TASK_DETAIL_COLUMNS, taskFromDetailRow, type GatedWrite, type TaskDetailRow, type TaskRow } from './tasks.ts';

/** Which special tasks a loop leaves alone (validator.md §4.4: the miner market never sees tournament tasks). */
export interface TaskFilter {
  excludeTournament?: boolean;
  /** Benchmark roots and copies. */
  excludeBenchmark?: boolean;
  /** Only benchmark roots (they are templates that stay in preparing_data). */
  excludeBenchmarkRoots?: boolean;
  taskTypes?: readonly TaskType[];
}

export function taskFilterSql(alias: string, filter: TaskFilter): string {
  const parts: string[] = [];
  if (filter.excludeTournament) {
    parts.push(`NOT EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = ${alias}.task_id)`);
  }
  if (filter.excludeBenchmark || filter.excludeBenchmarkRoots) {
    parts.push(`NOT EXISTS (SELECT 1 FROM benchmark_root_tasks br WHERE br.task_id = ${alias}.task_id)`);
  }
  if (filter.excludeBenchmark) {
    parts.push(`NOT EXISTS (SELECT 1 FROM benchmark_task_copies bc WHERE bc.copy_task_id = ${alias}.task_id)`);
  }
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

export interface ClaimTaskOptions extends TaskFilter {
  /** The status to take a task from. */
  from: TaskStatus;
  /** Move it to this status in the same statement (must be an allowed transition); omitted = claim only. */
  to?: TaskStatus;
  worker: string;
  /** Lease length; null = take and release at once (a pure due-time transition). */
  leaseMs: number | null;
  now: Date;
  actor?: string;
  detail?: Record<string, unknown>;
}

/**
 * Takes the longest-waiting due task in `from`, claims it for `leaseMs` and, when `to` is given, changes its
 * status and appends the task_events row — all one statement, so a crash leaves either nothing or the whole
 * change. Returns null when no task is due.
 */
export async function claimTask(q: Queryable, options: ClaimTaskOptions): Promise<TaskRow | null> {
  const row = await claimRow(q, options);
  if (!row) return null;
  const { detail_subtype: _s, detail_reward_functions: _r, detail_image_text_pairs: _i, is_tournament: _t, is_benchmark: _b, ...task } = row;
  return task;
}

export interface ClaimedTask {
  row: TaskRow;
  task: AnyRawTask;
  /** Whether the task belongs to a tournament or a benchmark (as taskMembership says). */
  membership: { tournament: boolean; benchmark: boolean };
}

/** claimTask that also returns the claimed task as the core model (per-type fields included) and its membership, in the same statement. */
export async function claimFullTask(q: Queryable, options: ClaimTaskOptions): Promise<ClaimedTask | null> {
  const row = await claimRow(q, options);
  if (!row) return null;
  const { detail_subtype: _s, detail_reward_functions: _r, detail_image_text_pairs: _i, is_tournament, is_benchmark, ...base } = row;
  return { row: base, task: taskFromDetailRow(row), membership: { tournament: is_tournament, benchmark: is_benchmark } };
}

type ClaimRow = TaskDetailRow & { is_tournament: boolean; is_benchmark: boolean };

async function claimRow(q: Queryable, options: ClaimTaskOptions): Promise<ClaimRow | null> {
  const to = options.to ?? options.from;
  if (options.to !== undefined) assertTransition(options.from, options.to);
  const until = options.leaseMs === null ? null : new Date(options.now.getTime() + options.leaseMs);
  const filter = taskFilterSql('c', options);
  const { rows } = await q.query<ClaimRow & { previous_status: string }>(
    `WITH picked AS (
       SELECT c.task_id, c.status FROM tasks c
        WHERE c.status = $1 AND c.next_attempt_at <= $2
          AND ($3::text[] IS NULL OR c.task_type::text = ANY($3::text[]))
          AND ${filter}
        ORDER BY c.next_attempt_at, c.created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
     ), upd AS (
       UPDATE tasks t
          SET status = $4::text,
              updated_at = CASE WHEN $4::text = picked.status THEN t.updated_at ELSE $2::timestamptz END,
              claimed_by = CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE $6::text END,
              claimed_until = $5::timestamptz,
              next_attempt_at = COALESCE($5::timestamptz, $2::timestamptz),
              claim_count = t.claim_count + 1
         FROM picked
        WHERE t.task_id = picked.task_id
       RETURNING t.*, picked.status AS previous_status
     ), ev AS (
       INSERT INTO task_events (task_id, event_type, from_status, to_status, actor, detail, created_at)
       SELECT task_id, 'status_changed', previous_status, status, $7::text, $8::jsonb, $2::timestamptz
         FROM upd WHERE previous_status <> status
     )
     SELECT t.*, ${TASK_DETAIL_COLUMNS}, ${MEMBERSHIP_COLUMNS} FROM upd t`,
    [
      options.from,
      options.now,
      options.taskTypes ? [...options.taskTypes] : null,
      to,
      until,
      options.worker,
      options.actor ?? options.worker,
      JSON.stringify(options.detail ?? {}),
    ],
  );
  const row = rows[0];
  if (!row) return null;
  const { previous_status: _previous, ...task } = row;
  return task;
}

/** Columns a loop may write when it finishes a task (a fixed list: names are interpolated into SQL). */
const FINISH_COLUMNS = [
  'training_data', 'test_data', 'ds', 'times_delayed', 'next_delay_at', 'started_at', 'termination_at',
  'completed_at', 'n_eval_attempts', 'model_params_count',
] as const;
export type FinishColumn = (typeof FINISH_COLUMNS)[number];

export interface FinishTaskOptions {
  worker: string;
  now: Date;
  /** When the next loop may take the task (default now). */
  nextAttemptAt?: Date;
  /** Extra column values written with the status change. */
  set?: Partial<Record<FinishColumn, unknown>>;
  /** `n_eval_attempts = n_eval_attempts + 1` (so a concurrent reader never sees a lost update). */
  incrementEvalAttempts?: boolean;
  detail?: Record<string, unknown>;
  /** Rows in other tables written by the same statement, only if the status change happens. */
  writes?: readonly GatedWrite[];
}

/**
 * The end of a loop's work on a claimed task: status change (checked against the state machine and against the
 * claim: a worker whose lease ran out and was taken over gets TaskClaimError), extra columns, task_events row —
 * one statement, so it needs no transaction of its own; a stage with other writes calls it inside theirs.
 */
export async function finishTask(
  q: Queryable,
  taskId: string,
  from: TaskStatus,
  to: TaskStatus,
  options: FinishTaskOptions,
): Promise<TaskRow> {
  const entries = Object.entries(options.set ?? {}).filter(([k]) => (FINISH_COLUMNS as readonly string[]).includes(k));
  return setTaskStatusWith(
    q,
    taskId,
    to,
    {
      now: options.now,
      worker: options.worker,
      expectedFrom: from,
      ...(options.nextAttemptAt ? { nextAttemptAt: options.nextAttemptAt } : {}),
      detail: options.detail ?? {},
    },
    (param) => [
      ...entries.map(([k, v]) => `${k} = ${param(v)}`),
      ...(options.incrementEvalAttempts ? ['n_eval_attempts = t.n_eval_attempts + 1'] : []),
    ],
    options.writes ?? [],
  );
}

/**
 * Start-up repair (validator.md §4.1): every claim held by a previous run is released and its task made due now,
 * so the single validator process resumes at once instead of waiting for its old leases to run out.
 */
export async function releaseAllClaims(q: Queryable, now: Date): Promise<number> {
  const res = await q.query(
    `UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = LEAST(next_attempt_at, $1)
      WHERE claimed_by IS NOT NULL`,
    [now],
  );
  return res.rowCount;
}

/** Task counts per status (all tasks, tournament included, as the synthetic scheduler counts them). */
export async function countTasksByStatus(q: Queryable, statuses: readonly TaskStatus[]): Promise<Record<string, number>> {
  const { rows } = await q.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM tasks WHERE status = ANY($1::text[]) GROUP BY status',
    [[...statuses]],
  );
  const out: Record<string, number> = Object.fromEntries(statuses.map((s) => [s, 0]));
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** The membership of the task row `t` (see taskMembership). */
const MEMBERSHIP_COLUMNS = `EXISTS (SELECT 1 FROM tournament_tasks m WHERE m.task_id = t.task_id) AS is_tournament,
    (EXISTS (SELECT 1 FROM benchmark_root_tasks m WHERE m.task_id = t.task_id)
     OR EXISTS (SELECT 1 FROM benchmark_task_copies m WHERE m.copy_task_id = t.task_id)) AS is_benchmark`;

/** Whether a task belongs to a tournament or a benchmark (they get constructed repos instead of a miner call). */
export async function taskMembership(q: Queryable, taskId: string): Promise<{ tournament: boolean; benchmark: boolean }> {
  const { rows } = await q.query<{ is_tournament: boolean; is_benchmark: boolean }>(
    `SELECT ${MEMBERSHIP_COLUMNS} FROM tasks t WHERE t.task_id = $1`,
    [taskId],
  );
  const row = rows[0];
  return { tournament: row?.is_tournament ?? false, benchmark: row?.is_benchmark ?? false };
}

/** Rewrites a task's per-type column values after prep (standard column names, data URLs); null when none apply. */
export function subtypeUpdate(taskType: TaskType, values: Record<string, unknown>): GatedWrite | null {
  const allowed: Record<TaskType, readonly string[]> = {
    InstructTextTask: ['field_system', 'field_instruction', 'field_input', 'field_output', 'synthetic_data', 'file_format'],
    DpoTask: ['field_prompt', 'field_system', 'field_chosen', 'field_rejected', 'synthetic_data', 'file_format'],
    GrpoTask: ['field_prompt', 'extra_column', 'synthetic_data', 'file_format'],
    ChatTask: ['synthetic_data', 'file_format', 'chat_column'],
    ImageTask: [],
  };
  const table: Record<TaskType, string> = {
    InstructTextTask: 'instruct_text_tasks',
    DpoTask: 'dpo_tasks',
    GrpoTask: 'grpo_tasks',
    ChatTask: 'chat_tasks',
    ImageTask: 'image_tasks',
  };
  const entries = Object.entries(values).filter(([k]) => allowed[taskType].includes(k));
  if (entries.length === 0) return null;
  return (param) => `UPDATE ${table[taskType]} s SET ${entries.map(([k, v]) => `${k} = ${param(v)}`).join(', ')} FROM upd WHERE s.task_id = upd.task_id`;
}

/** Drops a GRPO task's reward functions that failed validation (validator.md §5.1 GRPO check); null when none. */
export function grpoRewardFunctionsRemoval(rewardIds: readonly string[]): GatedWrite | null {
  if (rewardIds.length === 0) return null;
  return (param) => `DELETE FROM grpo_task_functions g USING upd WHERE g.task_id = upd.task_id AND g.reward_id = ANY(${param([...rewardIds])}::uuid[])`;
}

/** The generic library (is_generic AND is_manual) synthetic GRPO tasks draw from (validator.md §6.3). */
export async function genericRewardFunctions(
  q: Queryable,
): Promise<{ reward_id: string; reward_func: string; func_hash: string; is_generic: boolean; is_manual: boolean }[]> {
  const { rows } = await q.query<{ reward_id: string; reward_func: string; func_hash: string; is_generic: boolean; is_manual: boolean }>(
    'SELECT reward_id, reward_func, func_hash, is_generic, is_manual FROM reward_functions WHERE is_generic AND is_manual ORDER BY func_hash',
  );
  return rows;
}
