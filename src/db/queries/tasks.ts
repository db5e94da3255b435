/**
 * The `tasks` aggregate: a base row plus one per-type row (and, for GRPO, reward functions; for images,
 * text pairs). Reads return the core `AnyRawTask` shape (ISO date strings, wire names); claiming works on
 * the base row only, so it stays one cheap statement.
 *
 * Every status change goes through `setTaskStatus`, which applies the core transition table
 * (src/core/task-status.ts) inside the UPDATE itself and appends a `task_events` row in the same statement.
 */
import type { TaskStatus, TaskType } from '../../core/enums.ts';
import { toDateTime } from '../../core/models/common.ts';
import { rewardFuncHash } from '../../core/models/reward-functions.ts';
import { anyRawTaskSchema, type AnyRawTask } from '../../core/models/tasks.ts';
import {
  canCreateTaskIn,
  TASK_TRANSITIONS,
  TaskTransitionError,
  type TransitionOptions,
} from '../../core/task-status.ts';
import { DbError } from '../errors.ts';
import type { Db, Queryable } from '../types.ts';

/** A `tasks` row as the drivers return it. */
export interface TaskRow {
  task_id: string;
  model_id: string;
  ds: string;
  status: string;
  task_type: TaskType;
  is_organic: boolean;
  account_id: string;
  hours_to_complete: number | null;
  test_data: string | null;
  training_data: string | null;
  miner_scores: number[] | null;
  termination_at: Date | null;
  created_at: Date;
  next_delay_at: Date | null;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  times_delayed: number;
  trained_model_repository: string | null;
  training_repo_backup: string | null;
  n_eval_attempts: number;
  result_model_name: string | null;
  result_model_name_lower: string | null;
  model_params_count: number | null;
  backend: string | null;
  yarn_factor: number | null;
  next_attempt_at: Date;
  claimed_by: string | null;
  claimed_until: Date | null;
  claim_count: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SUBTYPE_TABLE: Record<TaskType, string> = {
  InstructTextTask: 'instruct_text_tasks',
  DpoTask: 'dpo_tasks',
  GrpoTask: 'grpo_tasks',
  ChatTask: 'chat_tasks',
  ImageTask: 'image_tasks',
};

const SUBTYPE_COLUMNS: Record<TaskType, readonly string[]> = {
  InstructTextTask: [
    'field_system', 'field_instruction', 'field_input', 'field_output', 'synthetic_data', 'format',
    'no_input_format', 'system_format', 'file_format',
  ],
  DpoTask: [
    'field_prompt', 'field_system', 'field_chosen', 'field_rejected', 'prompt_format', 'chosen_format',
    'rejected_format', 'synthetic_data', 'file_format',
  ],
  GrpoTask: ['field_prompt', 'synthetic_data', 'file_format', 'extra_column'],
  ChatTask: [
    'chat_template', 'chat_column', 'chat_role_field', 'chat_content_field', 'chat_user_reference',
    'chat_assistant_reference', 'synthetic_data', 'file_format',
  ],
  ImageTask: ['model_type'],
};

const BASE_INSERT_COLUMNS = [
  'task_id', 'model_id', 'ds', 'status', 'is_organic', 'account_id', 'hours_to_complete', 'test_data',
  'training_data', 'miner_scores', 'created_at', 'next_delay_at', 'started_at', 'termination_at', 'completed_at',
  'times_delayed', 'training_repo_backup', 'n_eval_attempts', 'task_type', 'result_model_name',
  'model_params_count', 'backend', 'yarn_factor',
] as const;

/** INSERT of the given columns, leaving out undefined ones so the table defaults apply. */
async function insertRow(
  q: Queryable,
  table: string,
  values: Record<string, unknown>,
  returning = '',
): Promise<Record<string, unknown>[]> {
  const cols = Object.keys(values).filter((k) => values[k] !== undefined);
  const params = cols.map((k) => values[k]);
  const sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})${
    returning ? ` RETURNING ${returning}` : ''
  }`;
  return (await q.query(sql, params)).rows;
}

function pick(source: object, keys: readonly string[]): Record<string, unknown> {
  const record = source as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

export interface InsertTaskOptions {
  /** The injectable clock's now: the task becomes claimable from this instant. */
  now?: Date;
  /** Who created the task, for the task_events log. */
  actor?: string;
}

/**
 * Inserts a task with its per-type rows in one transaction and returns it as stored (with its task_id).
 * The status must be one a task may be created in (core TASK_CREATIONS).
 */
export async function insertTask(db: Db, task: AnyRawTask, options: InsertTaskOptions = {}): Promise<AnyRawTask> {
  if (!canCreateTaskIn(task.status)) {
    throw new TaskTransitionError('(none)', task.status);
  }
  const now = options.now ?? new Date();
  const single = task.task_type !== 'GrpoTask' && !(task.task_type === 'ImageTask' && (task.image_text_pairs ?? []).length > 0);
  // Always one transaction, even when it holds a single statement: callers hook into it (tournament tasks are
  // linked to their tournament before it commits, src/tournament/task-factory.ts).
  if (single) return db.transaction((tx) => insertPlainTask(tx, task, now, options.actor ?? null));
  return db.transaction(async (tx) => {
    const base = pick(task, BASE_INSERT_COLUMNS);
    if (base.task_id === null) base.task_id = undefined;
    const [row] = await insertRow(
      tx,
      'tasks',
      { ...base, updated_at: now, next_attempt_at: now },
      'task_id',
    );
    const taskId = String(row?.task_id);
    await insertRow(tx, SUBTYPE_TABLE[task.task_type], {
      task_id: taskId,
      ...pick(task, SUBTYPE_COLUMNS[task.task_type]),
    });
    if (task.task_type === 'GrpoTask') {
      for (const [position, f] of task.reward_functions.entries()) {
        const funcHash = f.func_hash ?? rewardFuncHash(f.reward_func);
        // One row per distinct code: a function seen before keeps its id and flags.
        const inserted = await tx.query<{ reward_id: string }>(
          `INSERT INTO reward_functions (reward_func, func_hash, is_generic, is_manual)
           VALUES ($1, $2, $3, $4) ON CONFLICT (func_hash) DO NOTHING RETURNING reward_id`,
          [f.reward_func, funcHash, f.is_generic ?? false, f.is_manual ?? false],
        );
        const rewardId =
          inserted.rows[0]?.reward_id ??
          (
            await tx.query<{ reward_id: string }>('SELECT reward_id FROM reward_functions WHERE func_hash = $1', [
              funcHash,
            ])
          ).rows[0]?.reward_id;
        await tx.query(
          'INSERT INTO grpo_task_functions (task_id, reward_id, reward_weight, position) VALUES ($1, $2, $3, $4)',
          [taskId, rewardId, f.reward_weight, position],
        );
      }
    }
    if (task.task_type === 'ImageTask') {
      for (const pair of task.image_text_pairs ?? []) {
        await tx.query('INSERT INTO image_text_pairs (task_id, image_url, text_url) VALUES ($1, $2, $3)', [
          taskId,
          pair.image_url,
          pair.text_url,
        ]);
      }
    }
    await tx.query(
      `INSERT INTO task_events (task_id, event_type, to_status, actor, created_at) VALUES ($1, 'created', $2, $3, $4)`,
      [taskId, task.status, options.actor ?? null, now],
    );
    const stored = await getTask(tx, taskId);
    if (!stored) throw new DbError(`task ${taskId} vanished inside its own insert transaction`);
    return stored;
  });
}

/**
 * A task without rows beyond its per-type one (every type but GRPO and images with pairs): base row, per-type row and
 * the creation event in one statement, read back as getTask would.
 */
async function insertPlainTask(db: Queryable, task: AnyRawTask, now: Date, actor: string | null): Promise<AnyRawTask> {
  const { values: params, param } = paramList();
  // As insertRow: undefined columns take the table defaults, null is stored as NULL; a null task_id is a new task.
  const defined = (values: Record<string, unknown>) => Object.entries(values).filter(([, v]) => v !== undefined);
  const picked = pick(task, BASE_INSERT_COLUMNS);
  if (picked.task_id === null) picked.task_id = undefined;
  const base = defined({ ...picked, updated_at: now, next_attempt_at: now });
  const sub = defined(pick(task, SUBTYPE_COLUMNS[task.task_type]));
  const baseSql = `INSERT INTO tasks (${base.map(([k]) => k).join(', ')}) VALUES (${base.map(([, v]) => param(v)).join(', ')}) RETURNING *`;
  const subSql = `INSERT INTO ${SUBTYPE_TABLE[task.task_type]} (task_id${sub.map(([k]) => `, ${k}`).join('')})
                  SELECT t.task_id${sub.map(([, v]) => `, ${param(v)}`).join('')} FROM t RETURNING *`;
  const { rows } = await db.query<TaskDetailRow>(
    `WITH t AS (${baseSql}),
          s AS (${subSql}),
          e AS (INSERT INTO task_events (task_id, event_type, to_status, actor, created_at)
                SELECT t.task_id, 'created', t.status, ${param(actor)}::text, ${param(now)}::timestamptz FROM t)
     SELECT t.*, to_jsonb(s) AS detail_subtype, NULL::jsonb AS detail_reward_functions,
            CASE WHEN t.task_type = 'ImageTask' THEN '[]'::jsonb END AS detail_image_text_pairs
       FROM t, s`,
    params,
  );
  const row = rows[0];
  if (!row) throw new DbError('the task insert returned no row');
  return taskFromDetailRow(row);
}

function iso(value: Date | null | undefined): string | null {
  return value == null ? null : toDateTime(value);
}

/** The base row as the core RawTask fields (dates as ISO strings). */
function baseFields(row: TaskRow): Record<string, unknown> {
  return {
    task_id: row.task_id,
    is_organic: row.is_organic,
    status: row.status,
    model_id: row.model_id,
    ds: row.ds,
    account_id: row.account_id,
    times_delayed: row.times_delayed,
    hours_to_complete: row.hours_to_complete,
    test_data: row.test_data,
    training_data: row.training_data,
    miner_scores: row.miner_scores,
    training_repo_backup: row.training_repo_backup,
    result_model_name: row.result_model_name,
    created_at: toDateTime(row.created_at),
    next_delay_at: iso(row.next_delay_at),
    updated_at: iso(row.updated_at),
    started_at: iso(row.started_at),
    termination_at: iso(row.termination_at),
    completed_at: iso(row.completed_at),
    n_eval_attempts: row.n_eval_attempts,
    model_params_count: row.model_params_count ?? 0,
    backend: row.backend,
    yarn_factor: row.yarn_factor,
    task_type: row.task_type,
  };
}

export async function getTaskRow(q: Queryable, taskId: string): Promise<TaskRow | null> {
  if (!UUID.test(taskId)) return null;
  const { rows } = await q.query<TaskRow>('SELECT * FROM tasks WHERE task_id = $1', [taskId]);
  return rows[0] ?? null;
}

/**
 * The per-type row, GRPO reward functions and image pairs of the task row `t`, as JSON columns, so a task is read in
 * one round trip (the validator reads one per stage, and each round trip costs more CPU than the statement).
 */
export const TASK_DETAIL_COLUMNS = `CASE t.task_type
      WHEN 'InstructTextTask' THEN (SELECT to_jsonb(s) FROM instruct_text_tasks s WHERE s.task_id = t.task_id)
      WHEN 'DpoTask' THEN (SELECT to_jsonb(s) FROM dpo_tasks s WHERE s.task_id = t.task_id)
      WHEN 'GrpoTask' THEN (SELECT to_jsonb(s) FROM grpo_tasks s WHERE s.task_id = t.task_id)
      WHEN 'ChatTask' THEN (SELECT to_jsonb(s) FROM chat_tasks s WHERE s.task_id = t.task_id)
      WHEN 'ImageTask' THEN (SELECT to_jsonb(s) FROM image_tasks s WHERE s.task_id = t.task_id)
    END AS detail_subtype,
    CASE WHEN t.task_type = 'GrpoTask' THEN (
      SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'reward_id', rf.reward_id, 'reward_func', rf.reward_func, 'func_hash', rf.func_hash,
               'is_generic', rf.is_generic, 'is_manual', rf.is_manual, 'reward_weight', gtf.reward_weight)
             ORDER BY gtf.position, rf.func_hash), '[]'::jsonb)
        FROM grpo_task_functions gtf JOIN reward_functions rf ON rf.reward_id = gtf.reward_id
       WHERE gtf.task_id = t.task_id) END AS detail_reward_functions,
    CASE WHEN t.task_type = 'ImageTask' THEN (
      SELECT COALESCE(jsonb_agg(jsonb_build_object('image_url', p.image_url, 'text_url', p.text_url) ORDER BY p.id), '[]'::jsonb)
        FROM image_text_pairs p WHERE p.task_id = t.task_id) END AS detail_image_text_pairs`;

/** A `tasks` row joined with TASK_DETAIL_COLUMNS. */
export type TaskDetailRow = TaskRow & {
  detail_subtype: Record<string, unknown> | null;
  detail_reward_functions: unknown[] | null;
  detail_image_text_pairs: unknown[] | null;
};

/** The core task model of a row read with TASK_DETAIL_COLUMNS; a stored task that no longer fits is a DbError. */
export function taskFromDetailRow(row: TaskDetailRow): AnyRawTask {
  const fields: Record<string, unknown> = { ...baseFields(row), ...pick(row.detail_subtype ?? {}, SUBTYPE_COLUMNS[row.task_type]) };
  if (row.task_type === 'GrpoTask') fields.reward_functions = row.detail_reward_functions ?? [];
  if (row.task_type === 'ImageTask') fields.image_text_pairs = row.detail_image_text_pairs ?? [];
  const parsed = anyRawTaskSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DbError(`stored task ${row.task_id} does not match the task model at ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

