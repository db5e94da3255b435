/**
 * The miner's job queue (`miner_jobs`, migration 0005). Every state change is one statement, so two workers (or
 * a worker and the HTTP handlers) never see a half-made change; claiming a job is one UPDATE … RETURNING.
 */
import type { Queryable } from '../types.ts';

export type MinerJobEndpoint = 'text' | 'grpo' | 'image';
export type MinerJobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface MinerJobRow {
  task_id: string;
  endpoint: MinerJobEndpoint;
  task_type: string;
  model: string;
  expected_repo_name: string | null;
  hours_to_complete: number;
  job: unknown;
  status: MinerJobStatus;
  attempts: number;
  enqueued_at: Date;
  deadline_at: Date;
  claimed_at: Date | null;
  claimed_by: string | null;
  finished_at: Date | null;
  error: string | null;
  progress: unknown;
  backend: string | null;
  submission_repo: string | null;
  model_hash: string | null;
}

export interface NewMinerJob {
  taskId: string;
  endpoint: MinerJobEndpoint;
  taskType: string;
  model: string;
  expectedRepoName: string | null;
  hoursToComplete: number;
  job: unknown;
  enqueuedAt: Date;
  backend: string;
}

/**
 * Queues a job. A task already queued or failed is replaced and queued again (a validator that repeats
 * start_training gets a fresh job); one that is running or completed is left alone. Returns whether the row
 * was (re)queued.
 */
export async function enqueueMinerJob(q: Queryable, j: NewMinerJob): Promise<boolean> {
  const deadline = new Date(j.enqueuedAt.getTime() + j.hoursToComplete * 3_600_000);
  const { rowCount } = await q.query(
    `INSERT INTO miner_jobs (task_id, endpoint, task_type, model, expected_repo_name, hours_to_complete, job, status,
                             attempts, enqueued_at, deadline_at, backend)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'queued', 0, $8, $9, $10)
     ON CONFLICT (task_id) DO UPDATE
       SET endpoint = EXCLUDED.endpoint, task_type = EXCLUDED.task_type, model = EXCLUDED.model,
           expected_repo_name = EXCLUDED.expected_repo_name, hours_to_complete = EXCLUDED.hours_to_complete,
           job = EXCLUDED.job, status = 'queued', attempts = 0, enqueued_at = EXCLUDED.enqueued_at,
           deadline_at = EXCLUDED.deadline_at, claimed_at = NULL, claimed_by = NULL, finished_at = NULL,
           error = NULL, progress = NULL, backend = EXCLUDED.backend, submission_repo = NULL, model_hash = NULL
       WHERE miner_jobs.status IN ('queued', 'failed')`,
    [j.taskId, j.endpoint, j.taskType, j.model, j.expectedRepoName, j.hoursToComplete, JSON.stringify(j.job), j.enqueuedAt, deadline, j.backend],
  );
  return rowCount > 0;
}

/**
 * Claims the oldest queued job for `worker` unless `limit` jobs are already running: one statement, so a job is
 * never handed out twice (SKIP LOCKED lets concurrent claimers pass each other on Postgres).
 */
export async function claimMinerJob(q: Queryable, worker: string, limit: number, now: Date): Promise<MinerJobRow | null> {
  const { rows } = await q.query<MinerJobRow>(
    `UPDATE miner_jobs SET status = 'running', attempts = attempts + 1, claimed_at = $1, claimed_by = $2, progress = NULL
      WHERE task_id = (SELECT task_id FROM miner_jobs WHERE status = 'queued'
                        ORDER BY enqueued_at, task_id LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND (SELECT count(*) FROM miner_jobs WHERE status = 'running') < $3
      RETURNING *`,
    [now, worker, limit],
  );
  return rows[0] ?? null;
}

/**
 * After a restart: jobs a previous process was running go back to the queue while they have attempts left, and
 * fail otherwise. Returns how many were re-queued and failed.
 */
export async function recoverMinerJobs(q: Queryable, worker: string, maxAttempts: number, now: Date): Promise<{ requeued: number; failed: number }> {
  const { rows } = await q.query<{ status: MinerJobStatus }>(
    `UPDATE miner_jobs
        SET status = CASE WHEN attempts < $2 THEN 'queued' ELSE 'failed' END,
            error = CASE WHEN attempts < $2 THEN error ELSE 'interrupted by a restart; no attempts left' END,
            finished_at = CASE WHEN attempts < $2 THEN NULL ELSE $3::timestamptz END,
            claimed_at = NULL, claimed_by = NULL
      WHERE status = 'running' AND claimed_by IS DISTINCT FROM $1
      RETURNING status`,
    [worker, maxAttempts, now],
  );
  return { requeued: rows.filter((r) => r.status === 'queued').length, failed: rows.filter((r) => r.status === 'failed').length };
}

/** Marks a running job done with its submission. Only the worker holding it can. */
export async function completeMinerJob(q: Queryable, taskId: string, worker: string, repo: string, modelHash: string | null, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE miner_jobs SET status = 'completed', submission_repo = $3, model_hash = $4, finished_at = $5, error = NULL
      WHERE task_id = $1 AND claimed_by = $2 AND status = 'running'`,
    [taskId, worker, repo, modelHash, now],
  );
  return rowCount > 0;
}

/** Marks a running job failed. Only the worker holding it can. */
export async function failMinerJob(q: Queryable, taskId: string, worker: string, error: string, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE miner_jobs SET status = 'failed', error = $3, finished_at = $4 WHERE task_id = $1 AND claimed_by = $2 AND status = 'running'`,
    [taskId, worker, error, now],
  );
  return rowCount > 0;
}

export async function setMinerJobProgress(q: Queryable, taskId: string, worker: string, progress: unknown): Promise<void> {
  await q.query(`UPDATE miner_jobs SET progress = $3::jsonb WHERE task_id = $1 AND claimed_by = $2 AND status = 'running'`, [
    taskId,
    worker,
    JSON.stringify(progress),
  ]);
}

export async function getMinerJob(q: Queryable, taskId: string): Promise<MinerJobRow | null> {
  const { rows } = await q.query<MinerJobRow>('SELECT * FROM miner_jobs WHERE task_id = $1', [taskId]);
  return rows[0] ?? null;
}

export interface MinerLoadRow {
  /** Deadline of the most recently enqueued job (the reference's `current_job_finish_time`). */
  busyUntil: Date | null;
  queued: number;
  running: number;
}

export async function minerLoad(q: Queryable): Promise<MinerLoadRow> {
  const { rows } = await q.query<{ busy_until: Date | null; queued: number; running: number }>(
    `SELECT (SELECT deadline_at FROM miner_jobs ORDER BY enqueued_at DESC, task_id DESC LIMIT 1) AS busy_until,
            (SELECT count(*)::int FROM miner_jobs WHERE status = 'queued') AS queued,
            (SELECT count(*)::int FROM miner_jobs WHERE status = 'running') AS running`,
  );
  const row = rows[0];
  return { busyUntil: row?.busy_until ?? null, queued: row?.queued ?? 0, running: row?.running ?? 0 };
}

export async function listMinerJobs(q: Queryable, limit = 100): Promise<MinerJobRow[]> {
  const { rows } = await q.query<MinerJobRow>('SELECT * FROM miner_jobs ORDER BY enqueued_at DESC, task_id DESC LIMIT $1', [limit]);
  return rows;
}
