/**
 * What the weight setter reads and records: a week of scored tasks (scoring.md §2.1) and the audit trail of the
 * scores file behind each weight setting (`latest_scores_url`, miner-protocol-chain.md §9).
 */
import type { TaskType } from '../../core/enums.ts';
import type { Queryable } from '../types.ts';

export interface ScoredTaskRow {
  task_id: string;
  is_organic: boolean;
  model_id: string;
  ds: string;
  status: string;
  account_id: string;
  times_delayed: number;
  hours_to_complete: number;
  task_type: TaskType;
  created_at: Date;
  next_delay_at: Date | null;
  updated_at: Date | null;
  started_at: Date | null;
  termination_at: Date | null;
  completed_at: Date | null;
  model_params_count: number | null;
  node_scores: { task_id: string; hotkey: string; quality_score: number }[];
}

/**
 * `get_aggregate_scores_since`: successful, non-tournament, non-benchmark tasks created after `since`, each with
 * only its node rows scored ≥ 1 or < 0 (the winner's 3 and the −1 penalties); tasks with none are left out.
 */
export async function scoredTasksSince(q: Queryable, since: Date, netuid: number): Promise<ScoredTaskRow[]> {
  const { rows } = await q.query<ScoredTaskRow>(
    `SELECT t.task_id, t.is_organic, t.model_id, t.ds, t.status, t.account_id, t.times_delayed, t.hours_to_complete,
            t.task_type::text AS task_type, t.created_at, t.next_delay_at, t.updated_at, t.started_at, t.termination_at,
            t.completed_at, t.model_params_count,
            json_agg(json_build_object('task_id', t.task_id, 'hotkey', x.hotkey, 'quality_score', x.quality_score)
                     ORDER BY x.hotkey) AS node_scores
       FROM tasks t JOIN task_nodes x ON x.task_id = t.task_id AND x.netuid = $2
      WHERE t.status = 'success' AND t.created_at > $1
        AND (x.quality_score >= 1 OR x.quality_score < 0)
        AND NOT EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)
        AND NOT EXISTS (SELECT 1 FROM benchmark_root_tasks b WHERE b.task_id = t.task_id)
        AND NOT EXISTS (SELECT 1 FROM benchmark_task_copies c WHERE c.copy_task_id = t.task_id)
      GROUP BY t.task_id
      ORDER BY t.created_at, t.task_id`,
    [since, netuid],
  );
  return rows;
}

/** Records the URL of the scores file behind a weight setting and expires the previous one (one transaction). */
export async function storeLatestScoresUrl(q: Queryable, url: string, now: Date): Promise<void> {
  await q.query('UPDATE latest_scores_url SET expired_at = $1 WHERE expired_at IS NULL', [now]);
  await q.query('INSERT INTO latest_scores_url (url, created_at) VALUES ($1, $2)', [url, now]);
}

export async function latestScoresUrl(q: Queryable): Promise<string | null> {
  const { rows } = await q.query<{ url: string }>(
    'SELECT url FROM latest_scores_url WHERE expired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1',
  );
  return rows[0]?.url ?? null;
}
