/**
 * The orchestrator's tables (tournament spec §4): per (task, hotkey) trainings as a work queue, trainers and their
 * GPUs. Every claim is one statement with FOR UPDATE SKIP LOCKED and a lease (claimed_until = next_attempt_at), so
 * a crashed orchestrator's rows come back by themselves; a GPU is booked by one conditional UPDATE, so two
 * trainings can never hold the same GPU in the database's view.
 */
import type { TrainingStatus } from '../../core/enums.ts';
import type { Queryable } from '../types.ts';

export interface TrainingRow {
  task_id: string;
  hotkey: string;
  training_status: TrainingStatus;
  n_training_attempts: number;
  priority: number;
  training_repo: string | null;
  training_commit_hash: string | null;
  trainer_ip: string | null;
  gpu_ids: number[] | null;
  started_at: Date | null;
  deadline_at: Date | null;
  start_failures: number;
  last_error: string | null;
  next_attempt_at: Date;
  claimed_by: string | null;
  claimed_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface GpuRow {
  trainer_ip: string;
  gpu_id: number;
  gpu_type: string;
  vram_gb: number;
  used_until: Date | null;
  held_task_id: string | null;
  held_hotkey: string | null;
}

const TRAINING_COLUMNS = `tr.task_id::text AS task_id, tr.hotkey, tr.training_status, tr.n_training_attempts, tr.priority, tr.training_repo,
  tr.training_commit_hash, tr.trainer_ip, tr.gpu_ids, tr.started_at, tr.deadline_at, tr.start_failures, tr.last_error,
  tr.next_attempt_at, tr.claimed_by, tr.claimed_until, tr.created_at, tr.updated_at`;

/** Locks one tournament task waiting for trainings (looking_for_nodes), skipping tasks others hold. Use inside a transaction. */
export async function lockTaskAwaitingTrainings(q: Queryable): Promise<{ task_id: string; created_at: Date } | null> {
  const { rows } = await q.query<{ task_id: string; created_at: Date }>(
    `SELECT t.task_id::text AS task_id, t.created_at FROM tasks t
      WHERE t.status = 'looking_for_nodes'
        AND EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)
        AND EXISTS (SELECT 1 FROM task_nodes a JOIN nodes n ON n.hotkey = a.hotkey AND n.netuid = a.netuid WHERE a.task_id = t.task_id)
      ORDER BY t.created_at, t.task_id LIMIT 1
      FOR UPDATE OF t SKIP LOCKED`,
  );
  return rows[0] ?? null;
}

/**
 * One training row per assigned hotkey that is still a node, with the repo that hotkey entered *this* tournament
 * with (its published copy when it has one) snapshotted in the row. The original looked the repo up at start time
 * across all tournaments, so a hotkey in both the text and the image tournament could train the wrong one.
 */
export async function insertTrainings(q: Queryable, taskId: string, netuid: number, priority: number, now: Date): Promise<number> {
  const res = await q.query(
    `INSERT INTO tournament_task_hotkey_trainings
       (task_id, hotkey, training_status, priority, training_repo, training_commit_hash, created_at, updated_at, next_attempt_at)
     SELECT a.task_id, a.hotkey, 'pending', $3,
            COALESCE(p.backup_repo, p.training_repo),
            CASE WHEN p.backup_repo IS NOT NULL THEN p.backup_commit_hash ELSE p.training_commit_hash END,
            t.created_at, $4, $4
       FROM task_nodes a
       JOIN tasks t ON t.task_id = a.task_id
       JOIN tournament_tasks tt ON tt.task_id = a.task_id
       JOIN nodes n ON n.hotkey = a.hotkey AND n.netuid = a.netuid
       LEFT JOIN tournament_participants p ON p.tournament_id = tt.tournament_id AND p.hotkey = a.hotkey
      WHERE a.task_id = $1 AND a.netuid = $2
     ON CONFLICT DO NOTHING`,
    [taskId, netuid, priority, now],
  );
  return res.rowCount;
}

export interface ClaimTrainingOptions {
  status: TrainingStatus;
  worker: string;
  leaseMs: number;
  now: Date;
}

/**
 * Claims the next due training in `status`: highest priority first (lowest number), then the oldest. The original
 * popped its list from the tail and so started the lowest priority first (spec §10).
 */
export async function claimTraining(q: Queryable, o: ClaimTrainingOptions): Promise<TrainingRow | null> {
  const until = new Date(o.now.getTime() + o.leaseMs);
  const { rows } = await q.query<TrainingRow>(
    `UPDATE tournament_task_hotkey_trainings tr SET claimed_by = $1, claimed_until = $2, next_attempt_at = $2
      FROM (SELECT task_id, hotkey FROM tournament_task_hotkey_trainings
             WHERE training_status = $3 AND next_attempt_at <= $4
             ORDER BY priority, created_at, task_id, hotkey LIMIT 1
             FOR UPDATE SKIP LOCKED) pick
     WHERE tr.task_id = pick.task_id AND tr.hotkey = pick.hotkey
     RETURNING ${TRAINING_COLUMNS}`,
    [o.worker, until, o.status, o.now],
  );
  return rows[0] ?? null;
}

export async function getTraining(q: Queryable, taskId: string, hotkey: string): Promise<TrainingRow | null> {
  const { rows } = await q.query<TrainingRow>(
    `SELECT ${TRAINING_COLUMNS} FROM tournament_task_hotkey_trainings tr WHERE tr.task_id = $1 AND tr.hotkey = $2`,
    [taskId, hotkey],
  );
  return rows[0] ?? null;
}

export interface TrainingUpdate {
  status?: TrainingStatus;
  /** Add one to n_training_attempts. */
  countAttempt?: boolean;
  startFailures?: number;
  trainerIp?: string | null;
  gpuIds?: number[] | null;
  startedAt?: Date | null;
  deadlineAt?: Date | null;
  lastError?: string | null;
  /** When the row is due again (also ends the claim). */
  nextAttemptAt: Date;
  now: Date;
}

/**
 * Updates a training the worker holds and releases its claim, in one statement; `expected` is the status it must
 * still be in. False when the claim was lost (the lease ran out and another worker took the row).
 */
export async function updateClaimedTraining(
  q: Queryable,
  taskId: string,
  hotkey: string,
  worker: string,
  expected: TrainingStatus,
  u: TrainingUpdate,
): Promise<boolean> {
  const has = (k: keyof TrainingUpdate) => Object.hasOwn(u, k);
  const res = await q.query(
    `UPDATE tournament_task_hotkey_trainings SET
        training_status = COALESCE($5, training_status),
        n_training_attempts = n_training_attempts + CASE WHEN $6 THEN 1 ELSE 0 END,
        start_failures = COALESCE($7, start_failures),
        trainer_ip = CASE WHEN $8 THEN $9 ELSE trainer_ip END,
        gpu_ids = CASE WHEN $10 THEN $11::int[] ELSE gpu_ids END,
        started_at = CASE WHEN $12 THEN $13::timestamptz ELSE started_at END,
        deadline_at = CASE WHEN $14 THEN $15::timestamptz ELSE deadline_at END,
        last_error = CASE WHEN $16 THEN $17 ELSE last_error END,
        next_attempt_at = $18, claimed_by = NULL, claimed_until = NULL, updated_at = $19
      WHERE task_id = $1 AND hotkey = $2 AND claimed_by = $3 AND training_status = $4`,
    [
      taskId,
      hotkey,
      worker,
      expected,
      u.status ?? null,
      u.countAttempt ?? false,
      u.startFailures ?? null,
      has('trainerIp'),
      u.trainerIp ?? null,
      has('gpuIds'),
      u.gpuIds ?? null,
      has('startedAt'),
      u.startedAt ?? null,
      has('deadlineAt'),
      u.deadlineAt ?? null,
      has('lastError'),
      u.lastError ?? null,
      u.nextAttemptAt,
      u.now,
    ],
  );
  return res.rowCount === 1;
}

/** Records where a claimed training is about to be started, keeping the claim (so a crash can find the job again). */
export async function recordPlacement(q: Queryable, taskId: string, hotkey: string, worker: string, trainerIp: string, gpuIds: readonly number[]): Promise<boolean> {
  const res = await q.query(
    `UPDATE tournament_task_hotkey_trainings SET trainer_ip = $4, gpu_ids = $5::int[] WHERE task_id = $1 AND hotkey = $2 AND claimed_by = $3`,
    [taskId, hotkey, worker, trainerIp, [...gpuIds]],
  );
  return res.rowCount === 1;
}

/**
 * Tournament tasks in training whose every training has ended (success or failure): ready for evaluation. The
 * evaluation then reads `<hub namespace>/<expected_repo_name>` for each assigned hotkey.
 */
export async function tasksWithTrainingsDone(q: Queryable, lookbackStart: Date): Promise<string[]> {
  const { rows } = await q.query<{ task_id: string }>(
    `SELECT t.task_id::text AS task_id FROM tasks t
      WHERE t.status = 'training' AND t.created_at >= $1
        AND EXISTS (SELECT 1 FROM tournament_task_hotkey_trainings tr WHERE tr.task_id = t.task_id)
        AND NOT EXISTS (SELECT 1 FROM tournament_task_hotkey_trainings tr
                         WHERE tr.task_id = t.task_id AND tr.training_status NOT IN ('success', 'failure'))
      ORDER BY t.created_at, t.task_id`,
    [lookbackStart],
  );
  return rows.map((r) => r.task_id);
}

export interface TrainingStatsRow {
  training_status: string;
  n: number;
  avg_attempts: number;
  max_attempts: number;
}

export async function trainingStatsRows(q: Queryable): Promise<TrainingStatsRow[]> {
  const { rows } = await q.query<TrainingStatsRow>(
    `SELECT training_status, count(*)::int AS n, avg(n_training_attempts)::float8 AS avg_attempts, max(n_training_attempts)::int AS max_attempts
       FROM tournament_task_hotkey_trainings GROUP BY training_status ORDER BY training_status`,
  );
  return rows;
}

// ---------------------------------------------------------------- trainers and GPUs

export interface NewGpu {
  gpuId: number;
  gpuType: string;
  vramGb: number;
  /** Null = free. */
  usedUntil: Date | null;
}

/** Registers a trainer: its GPU rows are replaced by `gpus` (the original deletes and re-inserts). */
export async function replaceTrainer(q: Queryable, trainerIp: string, gpus: readonly NewGpu[], now: Date): Promise<void> {
  await q.query(
    `INSERT INTO trainers (trainer_ip, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (trainer_ip) DO UPDATE SET updated_at = $2`,
    [trainerIp, now],
  );
  await q.query('DELETE FROM trainers_gpus WHERE trainer_ip = $1', [trainerIp]);
  for (const g of gpus) {
    await q.query(
      `INSERT INTO trainers_gpus (trainer_ip, gpu_id, gpu_type, vram_gb, used_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
      [trainerIp, g.gpuId, g.gpuType, g.vramGb, g.usedUntil, now],
    );
  }
}

export async function removeTrainer(q: Queryable, trainerIp: string): Promise<number> {
  await q.query('DELETE FROM trainers_gpus WHERE trainer_ip = $1', [trainerIp]);
  return (await q.query('DELETE FROM trainers WHERE trainer_ip = $1', [trainerIp])).rowCount;
}

export async function listGpus(q: Queryable): Promise<GpuRow[]> {
  const { rows } = await q.query<GpuRow>(
    `SELECT trainer_ip, gpu_id, gpu_type, vram_gb, used_until, held_task_id::text AS held_task_id, held_hotkey
       FROM trainers_gpus ORDER BY trainer_ip, gpu_id`,
  );
  return rows;
}

export async function listTrainerIps(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ trainer_ip: string }>(
    `SELECT trainer_ip FROM trainers UNION SELECT trainer_ip FROM trainers_gpus ORDER BY trainer_ip`,
  );
  return rows.map((r) => r.trainer_ip);
}

/**
 * Books `gpuIds` of a trainer for a training until `until`, only if every one of them is free now; all or none
 * (the statement updates only free rows and the caller's transaction rolls back on a short count).
 */
export async function bookGpus(
  q: Queryable,
  trainerIp: string,
  gpuIds: readonly number[],
  hold: { taskId: string; hotkey: string; until: Date; now: Date },
): Promise<number> {
  const res = await q.query(
    `UPDATE trainers_gpus SET used_until = $3, held_task_id = $4, held_hotkey = $5, updated_at = $6
      WHERE trainer_ip = $1 AND gpu_id = ANY($2::int[]) AND (used_until IS NULL OR used_until < $6)`,
    [trainerIp, [...gpuIds], hold.until, hold.taskId, hold.hotkey, hold.now],
  );
  return res.rowCount;
}

/** Frees the GPUs a training holds. */
export async function freeGpusOf(q: Queryable, taskId: string, hotkey: string, now: Date): Promise<number> {
  const res = await q.query(
    `UPDATE trainers_gpus SET used_until = NULL, held_task_id = NULL, held_hotkey = NULL, updated_at = $3
      WHERE held_task_id = $1 AND held_hotkey = $2`,
    [taskId, hotkey, now],
  );
  return res.rowCount;
}

/** Sets one GPU's booking (the availability sync); `until` null frees it. */
export async function setGpuUsedUntil(q: Queryable, trainerIp: string, gpuId: number, until: Date | null, now: Date): Promise<void> {
  await q.query(
    `UPDATE trainers_gpus SET used_until = $3, held_task_id = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE held_task_id END,
            held_hotkey = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE held_hotkey END, updated_at = $4
      WHERE trainer_ip = $1 AND gpu_id = $2`,
    [trainerIp, gpuId, until, now],
  );
}

/** Whether a training of ours is still running (or being started) on these GPUs. */
export async function gpusHeldByLiveTraining(q: Queryable, trainerIp: string): Promise<Set<number>> {
  const { rows } = await q.query<{ gpu_id: number }>(
    `SELECT DISTINCT unnest(gpu_ids) AS gpu_id FROM tournament_task_hotkey_trainings
      WHERE trainer_ip = $1 AND (training_status = 'training' OR (training_status = 'pending' AND claimed_by IS NOT NULL))`,
    [trainerIp],
  );
  return new Set(rows.map((r) => r.gpu_id));
}