/** The task with its per-type fields, or null when there is no such task. One statement. */
export async function getTask(q: Queryable, taskId: string): Promise<AnyRawTask | null> {
  if (!UUID.test(taskId)) return null;
  const { rows } = await q.query<TaskDetailRow>(`SELECT t.*, ${TASK_DETAIL_COLUMNS} FROM tasks t WHERE t.task_id = $1`, [taskId]);
  const row = rows[0];
  return row ? taskFromDetailRow(row) : null;
}

/** Statuses from which `to` may be reached (core transition table). */
export function statusesLeadingTo(to: string, options: TransitionOptions = {}): string[] {
  const from = new Set<string>();
  for (const tr of TASK_TRANSITIONS) {
    if (tr.to === to && (tr.kind !== 'operator' || options.operator === true)) from.add(tr.from);
  }
  return [...from];
}

export class TaskClaimError extends Error {
  override readonly name = 'TaskClaimError';
}

export interface SetTaskStatusOptions extends TransitionOptions {
  now?: Date;
  /** Only change the task if this worker holds its claim (a worker whose lease ran out lost it). */
  worker?: string;
  /** Only change the task if it is in this status now (compare-and-set). */
  expectedFrom?: TaskStatus;
  /** When workers of the new status may take it (default: now). */
  nextAttemptAt?: Date;
  actor?: string;
  detail?: Record<string, unknown>;
}

