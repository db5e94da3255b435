/**
 * Miners and tasks, as the validator cycle reads and writes them: offer candidates (validator.md §7.1–7.2),
 * offer replies, assignments (`task_nodes`), submissions and scores (§8, scoring.md §1.5).
 */
import type { Queryable } from '../types.ts';

export interface CandidateNode {
  hotkey: string;
  node_id: number;
  ip: string;
  ip_type: number;
  port: number;
}

/**
 * `get_eligible_nodes` (mainnet): nodes whose hotkey has no task_nodes rows, or a positive score on a task created
 * within the look-back window, or only NULL scores. Elsewhere every node. Hotkeys already assigned to `taskId`
 * are left out either way.
 */
export async function offerCandidates(
  q: Queryable,
  options: { taskId: string; netuid: number; mainnetRules: boolean; since: Date },
): Promise<CandidateNode[]> {
  const { rows } = await q.query<CandidateNode>(
    `SELECT n.hotkey, n.node_id, n.ip, n.ip_type, n.port
       FROM nodes n
      WHERE n.netuid = $1
        AND NOT EXISTS (SELECT 1 FROM task_nodes a WHERE a.task_id = $2 AND a.hotkey = n.hotkey AND a.netuid = $1)
        AND (NOT $3::boolean
             OR NOT EXISTS (SELECT 1 FROM task_nodes x WHERE x.hotkey = n.hotkey)
             OR NOT EXISTS (SELECT 1 FROM task_nodes x WHERE x.hotkey = n.hotkey AND x.quality_score IS NOT NULL)
             OR EXISTS (SELECT 1 FROM task_nodes x JOIN tasks t ON t.task_id = x.task_id
                         WHERE x.hotkey = n.hotkey AND x.quality_score > 0 AND t.created_at >= $4))
      ORDER BY n.node_id`,
    [options.netuid, options.taskId, options.mainnetRules, options.since],
  );
  return rows;
}

export interface DailyParticipation {
  hotkey: string;
  tasks: number;
  avg_quality: number | null;
}

/**
 * Today's participation per hotkey (validator.md §7.2): scored, non-benchmark tasks created since `dayStart`.
 * Hotkeys absent from the answer have not participated today.
 */
export async function dailyParticipation(q: Queryable, hotkeys: readonly string[], dayStart: Date): Promise<DailyParticipation[]> {
  if (hotkeys.length === 0) return [];
  const { rows } = await q.query<DailyParticipation>(
    `SELECT x.hotkey, count(*)::int AS tasks, avg(x.quality_score) AS avg_quality
       FROM task_nodes x JOIN tasks t ON t.task_id = x.task_id
      WHERE x.hotkey = ANY($1::text[]) AND x.quality_score IS NOT NULL AND t.created_at >= $2
        AND NOT EXISTS (SELECT 1 FROM benchmark_root_tasks b WHERE b.task_id = t.task_id)
        AND NOT EXISTS (SELECT 1 FROM benchmark_task_copies c WHERE c.copy_task_id = t.task_id)
      GROUP BY x.hotkey`,
    [[...hotkeys], dayStart],
  );
  return rows;
}

/**
 * One row per offer sent, accepted or not, with the reply as it was normalised; with `assignNetuid` (an accepted
 * offer) the miner's task_nodes row is added by the same statement.
 */
export async function storeOfferResponse(
  q: Queryable,
  taskId: string,
  hotkey: string,
  response: Record<string, unknown>,
  now: Date,
  assignNetuid: number | null = null,
): Promise<void> {
  await q.query(
    `WITH reply AS (
       INSERT INTO offer_responses (task_id, hotkey, offer_response, created_at) VALUES ($1, $2, $3::jsonb, $4)
     )
     INSERT INTO task_nodes (task_id, hotkey, netuid)
     SELECT $1, $2, $5::int WHERE $5::int IS NOT NULL
     ON CONFLICT DO NOTHING`,
    [taskId, hotkey, JSON.stringify(response), now, assignNetuid],
  );
}

export async function countAssigned(q: Queryable, taskId: string, netuid: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM task_nodes WHERE task_id = $1 AND netuid = $2', [
    taskId,
    netuid,
  ]);
  return rows[0]?.n ?? 0;
}

export interface AssignedNode {
  hotkey: string;
  expected_repo_name: string | null;
  /** Null when the hotkey has left the metagraph (it is then skipped, as in the original). */
  ip: string | null;
  ip_type: number | null;
  port: number | null;
}

