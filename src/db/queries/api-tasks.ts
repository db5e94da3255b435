/**
 * Reads behind the customer and auditing API (validator.md §9.1, §10). Lists fetch the page's task ids first
 * and then load those tasks in one batch (a fixed number of statements per page, whatever its size), so a
 * page of 100 tasks costs the same few round trips on PGlite and PostgreSQL.
 */
import type { TaskType } from '../../core/enums.ts';
import type { AnyTask, HotkeyDetails } from '../../core/models/tasks.ts';
import type { Queryable } from '../types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const SUBTYPE: Record<TaskType, { table: string; columns: readonly string[] }> = {
  InstructTextTask: {
    table: 'instruct_text_tasks',
    columns: ['field_system', 'field_instruction', 'field_input', 'field_output', 'synthetic_data', 'format', 'no_input_format', 'system_format', 'file_format'],
  },
  DpoTask: {
    table: 'dpo_tasks',
    columns: ['field_prompt', 'field_system', 'field_chosen', 'field_rejected', 'prompt_format', 'chosen_format', 'rejected_format', 'synthetic_data', 'file_format'],
  },
  GrpoTask: { table: 'grpo_tasks', columns: ['field_prompt', 'synthetic_data', 'file_format', 'extra_column'] },
  ChatTask: {
    table: 'chat_tasks',
    columns: ['chat_template', 'chat_column', 'chat_role_field', 'chat_content_field', 'chat_user_reference', 'chat_assistant_reference', 'synthetic_data', 'file_format'],
  },
  ImageTask: { table: 'image_tasks', columns: ['model_type'] },
};

/** SQL that is true when the task (alias `t`) is neither a tournament task nor a benchmark task. */
export const NOT_TOURNAMENT_SQL = 'NOT EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)';
export const NOT_BENCHMARK_SQL = `NOT EXISTS (SELECT 1 FROM benchmark_root_tasks b WHERE b.task_id = t.task_id)
  AND NOT EXISTS (SELECT 1 FROM benchmark_task_copies c WHERE c.copy_task_id = t.task_id)`;

type Row = Record<string, unknown>;

const BASE_COLUMNS = [
  'task_id', 'is_organic', 'status', 'model_id', 'ds', 'account_id', 'times_delayed', 'hours_to_complete', 'test_data',
  'training_data', 'miner_scores', 'training_repo_backup', 'result_model_name', 'created_at', 'next_delay_at', 'updated_at',
  'started_at', 'termination_at', 'completed_at', 'n_eval_attempts', 'model_params_count', 'backend', 'yarn_factor',
  'task_type',
].map((c) => `t.${c}`).join(', ');

function iso(value: unknown): string | null {
  if (value == null) return null;
  return value instanceof Date ? value.toISOString() : String(value);
}