/**
 * Moves a task to `to` in one statement: the row is locked, the transition checked against the table, the
 * claim released and a task_events row appended, or nothing happens. Throws TaskTransitionError when the
 * state machine forbids it, TaskClaimError when another worker holds the task, DbError when there is no task.
 */
export async function setTaskStatus(db: Queryable, taskId: string, to: TaskStatus, options: SetTaskStatusOptions = {}): Promise<TaskRow> {
  return setTaskStatusWith(db, taskId, to, options, () => []);
}

/** Gives a value a parameter placeholder (`$n`) in the statement being built. */
export type ParamAllocator = (value: unknown) => string;

/** Collects a statement's parameter values; placeholders are numbered after the first `offset`. */
function paramList(offset = 0): { values: unknown[]; param: ParamAllocator } {
  const values: unknown[] = [];
  return {
    values,
    param: (value) => {
      values.push(value);
      return `$${offset + values.length}`;
    },
  };
}

/**
 * A write that rides in a status change's statement and happens only if the change does: its SQL joins the `upd`
 * row set (the changed task, one row or none), e.g. `UPDATE x SET … FROM upd WHERE x.task_id = upd.task_id`.
 */
export type GatedWrite = (param: ParamAllocator) => string;

/**
 * setTaskStatus that also applies `extraSets` (SQL assignments to columns of `t`) in the same UPDATE and runs
 * `writes` in the same statement, so a loop's status change, its column values and its rows in other tables are one
 * statement: all of it happens or, when the change is refused, none of it. For callers in this folder: the SQL is
 * interpolated.
 */
