/**
 * Miners and tasks, as the validator cycle reads and writes them: offer candidates (validator.md §7.1–7.2),
 * offer replies, assignments (`task_nodes`), submissions and scores (§8, scoring.md §1.5).
 */
import type { Queryable } from '../types.ts';
import type { GatedWrite } from './tasks.ts';

export interface CandidateNode {
  hotkey: string;
  node_id: number;
  ip: string;
  ip_type: number;
  port: number;
}

export interface DailyParticipation {
  hotkey: string;
  tasks: number;
  avg_quality: number | null;
}

export interface OfferRoundState {
  /** Miners already assigned to the task (acceptances of an interrupted round). */
  accepted: number;
  candidates: CandidateNode[];
  /** Today's participation per candidate (tasks 0 = none today). */
  daily: DailyParticipation[];
}

/**
 * What an offer round starts from, in one statement: the acceptances so far, the candidates and their
 * participation today.
 *
 * Candidates (`get_eligible_nodes`, validator.md §7.1): on mainnet, nodes whose hotkey has no task_nodes rows, or a
 * positive score on a task created within the look-back window, or only NULL scores; elsewhere every node. Hotkeys
 * already assigned to the task are left out either way. Participation (§7.2): scored, non-benchmark tasks created
 * since `dayStart`.
 */
export async function offerRoundState(
  q: Queryable,
  options: { taskId: string; netuid: number; mainnetRules: boolean; since: Date; dayStart: Date },
): Promise<OfferRoundState> {
  const { rows } = await q.query<CandidateNode & { accepted: number; daily_tasks: number | null; daily_avg_quality: number | null }>(
    `SELECT c.accepted, n.hotkey, n.node_id, n.ip, n.ip_type, n.port, d.tasks AS daily_tasks, d.avg_quality AS daily_avg_quality
       FROM (SELECT count(*)::int AS accepted FROM task_nodes WHERE task_id = $2 AND netuid = $1) c
       LEFT JOIN nodes n
         ON n.netuid = $1
        AND NOT EXISTS (SELECT 1 FROM task_nodes a WHERE a.task_id = $2 AND a.hotkey = n.hotkey AND a.netuid = $1)
        AND (NOT $3::boolean
             OR NOT EXISTS (SELECT 1 FROM task_nodes x WHERE x.hotkey = n.hotkey)
             OR NOT EXISTS (SELECT 1 FROM task_nodes x WHERE x.hotkey = n.hotkey AND x.quality_score IS NOT NULL)
             OR EXISTS (SELECT 1 FROM task_nodes x JOIN tasks t ON t.task_id = x.task_id
                         WHERE x.hotkey = n.hotkey AND x.quality_score > 0 AND t.created_at >= $4))
       LEFT JOIN LATERAL (
         SELECT count(*)::int AS tasks, avg(x.quality_score) AS avg_quality
           FROM task_nodes x JOIN tasks t ON t.task_id = x.task_id
          WHERE x.hotkey = n.hotkey AND x.quality_score IS NOT NULL AND t.created_at >= $5
            AND NOT EXISTS (SELECT 1 FROM benchmark_root_tasks b WHERE b.task_id = t.task_id)
            AND NOT EXISTS (SELECT 1 FROM benchmark_task_copies bc WHERE bc.copy_task_id = t.task_id)
       ) d ON n.hotkey IS NOT NULL
      ORDER BY n.node_id`,
    [options.netuid, options.taskId, options.mainnetRules, options.since, options.dayStart],
  );
  const present = rows.filter((r) => r.hotkey !== null);
  return {
    accepted: rows[0]?.accepted ?? 0,
    candidates: present.map((r) => ({ hotkey: r.hotkey, node_id: r.node_id, ip: r.ip, ip_type: r.ip_type, port: r.port })),
    daily: present.map((r) => ({ hotkey: r.hotkey, tasks: r.daily_tasks ?? 0, avg_quality: r.daily_avg_quality })),
  };
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

/**
 * Each miner's result onto its assignment (quality_score, losses, reason), as a write of the task's status change
 * (one statement for all miners); null when there is none. NaN is stored as NaN.
 */
export function taskScoresWrite(netuid: number, scores: readonly ScoreRow[]): GatedWrite | null {
  if (scores.length === 0) return null;
  return (param) =>
    `UPDATE task_nodes a
        SET quality_score = v.quality_score, test_loss = v.test_loss, synth_loss = v.synth_loss, score_reason = v.score_reason
       FROM unnest(${param(scores.map((s) => s.hotkey))}::text[], ${param(scores.map((s) => floatParam(s.quality_score)))}::float8[],
                   ${param(scores.map((s) => floatParam(s.test_loss)))}::float8[], ${param(scores.map((s) => floatParam(s.synth_loss)))}::float8[],
                   ${param(scores.map((s) => s.score_reason))}::text[]) AS v(hotkey, quality_score, test_loss, synth_loss, score_reason),
            upd
      WHERE a.task_id = upd.task_id AND a.netuid = ${param(netuid)}::int AND a.hotkey = v.hotkey`;
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
  await q.query(
    `INSERT INTO submissions (task_id, hotkey, netuid, repo, model_hash, created_on, updated_on)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (task_id, hotkey, netuid) DO UPDATE SET repo = EXCLUDED.repo, model_hash = EXCLUDED.model_hash, updated_on = EXCLUDED.updated_on`,
    [row.taskId, row.hotkey, row.netuid, row.repo, row.modelHash, row.now],
  );
}

/** The `submissions` upserts of a task's miners, as a write of its status change; null when there is none. */
export function submissionsWrite(netuid: number, rows: readonly { hotkey: string; repo: string; modelHash: string | null }[], now: Date): GatedWrite | null {
  if (rows.length === 0) return null;
  return (param) => {
    const at = param(now);
    return `INSERT INTO submissions (task_id, hotkey, netuid, repo, model_hash, created_on, updated_on)
     SELECT upd.task_id, v.hotkey, ${param(netuid)}::int, v.repo, v.model_hash, ${at}::timestamptz, ${at}::timestamptz
       FROM unnest(${param(rows.map((r) => r.hotkey))}::text[], ${param(rows.map((r) => r.repo))}::text[], ${param(rows.map((r) => r.modelHash))}::text[])
            AS v(hotkey, repo, model_hash)
      CROSS JOIN upd
     ON CONFLICT (task_id, hotkey, netuid) DO UPDATE SET repo = EXCLUDED.repo, model_hash = EXCLUDED.model_hash, updated_on = EXCLUDED.updated_on`;
  };
}