/** The task's assigned miners with their current addresses, in hotkey order. */
export async function assignedNodes(q: Queryable, taskId: string, netuid: number): Promise<AssignedNode[]> {
  const { rows } = await q.query<AssignedNode>(
    `SELECT a.hotkey, a.expected_repo_name, n.ip, n.ip_type, n.port
       FROM task_nodes a LEFT JOIN nodes n ON n.hotkey = a.hotkey AND n.netuid = a.netuid
      WHERE a.task_id = $1 AND a.netuid = $2
      ORDER BY a.hotkey`,
    [taskId, netuid],
  );
  return rows;
}

/**
 * Gives each listed assignment its expected repo name (`fresh`, one per hotkey) unless it already has one, in one
 * statement, and returns the stored names by hotkey. A start that is retried after a crash reuses the names the
 * miners may already have been told.
 */
export async function ensureExpectedRepoNames(
  q: Queryable,
  taskId: string,
  netuid: number,
  fresh: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  if (fresh.size === 0) return new Map();
  const { rows } = await q.query<{ hotkey: string; expected_repo_name: string }>(
    `UPDATE task_nodes a SET expected_repo_name = COALESCE(a.expected_repo_name, v.name)
       FROM unnest($3::text[], $4::text[]) AS v(hotkey, name)
      WHERE a.task_id = $1 AND a.netuid = $2 AND a.hotkey = v.hotkey
      RETURNING a.hotkey, a.expected_repo_name`,
    [taskId, netuid, [...fresh.keys()], [...fresh.values()]],
  );
  return new Map(rows.map((r) => [r.hotkey, r.expected_repo_name]));
}

export interface ScoreRow {
  hotkey: string;
  quality_score: number;
  test_loss: number;
  synth_loss: number;
  score_reason: string | null;
}

/** Writes each miner's result onto its assignment (quality_score, losses, reason), all in one statement. NaN is stored as NaN. */
export async function writeTaskScores(q: Queryable, taskId: string, netuid: number, scores: readonly ScoreRow[]): Promise<void> {
  if (scores.length === 0) return;
  await q.query(
    `UPDATE task_nodes a
        SET quality_score = v.quality_score, test_loss = v.test_loss, synth_loss = v.synth_loss, score_reason = v.score_reason
       FROM unnest($3::text[], $4::float8[], $5::float8[], $6::float8[], $7::text[]) AS v(hotkey, quality_score, test_loss, synth_loss, score_reason)
      WHERE a.task_id = $1 AND a.netuid = $2 AND a.hotkey = v.hotkey`,
    [
      taskId,
      netuid,
      scores.map((s) => s.hotkey),
      scores.map((s) => floatParam(s.quality_score)),
      scores.map((s) => floatParam(s.test_loss)),
      scores.map((s) => floatParam(s.synth_loss)),
      scores.map((s) => s.score_reason),
    ],
  );
}

/** Drivers disagree on how a JS NaN/Infinity travels; the text forms are what Postgres parses for float8. */
function floatParam(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export interface SubmissionRow {
  taskId: string;
  hotkey: string;
  netuid: number;
  repo: string;
  modelHash: string | null;
  now: Date;
}

/** `submissions` upsert per (task, hotkey, netuid) (validator.md §8). */
export async function upsertSubmission(q: Queryable, row: SubmissionRow): Promise<void> {
  await upsertSubmissions(q, [row]);
}

/** upsertSubmission for many rows in one statement (one row per (task, hotkey, netuid) in the list). */
export async function upsertSubmissions(q: Queryable, rows: readonly SubmissionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO submissions (task_id, hotkey, netuid, repo, model_hash, created_on, updated_on)
     SELECT v.task_id, v.hotkey, v.netuid, v.repo, v.model_hash, v.at, v.at
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[]) AS v(task_id, hotkey, netuid, repo, model_hash, at)
     ON CONFLICT (task_id, hotkey, netuid) DO UPDATE SET repo = EXCLUDED.repo, model_hash = EXCLUDED.model_hash, updated_on = EXCLUDED.updated_on`,
    [rows.map((r) => r.taskId), rows.map((r) => r.hotkey), rows.map((r) => r.netuid), rows.map((r) => r.repo), rows.map((r) => r.modelHash), rows.map((r) => r.now)],
  );
}