export async function setTaskStatusWith(
  db: Queryable,
  taskId: string,
  to: TaskStatus,
  options: SetTaskStatusOptions,
  extraSets: (param: ParamAllocator) => readonly string[],
  writes: readonly GatedWrite[] = [],
): Promise<TaskRow> {
  // Parameters $1–$8 belong to the status change.
  const { values: extraParams, param } = paramList(8);
  const sets = extraSets(param);
  const ctes = writes.map((w, i) => `, w${i} AS (${w(param)})`).join('');
  const now = options.now ?? new Date();
  let allowed = statusesLeadingTo(to, options);
  if (options.expectedFrom) allowed = allowed.filter((s) => s === options.expectedFrom);
  const { rows } = UUID.test(taskId)
    ? await db.query<TaskRow & { previous_status: string }>(
        `WITH prev AS (
           SELECT task_id, status, claimed_by FROM tasks WHERE task_id = $1 FOR UPDATE
         ), upd AS (
           UPDATE tasks t
              SET status = $2::text, updated_at = $3::timestamptz, next_attempt_at = COALESCE($7::timestamptz, $3::timestamptz),
                  claimed_by = NULL, claimed_until = NULL${sets.map((a) => `, ${a}`).join('')}
             FROM prev
            WHERE t.task_id = prev.task_id
              AND prev.status = ANY($4::text[])
              AND ($5::text IS NULL OR prev.claimed_by = $5)
           RETURNING t.*, prev.status AS previous_status
         ), ev AS (
           INSERT INTO task_events (task_id, event_type, from_status, to_status, actor, detail, created_at)
           SELECT task_id, 'status_changed', previous_status, status, $6::text, $8::jsonb, $3::timestamptz FROM upd
         )${ctes}
         SELECT * FROM upd`,
        [
          taskId,
          to,
          now,
          allowed,
          options.worker ?? null,
          options.actor ?? options.worker ?? null,
          options.nextAttemptAt ?? null,
          JSON.stringify(options.detail ?? {}),
          ...extraParams,
        ],
      )
    : { rows: [] };
  const updated = rows[0];
  if (updated) {
    const { previous_status: _previous, ...row } = updated;
    return row;
  }
  // Nothing changed: say why.
  const current = await getTaskRow(db, taskId);
  if (!current) throw new DbError(`task ${taskId} does not exist`);
  if (!statusesLeadingTo(to, options).includes(current.status)) throw new TaskTransitionError(current.status, to);
  if (options.expectedFrom && current.status !== options.expectedFrom) {
    throw new TaskTransitionError(current.status, to);
  }
  throw new TaskClaimError(
    `task ${taskId} is claimed by ${current.claimed_by ?? 'nobody'}, not by ${options.worker ?? '(no worker)'}`,
  );
}