function baseFields(row: Row): Row {
  return {
    task_id: row.task_id,
    is_organic: row.is_organic,
    status: row.status,
    model_id: row.model_id,
    ds: row.ds,
    account_id: row.account_id,
    times_delayed: row.times_delayed,
    // The column is nullable although every writer sets it; a null must not break a whole page.
    hours_to_complete: row.hours_to_complete ?? 0,
    test_data: row.test_data,
    training_data: row.training_data,
    miner_scores: row.miner_scores,
    training_repo_backup: row.training_repo_backup,
    result_model_name: row.result_model_name,
    created_at: iso(row.created_at),
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

/**
 * The tasks with these ids, with per-type fields, reward functions, image pairs and the computed winning repo
 * (`COALESCE(training_repo_backup, repo of the best-scored submission)`), in the order of `ids`. Unknown ids
 * are left out.
 */
export async function loadTasks(q: Queryable, ids: readonly string[]): Promise<AnyTask[]> {
  return (await loadTaskBatch(q, ids)).tasks;
}

export interface TaskBatch {
  tasks: AnyTask[];
  /** Ids of the tasks that belong to a tournament which has not completed ([HEAD]: their data stays hidden). */
  inOpenTournament: Set<string>;
}

/** `loadTasks` plus the open-tournament membership the API's hiding rule needs, in the same round trips. */
export async function loadTaskBatch(q: Queryable, ids: readonly string[]): Promise<TaskBatch> {
  const wanted = [...new Set(ids.filter(isUuid))];
  if (wanted.length === 0) return { tasks: [], inOpenTournament: new Set() };
  // Only the columns the task model has (PGlite pays per column parsed), and open-tournament membership as its
  // own indexed lookup: a correlated EXISTS per row costs more than the extra round trip.
  const base = (await q.query<Row>(`SELECT ${BASE_COLUMNS} FROM tasks t WHERE t.task_id = ANY($1::uuid[])`, [wanted])).rows;
  const open = await q.query<{ task_id: string }>(
    `SELECT DISTINCT tt.task_id::text AS task_id FROM tournament_tasks tt JOIN tournaments tr ON tr.tournament_id = tt.tournament_id
      WHERE tt.task_id = ANY($1::uuid[]) AND tr.status <> 'completed'`,
    [wanted],
  );
  const inOpenTournament = new Set(open.rows.map((r) => r.task_id));
  const types = new Set(base.map((r) => r.task_type as TaskType));
  const sub = new Map<string, Row>();
  for (const type of types) {
    const { rows } = await q.query<Row>(`SELECT * FROM ${SUBTYPE[type].table} WHERE task_id = ANY($1::uuid[])`, [wanted]);
    for (const r of rows) sub.set(String(r.task_id), r);
  }
  const rewards = new Map<string, Row[]>();
  if (types.has('GrpoTask')) {
    const { rows } = await q.query<Row>(
      `SELECT gtf.task_id::text AS task_id, rf.reward_id::text AS reward_id, rf.reward_func, rf.func_hash, rf.is_generic,
              rf.is_manual, gtf.reward_weight
         FROM grpo_task_functions gtf JOIN reward_functions rf ON rf.reward_id = gtf.reward_id
        WHERE gtf.task_id = ANY($1::uuid[]) ORDER BY gtf.task_id, gtf.position, rf.func_hash`,
      [wanted],
    );
    for (const { task_id, func_hash, ...f } of rows) {
      const list = rewards.get(String(task_id)) ?? [];
      list.push({ ...f, func_hash: String(func_hash).trim() });
      rewards.set(String(task_id), list);
    }
  }
  const pairs = new Map<string, Row[]>();
  if (types.has('ImageTask')) {
    const { rows } = await q.query<Row>(
      'SELECT task_id::text AS task_id, image_url, text_url FROM image_text_pairs WHERE task_id = ANY($1::uuid[]) ORDER BY id',
      [wanted],
    );
    for (const { task_id, ...p } of rows) {
      const list = pairs.get(String(task_id)) ?? [];
      list.push(p);
      pairs.set(String(task_id), list);
    }
  }
  const winners = await winningRepos(q, wanted);
  const byId = new Map<string, AnyTask>();
  for (const row of base) {
    const id = String(row.task_id);
    const type = row.task_type as TaskType;
    const extra = sub.get(id) ?? {};
    const task: Row = { ...baseFields(row) };
    for (const c of SUBTYPE[type].columns) task[c] = extra[c] ?? null;
    if (type === 'GrpoTask') task.reward_functions = rewards.get(id) ?? [];
    if (type === 'ImageTask') {
      task.image_text_pairs = pairs.get(id) ?? [];
      task.model_type = extra.model_type ?? 'sdxl';
    }
    task.trained_model_repository = (row.training_repo_backup as string | null) ?? winners.get(id) ?? null;
    byId.set(id, task as unknown as AnyTask);
  }
  const tasks = ids.map((id) => byId.get(id.toLowerCase()) ?? byId.get(id)).filter((t): t is AnyTask => t !== undefined);
  return { tasks, inOpenTournament };
}

/** The repo of each task's best-scored submission (NaN scores never win). */
async function winningRepos(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ task_id: string; repo: string }>(
    `SELECT DISTINCT ON (tn.task_id) tn.task_id::text AS task_id, s.repo
       FROM task_nodes tn
       JOIN submissions s ON s.task_id = tn.task_id AND s.hotkey = tn.hotkey AND s.netuid = tn.netuid
      WHERE tn.task_id = ANY($1::uuid[]) AND tn.quality_score IS NOT NULL AND tn.quality_score <> 'NaN'::float8
      ORDER BY tn.task_id, tn.quality_score DESC, s.created_on`,
    [ids],
  );
  return new Map(rows.map((r) => [r.task_id, r.repo]));
}

export async function loadTask(q: Queryable, taskId: string): Promise<AnyTask | null> {
  return (await loadTasks(q, [taskId]))[0] ?? null;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface TaskListFilter {
  accountId?: string;
  status?: readonly string[];
  taskType?: TaskType;
  isOrganic?: boolean;
  /** Leave out benchmark tasks (as the original's account list does). */
  excludeBenchmark?: boolean;
  excludeTournament?: boolean;
}

/** Task ids, newest first, matching the filter. */
export async function listTaskIds(q: Queryable, filter: TaskListFilter, page: Page): Promise<string[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.accountId !== undefined) add((n) => `t.account_id = $${n}::uuid`, filter.accountId);
  if (filter.status !== undefined) add((n) => `t.status = ANY($${n}::text[])`, [...filter.status]);
  if (filter.taskType !== undefined) add((n) => `t.task_type = $${n}::tasktype`, filter.taskType);
  if (filter.isOrganic !== undefined) add((n) => `t.is_organic = $${n}`, filter.isOrganic);
  if (filter.excludeBenchmark) where.push(NOT_BENCHMARK_SQL);
  if (filter.excludeTournament) where.push(NOT_TOURNAMENT_SQL);
  params.push(page.limit, page.offset);
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM tasks t ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.created_at DESC, t.task_id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map((r) => r.task_id);
}

export interface CompletedOrganicFilter {
  /** Only tasks whose termination_at is after this instant. */
  since?: Date;
  taskType?: TaskType;
  /** Whitespace-separated terms, each a case-insensitive substring of result_model_name (all must match). */
  search?: string;
}

/** `get_completed_organic_tasks`: organic successes, latest termination first. */
export async function listCompletedOrganicIds(q: Queryable, filter: CompletedOrganicFilter, page: Page): Promise<string[]> {
  const where = [`t.is_organic`, `t.status = 'success'`, NOT_BENCHMARK_SQL];
  const params: unknown[] = [];
  if (filter.since) {
    params.push(filter.since);
    where.push(`t.termination_at >= $${params.length}`);
  }
  if (filter.taskType) {
    params.push(filter.taskType);
    where.push(`t.task_type = $${params.length}::tasktype`);
  }
  for (const term of (filter.search ?? '').split(/\s+/).filter(Boolean)) {
    params.push(`%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`t.result_model_name_lower LIKE $${params.length}`);
  }
  params.push(page.limit, page.offset);
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM tasks t WHERE ${where.join(' AND ')}
      ORDER BY t.termination_at DESC NULLS LAST, t.task_id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map((r) => r.task_id);
}

/** Auditing: recent tasks, newest first, without tournament and benchmark tasks. */
export async function listAuditTaskIds(q: Queryable, page: Page): Promise<string[]> {
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM tasks t WHERE ${NOT_TOURNAMENT_SQL} AND ${NOT_BENCHMARK_SQL}
      ORDER BY t.created_at DESC, t.task_id DESC LIMIT $1 OFFSET $2`,
    [page.limit, page.offset],
  );
  return rows.map((r) => r.task_id);
}

/** Auditing: tasks the hotkey submitted to, latest submission first. */
export async function listAuditTaskIdsForHotkey(q: Queryable, hotkey: string, page: Page): Promise<string[]> {
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM submissions s JOIN tasks t ON t.task_id = s.task_id
      WHERE s.hotkey = $1 AND ${NOT_TOURNAMENT_SQL} AND ${NOT_BENCHMARK_SQL}
      ORDER BY s.created_on DESC, s.task_id DESC LIMIT $2 OFFSET $3`,
    [hotkey, page.limit, page.offset],
  );
  return [...new Set(rows.map((r) => r.task_id))];
}

/** The original's `normalise_float`: null → 0.0, NaN → null, ±inf → ±1e100. */
export function normaliseFloat(value: number | null): number | null {
  if (value === null) return 0;
  if (Number.isNaN(value)) return null;
  if (value === Infinity) return 1e100;
  if (value === -Infinity) return -1e100;
  return value;
}

interface HotkeyDetailRow {
  task_id: string;
  hotkey: string;
  submission_id: string | null;
  quality_score: number | null;
  test_loss: number | null;
  synth_loss: number | null;
  score_reason: string | null;
  rank: number | null;
  repo: string | null;
  offer_response: Record<string, unknown> | null;
}

function toHotkeyDetails(r: HotkeyDetailRow): HotkeyDetails {
  return {
    hotkey: r.hotkey,
    submission_id: r.submission_id,
    quality_score: normaliseFloat(r.quality_score),
    test_loss: normaliseFloat(r.test_loss),
    synth_loss: normaliseFloat(r.synth_loss),
    score_reason: r.score_reason,
    rank: r.rank,
    repo: r.repo,
    offer_response: r.offer_response !== null && typeof r.offer_response === 'object' && !Array.isArray(r.offer_response) ? r.offer_response : null,
  };
}

/**
 * Each assigned miner's outcome (`get_task_with_hotkey_details`), ranked by score (SQL RANK, highest first; as in
 * PostgreSQL, unscored rows sort first in descending order). With `hotkey`, only that miner's row of each task.
 */
export async function hotkeyDetailsFor(q: Queryable, taskIds: readonly string[], hotkey?: string): Promise<Map<string, HotkeyDetails[]>> {
  const wanted = taskIds.filter(isUuid);
  const out = new Map<string, HotkeyDetails[]>();
  if (wanted.length === 0) return out;
  const { rows } = await q.query<HotkeyDetailRow>(
    `SELECT * FROM (
       SELECT tn.task_id::text AS task_id, tn.hotkey, s.submission_id::text AS submission_id, tn.quality_score, tn.test_loss,
              tn.synth_loss, tn.score_reason,
              (RANK() OVER (PARTITION BY tn.task_id ORDER BY tn.quality_score DESC))::int AS rank,
              s.repo, o.offer_response
         FROM task_nodes tn
         LEFT JOIN submissions s ON s.task_id = tn.task_id AND s.hotkey = tn.hotkey
         LEFT JOIN LATERAL (SELECT offer_response FROM offer_responses o
                             WHERE o.task_id = tn.task_id AND o.hotkey = tn.hotkey ORDER BY o.id DESC LIMIT 1) o ON true
        WHERE tn.task_id = ANY($1::uuid[])) d
      WHERE $2::text IS NULL OR d.hotkey = $2
      ORDER BY d.task_id, d.rank, d.hotkey`,
    [wanted, hotkey ?? null],
  );
  for (const r of rows) {
    const list = out.get(r.task_id) ?? [];
    list.push(toHotkeyDetails(r));
    out.set(r.task_id, list);
  }
  return out;
}

export interface MinerResultRow {
  hotkey: string;
  quality_score: number | null;
  test_loss: number | null;
  synth_loss: number | null;
  score_reason: string | null;
  repo: string | null;
}

/** Scored miners of a task on this netuid, best first. */
export async function minerResults(q: Queryable, taskId: string, netuid: number): Promise<MinerResultRow[]> {
  if (!isUuid(taskId)) return [];
  const { rows } = await q.query<MinerResultRow>(
    `SELECT tn.hotkey, tn.quality_score, tn.test_loss, tn.synth_loss, tn.score_reason, s.repo
       FROM task_nodes tn LEFT JOIN submissions s ON s.task_id = tn.task_id AND s.hotkey = tn.hotkey AND s.netuid = tn.netuid
      WHERE tn.task_id = $1 AND tn.netuid = $2 AND tn.quality_score IS NOT NULL
      ORDER BY (tn.quality_score = 'NaN'::float8), tn.quality_score DESC, tn.hotkey`,
    [taskId, netuid],
  );
  return rows;
}

/** `get_all_scores_for_hotkey`: the hotkey's scores on successful, non-benchmark tasks. */
export async function scoresForHotkey(q: Queryable, hotkey: string, netuid: number): Promise<{ task_id: string; quality_score: number }[]> {
  const { rows } = await q.query<{ task_id: string; quality_score: number }>(
    `SELECT tn.task_id::text AS task_id, tn.quality_score FROM task_nodes tn JOIN tasks t ON t.task_id = tn.task_id
      WHERE tn.hotkey = $1 AND tn.netuid = $2 AND tn.quality_score IS NOT NULL AND tn.quality_score <> 'NaN'::float8
        AND t.status = 'success' AND ${NOT_BENCHMARK_SQL}
      ORDER BY t.created_at, tn.task_id`,
    [hotkey, netuid],
  );
  return rows;
}

export interface TaskStats {
  training: number;
  preevaluation: number;
  evaluating: number;
  success: number;
  nextTrainingEnd: Date | null;
}

/** `get_current_task_stats`: tournament and benchmark tasks excluded. */
export async function currentTaskStats(q: Queryable): Promise<TaskStats> {
  const { rows } = await q.query<{ status: string; n: number; next_end: Date | null }>(
    `SELECT t.status, count(*)::int AS n, min(t.termination_at) AS next_end FROM tasks t
      WHERE t.status IN ('training', 'preevaluation', 'evaluating', 'success') AND ${NOT_TOURNAMENT_SQL} AND ${NOT_BENCHMARK_SQL}
      GROUP BY t.status`,
  );
  const by = new Map(rows.map((r) => [r.status, r]));
  return {
    training: by.get('training')?.n ?? 0,
    preevaluation: by.get('preevaluation')?.n ?? 0,
    evaluating: by.get('evaluating')?.n ?? 0,
    success: by.get('success')?.n ?? 0,
    nextTrainingEnd: by.get('training')?.next_end ?? null,
  };
}

/** `get_detailed_task_stats`' per-type part: counts by (task_type, status), without the exclusions. */
export async function taskCountsByType(q: Queryable): Promise<{ task_type: TaskType; status: string; n: number }[]> {
  const { rows } = await q.query<{ task_type: TaskType; status: string; n: number }>(
    `SELECT task_type::text AS task_type, status, count(*)::int AS n FROM tasks
      WHERE status IN ('training', 'preevaluation', 'evaluating', 'success') GROUP BY task_type, status`,
  );
  return rows;
}

export interface LeaderboardStatsRow {
  hotkey: string;
  period: string;
  total_count: number;
  total_score: number;
  avg_quality_score: number;
  total_success: number;
  total_quality: number;
  competition_hours: number;
  total_params_billions: number;
  modal_model: string | null;
  unique_models: number;
  unique_datasets: number;
}

/**
 * `get_all_node_stats_batched` in one scan: every scored, non-benchmark assignment is read once and aggregated
 * per hotkey with one FILTER per period (the periods are nested windows of task creation time). Parameter counts
 * come from the model name (`<n>b`, else `<n>m`/1000, else 1), computed once per distinct model. The modal model
 * is `mode()`, whose ties go to the first name in sort order (the original's are arbitrary).
 */
export async function leaderboardStats(
  q: Queryable,
  netuid: number,
  periods: readonly { name: string; since: Date }[],
): Promise<LeaderboardStatsRow[]> {
  const cols = periods.map((_, i) => {
    const f = `FILTER (WHERE s.created_at >= $${i + 2})`;
    return `count(*) ${f} AS n_${i}, COALESCE(sum(s.q) ${f}, 0)::float8 AS sum_${i}, COALESCE(avg(s.q) ${f}, 0)::float8 AS avg_${i},
      count(*) FILTER (WHERE s.created_at >= $${i + 2} AND s.q > -1) AS ok_${i}, count(*) FILTER (WHERE s.created_at >= $${i + 2} AND s.q > 0) AS good_${i},
      COALESCE(sum(s.h) ${f}, 0)::int AS hours_${i}, COALESCE(sum(m.params) ${f}, 0)::float8 AS params_${i},
      mode() WITHIN GROUP (ORDER BY s.model_id) ${f} AS modal_${i},
      count(DISTINCT s.model_id) ${f} AS models_${i}, count(DISTINCT s.ds) ${f} AS ds_${i}`;
  });
  const { rows } = await q.query<Record<string, unknown>>(
    `WITH s AS MATERIALIZED (
       SELECT tn.hotkey, tn.quality_score AS q, t.hours_to_complete AS h, t.model_id, t.ds, t.created_at
         FROM task_nodes tn JOIN tasks t ON t.task_id = tn.task_id
        WHERE tn.netuid = $1 AND tn.quality_score IS NOT NULL AND ${NOT_BENCHMARK_SQL}),
     m AS (
       SELECT model_id,
              CASE WHEN lower(model_id) ~ '[0-9]+\\.?[0-9]*b'
                     THEN substring(lower(model_id) from '([0-9]+\\.?[0-9]*)b')::float8
                   WHEN lower(model_id) ~ '[0-9]+\\.?[0-9]*m'
                     THEN substring(lower(model_id) from '([0-9]+\\.?[0-9]*)m')::float8 / 1000.0
                   ELSE 1.0 END AS params
         FROM (SELECT DISTINCT model_id FROM s) d)
     SELECT s.hotkey, ${cols.join(',\n')}
       FROM s JOIN m ON m.model_id = s.model_id
      GROUP BY s.hotkey`,
    [netuid, ...periods.map((p) => p.since)],
  );
  const out: LeaderboardStatsRow[] = [];
  for (const r of rows) {
    periods.forEach((p, i) => {
      const n = Number(r[`n_${i}`]);
      if (n === 0) return;
      out.push({
        hotkey: String(r.hotkey),
        period: p.name,
        total_count: n,
        total_score: Number(r[`sum_${i}`]),
        avg_quality_score: Number(r[`avg_${i}`]),
        total_success: Number(r[`ok_${i}`]),
        total_quality: Number(r[`good_${i}`]),
        competition_hours: Number(r[`hours_${i}`]),
        total_params_billions: Number(r[`params_${i}`]),
        modal_model: (r[`modal_${i}`] as string | null) ?? null,
        unique_models: Number(r[`models_${i}`]),
        unique_datasets: Number(r[`ds_${i}`]),
      });
    });
  }
  return out;
}

/** Hotkeys of the metagraph nodes of this netuid, by uid. */
export async function nodeHotkeys(q: Queryable, netuid: number): Promise<string[]> {
  const { rows } = await q.query<{ hotkey: string }>('SELECT hotkey FROM nodes WHERE netuid = $1 ORDER BY node_id, hotkey', [netuid]);
  return rows.map((r) => r.hotkey);
}

/** PUT …/training_repo_backup and …/result_model_name; false when there is no such task. */
export async function updateTaskColumn(
  q: Queryable,
  taskId: string,
  column: 'training_repo_backup' | 'result_model_name',
  value: string,
  now: Date,
): Promise<boolean> {
  if (!isUuid(taskId)) return false;
  const res = await q.query(`UPDATE tasks SET ${column} = $2, updated_at = $3 WHERE task_id = $1`, [taskId, value, now]);
  return res.rowCount === 1;
}

/** `delete_task`: this netuid's assignments, then the task when no other netuid's remain. False when unknown. */
export async function deleteTask(q: Queryable, taskId: string, netuid: number): Promise<boolean> {
  if (!isUuid(taskId)) return false;
  const exists = await q.query('SELECT 1 FROM tasks WHERE task_id = $1', [taskId]);
  if (exists.rows.length === 0) return false;
  await q.query('DELETE FROM task_nodes WHERE task_id = $1 AND netuid = $2', [taskId, netuid]);
  await q.query('DELETE FROM tasks WHERE task_id = $1 AND NOT EXISTS (SELECT 1 FROM task_nodes WHERE task_id = $1)', [taskId]);
  return true;
}

/**
 * `get_successful_matching_tasks` (the instruct reuse path, validator.md §10.2): a successful, non-tournament,
 * non-benchmark instruct task of the last 7 days with the same model, dataset and columns. SQL `=` never matches
 * a NULL column, as in the original.
 */
export async function successfulMatchingInstructTaskIds(
  q: Queryable,
  match: { modelId: string; ds: string; fieldInstruction: string; fieldInput: string | null; fieldOutput: string | null; since: Date },
): Promise<string[]> {
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM tasks t JOIN instruct_text_tasks i ON i.task_id = t.task_id
      WHERE t.model_id = $1 AND t.ds = $2 AND i.field_instruction = $3 AND i.field_input = $4 AND i.field_output = $5
        AND t.status = 'success' AND t.created_at >= $6 AND ${NOT_TOURNAMENT_SQL} AND ${NOT_BENCHMARK_SQL}
      ORDER BY t.created_at DESC`,
    [match.modelId, match.ds, match.fieldInstruction, match.fieldInput, match.fieldOutput, match.since],
  );
  return rows.map((r) => r.task_id);
}

/** Account ids that exist (for the admin's "create on behalf of" check). */
export async function accountExists(q: Queryable, accountId: string): Promise<boolean> {
  if (!isUuid(accountId)) return false;
  return (await q.query('SELECT 1 FROM accounts WHERE id = $1', [accountId])).rows.length > 0;
}