export interface ClaimOptions {
  /** Statuses this worker handles. */
  statuses: readonly string[];
  /** Worker identity stored in claimed_by (e.g. `host:pid:loop`). */
  worker: string;
  /** How long the claim holds; after that another worker may take the task. */
  leaseMs: number;
  now?: Date;
  /** Only these task types (default: all). */
  taskTypes?: readonly TaskType[];
}

/**
 * Claims the task that has waited longest among those due, in one statement. SKIP LOCKED makes concurrent
 * claimers pass over each other's rows instead of queueing behind them; the claim pushes next_attempt_at to
 * the lease end, so the row is out of every claimer's range until the lease runs out.
 */
export async function claimNextTask(db: Queryable, options: ClaimOptions): Promise<TaskRow | null> {
  const now = options.now ?? new Date();
  const until = new Date(now.getTime() + options.leaseMs);
  if (options.statuses.length === 0) return null;
  // With one status the (status, next_attempt_at) index hands rows over in order and LIMIT 1 stops at the
  // first unlocked one; `= ANY(array)` cannot use the index order on Postgres 15 and sorts every due row.
  const statusMatch = options.statuses.length === 1 ? 'status = ($3::text[])[1]' : 'status = ANY($3::text[])';
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks
        SET claimed_by = $1, claimed_until = $2, next_attempt_at = $2, claim_count = claim_count + 1
      WHERE task_id = (
        SELECT task_id FROM tasks
         WHERE ${statusMatch}
           AND next_attempt_at <= $4
           AND ($5::text[] IS NULL OR task_type::text = ANY($5::text[]))
         ORDER BY next_attempt_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [options.worker, until, [...options.statuses], now, options.taskTypes ? [...options.taskTypes] : null],
  );
  return rows[0] ?? null;
}

/** Extends a held claim; false when the worker no longer holds it. */
export async function renewTaskClaim(
  db: Queryable,
  taskId: string,
  worker: string,
  options: { leaseMs: number; now?: Date },
): Promise<boolean> {
  const until = new Date((options.now ?? new Date()).getTime() + options.leaseMs);
  const res = await db.query(
    'UPDATE tasks SET claimed_until = $3, next_attempt_at = $3 WHERE task_id = $1 AND claimed_by = $2',
    [taskId, worker, until],
  );
  return res.rowCount === 1;
}

/** Gives a claim back without changing the status; the task is due again at `retryAt` (default now). */
export async function releaseTaskClaim(
  db: Queryable,
  taskId: string,
  worker: string,
  options: { now?: Date; retryAt?: Date } = {},
): Promise<boolean> {
  const at = options.retryAt ?? options.now ?? new Date();
  const res = await db.query(
    `UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = $3
      WHERE task_id = $1 AND claimed_by = $2`,
    [taskId, worker, at],
  );
  return res.rowCount === 1;
}

export interface TaskEventRow {
  id: number;
  task_id: string;
  event_type: string;
  from_status: string | null;
  to_status: string | null;
  actor: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
}

export async function listTaskEvents(q: Queryable, taskId: string): Promise<TaskEventRow[]> {
  if (!UUID.test(taskId)) return [];
  return (await q.query<TaskEventRow>('SELECT * FROM task_events WHERE task_id = $1 ORDER BY id', [taskId])).rows;
}
