/**
 * The orchestrator (tournament spec §4): puts each (task, hotkey) training of a tournament task on trainer GPUs and
 * hands the task to evaluation when every training has ended.
 *
 * - `fetchPass`: tournament tasks looking for nodes → one pending training per assigned hotkey (with the repo it
 *   entered this tournament with) and the task → training, in one transaction per task.
 * - `schedulePass`: pending trainings, highest priority and oldest first → GPUs booked (one conditional UPDATE, all
 *   or none), placement recorded, start_training sent. At most `maxTrainingAttempts` starts per training.
 * - `monitorPass`: running trainings → the trainer that runs them is asked; success, failure (retry), lost (retry) or
 *   past its deadline (retry).
 * - `handOffPass`: tasks whose trainings have all ended → preevaluation. A training's `success` means its trainer
 *   has published the outputs to `<hub namespace>/<expected_repo_name>`, which the validator's evaluation reads.
 * - `gpuSyncPass`: the database's GPU view is corrected from each trainer's, in both directions.
 *
 * A start survives a crash: the placement is written before the call, so a restarted orchestrator first asks that
 * trainer whether it already runs the job and adopts it instead of starting it twice.
 */
import type { GpuInfo, TrainerProxyRequest, TrainerTaskLog } from '../core/models/trainer.ts';
import { getTask, setTaskStatus } from '../db/queries/tasks.ts';
import {
  bookGpus,
  claimTraining,
  freeGpusOf,
  gpusHeldByLiveTraining,
  insertTrainings,
  listGpus,
  listTrainerIps,
  lockTaskAwaitingTrainings,
  recordPlacement,
  replaceTrainer,
  setGpuUsedUntil,
  tasksWithTrainingsDone,
  trainingStatsRows,
  updateClaimedTraining,
  type TrainingRow,
} from '../db/queries/tournament-training.ts';
import type { TrainingStats } from '../core/models/trainer.ts';
import { TaskTransitionError } from '../core/task-status.ts';
import { TaskClaimError } from '../db/queries/tasks.ts';
import { pythonJsonDumps } from '../net/python-json.ts';
import { parseCommit, parseRepoUrl } from '../trainer/validate.ts';
import { modelParamsFor, trainRequestFor } from '../validator/training/requests.ts';
import { errorText, nowOf, type TournamentContext } from './context.ts';
import { TrainerHttpError, TrainerUnreachable } from './ports.ts';
import { gpuNeed, gpuRequirement, pickGpus } from './structure.ts';

function at(ctx: TournamentContext, seconds: number): Date {
  return new Date(ctx.clock.now() + seconds * 1000);
}

// ---------------------------------------------------------------- fetch (§4.1)

/** Creates the trainings of every tournament task waiting for them; returns how many tasks moved to training. */
export async function fetchPass(ctx: TournamentContext): Promise<number> {
  let moved = 0;
  for (;;) {
    const now = nowOf(ctx);
    const taskId = await ctx.db.transaction(async (tx) => {
      const row = await lockTaskAwaitingTrainings(tx);
      if (!row) return null;
      const n = await insertTrainings(tx, row.task_id, ctx.netuid, ctx.rules.tournamentPriority, now);
      await setTaskStatus(tx, row.task_id, 'training', { expectedFrom: 'looking_for_nodes', now, actor: 'tournament-orchestrator', detail: { trainings: n } });
      return row.task_id;
    });
    if (!taskId) return moved;
    moved++;
    ctx.log.info({ task_id: taskId }, 'tournament task handed to the trainers');
  }
}

// ---------------------------------------------------------------- schedule (§4.2)

function trainingLog(ctx: TournamentContext, row: Pick<TrainingRow, 'task_id' | 'hotkey'>) {
  return ctx.log.child({ task_id: row.task_id, hotkey: row.hotkey });
}

/** Ends a claimed training's current attempt as failed: retried while attempts remain, else failure. */
async function failAttempt(ctx: TournamentContext, row: TrainingRow, from: 'pending' | 'training', error: string, countAttempt: boolean): Promise<void> {
  const now = nowOf(ctx);
  await freeGpusOf(ctx.db, row.task_id, row.hotkey, now);
  const attempts = row.n_training_attempts + (countAttempt ? 1 : 0);
  const final = attempts >= ctx.rules.maxTrainingAttempts;
  await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, from, {
    status: final ? 'failure' : 'pending',
    countAttempt,
    trainerIp: null,
    gpuIds: null,
    lastError: error,
    nextAttemptAt: now,
    now,
  });
  trainingLog(ctx, row).warn({ attempts, final, err: error }, final ? 'training failed' : 'training attempt failed; will retry');
}

async function failTraining(ctx: TournamentContext, row: TrainingRow, error: string): Promise<void> {
  const now = nowOf(ctx);
  await freeGpusOf(ctx.db, row.task_id, row.hotkey, now);
  await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'pending', { status: 'failure', trainerIp: null, gpuIds: null, lastError: error, nextAttemptAt: now, now });
  trainingLog(ctx, row).warn({ err: error }, 'training failed');
}

async function markStarted(ctx: TournamentContext, row: TrainingRow, hours: number, trainerIp: string, gpuIds: readonly number[]): Promise<void> {
  const now = nowOf(ctx);
  await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'pending', {
    status: 'training',
    countAttempt: true,
    startFailures: 0,
    trainerIp,
    gpuIds: [...gpuIds],
    startedAt: now,
    deadlineAt: new Date(now.getTime() + hours * 3_600_000 + ctx.rules.trainingGraceSeconds * 1000),
    lastError: null,
    nextAttemptAt: now,
    now,
  });
  trainingLog(ctx, row).info({ trainer_ip: trainerIp, gpu_ids: gpuIds, attempt: row.n_training_attempts + 1 }, 'training started');
}

async function askTrainer(ctx: TournamentContext, trainerIp: string, row: Pick<TrainingRow, 'task_id' | 'hotkey'>): Promise<TrainerTaskLog | null | 'unreachable'> {
  try {
    return await ctx.trainers.taskDetails(trainerIp, row.task_id, row.hotkey);
  } catch (err) {
    if (err instanceof TrainerUnreachable || err instanceof TrainerHttpError) return 'unreachable';
    throw err;
  }
}

/** Starts (or adopts) one claimed pending training. */
async function scheduleOne(ctx: TournamentContext, row: TrainingRow): Promise<void> {
  const log = trainingLog(ctx, row);
  const task = await getTask(ctx.db, row.task_id);
  if (!task) return failTraining(ctx, row, 'the task no longer exists');
  const hours = task.hours_to_complete;
  // A start whose reply we never recorded (crash): the trainer may already run the job.
  if (row.trainer_ip && row.gpu_ids) {
    const known = await askTrainer(ctx, row.trainer_ip, row);
    if (known !== 'unreachable' && known !== null && (known.status === 'training' || known.status === 'success')) {
      log.info({ trainer_ip: row.trainer_ip }, 'adopting a training the trainer already runs');
      return markStarted(ctx, row, hours, row.trainer_ip, row.gpu_ids);
    }
    await freeGpusOf(ctx.db, row.task_id, row.hotkey, nowOf(ctx));
  }
  if (row.n_training_attempts >= ctx.rules.maxTrainingAttempts) return failTraining(ctx, row, `no attempts left (${row.n_training_attempts})`);
  if (!row.training_repo) return failTraining(ctx, row, 'no training repository for this hotkey');
  let repo: string;
  let commit: string;
  try {
    const source = parseRepoUrl(row.training_repo, ctx.repoPolicy);
    repo = source.kind === 'local' ? row.training_repo : source.url;
    commit = parseCommit(row.training_commit_hash);
  } catch (err) {
    return failTraining(ctx, row, `training repository refused: ${errorText(err)}`);
  }
  const params = await modelParamsFor(task, undefined);
  const need = gpuNeed(gpuRequirement(task.task_type, params, ctx.rules), ctx.rules);
  const now = nowOf(ctx);
  const free = (await listGpus(ctx.db))
    .filter((g) => g.used_until === null || g.used_until.getTime() < now.getTime())
    .map((g) => ({ trainerIp: g.trainer_ip, gpuId: g.gpu_id, gpuType: g.gpu_type }));
  const pick = pickGpus(free, need);
  if (!pick) {
    await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'pending', { trainerIp: null, gpuIds: null, nextAttemptAt: at(ctx, ctx.rules.trainingStartRetrySeconds), now });
    log.debug({ need }, 'no free GPUs for this training yet');
    return;
  }
  const until = new Date(now.getTime() + hours * 3_600_000 + ctx.rules.trainingGraceSeconds * 1000);
  const booked = await ctx.db
    .transaction(async (tx) => {
      const n = await bookGpus(tx, pick.trainerIp, pick.gpuIds, { taskId: row.task_id, hotkey: row.hotkey, until, now });
      if (n !== pick.gpuIds.length) throw new GpusTaken();
      if (!(await recordPlacement(tx, row.task_id, row.hotkey, ctx.worker, pick.trainerIp, pick.gpuIds))) throw new GpusTaken();
      return true;
    })
    .catch((err) => {
      if (err instanceof GpusTaken) return false;
      throw err;
    });
  if (!booked) {
    await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'pending', { nextAttemptAt: now, now });
    return;
  }
  const assignment = await ctx.db.query<{ expected_repo_name: string | null }>(
    'SELECT expected_repo_name FROM task_nodes WHERE task_id = $1 AND hotkey = $2 AND netuid = $3',
    [row.task_id, row.hotkey, ctx.netuid],
  );
  const expected = assignment.rows[0]?.expected_repo_name;
  if (!expected) return failTraining(ctx, row, 'the assignment has no expected repo name');
  const request = {
    // Plain JSON (the request builder wraps floats for Python-exact miner bodies).
    training_data: JSON.parse(pythonJsonDumps(trainRequestFor(task, expected).body)) as unknown,
    github_repo: repo,
    gpu_ids: pick.gpuIds,
    hotkey: row.hotkey,
    github_branch: null,
    github_commit_hash: commit,
  } as unknown as TrainerProxyRequest;
  const outcome = await ctx.trainers.startTraining(pick.trainerIp, request);
  if (outcome.kind === 'started') return markStarted(ctx, row, hours, pick.trainerIp, pick.gpuIds);
  await freeGpusOf(ctx.db, row.task_id, row.hotkey, nowOf(ctx));
  const failures = row.start_failures + 1;
  if (!outcome.retry || failures >= ctx.rules.startFailuresBeforeFailure) {
    return failTraining(ctx, row, `start refused: ${outcome.error}`);
  }
  await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'pending', {
    startFailures: failures,
    trainerIp: null,
    gpuIds: null,
    lastError: outcome.error,
    nextAttemptAt: at(ctx, ctx.rules.trainingStartRetrySeconds),
    now: nowOf(ctx),
  });
  log.warn({ trainer_ip: pick.trainerIp, failures, err: outcome.error }, 'trainer refused the start; will retry');
}

class GpusTaken extends Error {}

/** Starts every due pending training that finds GPUs; returns how many were claimed. */
export async function schedulePass(ctx: TournamentContext): Promise<number> {
  let claimed = 0;
  for (;;) {
    const row = await claimTraining(ctx.db, { status: 'pending', worker: ctx.worker, leaseMs: ctx.rules.trainingLeaseSeconds * 1000, now: nowOf(ctx) });
    if (!row) return claimed;
    claimed++;
    try {
      await scheduleOne(ctx, row);
    } catch (err) {
      trainingLog(ctx, row).error({ err: errorText(err) }, 'scheduling a training failed; the claim runs out and it is retried');
    }
  }
}

// ---------------------------------------------------------------- monitor (§4.4)

async function monitorOne(ctx: TournamentContext, row: TrainingRow): Promise<void> {
  const now = nowOf(ctx);
  const overdue = row.deadline_at !== null && now.getTime() > row.deadline_at.getTime();
  const answer = row.trainer_ip ? await askTrainer(ctx, row.trainer_ip, row) : null;
  if (answer === 'unreachable') {
    if (overdue) return failAttempt(ctx, row, 'training', 'the trainer was unreachable past the deadline', false);
    await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'training', { nextAttemptAt: at(ctx, ctx.rules.loopIntervalSeconds), now });
    return;
  }
  if (answer === null) return failAttempt(ctx, row, 'training', 'the trainer does not know this training', false);
  if (answer.status === 'success') {
    await freeGpusOf(ctx.db, row.task_id, row.hotkey, now);
    await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'training', { status: 'success', lastError: null, nextAttemptAt: now, now });
    trainingLog(ctx, row).info('training succeeded; outputs published');
    return;
  }
  if (answer.status === 'failure') return failAttempt(ctx, row, 'training', lastLine(answer) ?? 'the trainer reports failure', false);
  if (overdue) return failAttempt(ctx, row, 'training', 'the training ran past its deadline', false);
  await updateClaimedTraining(ctx.db, row.task_id, row.hotkey, ctx.worker, 'training', { nextAttemptAt: at(ctx, ctx.rules.loopIntervalSeconds), now });
}

function lastLine(log: TrainerTaskLog): string | null {
  const lines = log.logs ?? [];
  return lines.length > 0 ? lines[lines.length - 1]! : null;
}

/** Polls every due running training; returns how many were polled. */
export async function monitorPass(ctx: TournamentContext): Promise<number> {
  let polled = 0;
  for (;;) {
    const row = await claimTraining(ctx.db, { status: 'training', worker: ctx.worker, leaseMs: ctx.rules.trainingLeaseSeconds * 1000, now: nowOf(ctx) });
    if (!row) return polled;
    polled++;
    try {
      await monitorOne(ctx, row);
    } catch (err) {
      trainingLog(ctx, row).error({ err: errorText(err) }, 'monitoring a training failed');
    }
  }
}

// ---------------------------------------------------------------- hand-off (§4.5)

/** Moves tournament tasks whose trainings have all ended to preevaluation; returns how many. */
export async function handOffPass(ctx: TournamentContext): Promise<number> {
  const now = nowOf(ctx);
  const since = new Date(now.getTime() - ctx.rules.moveToEvalLookbackDays * 86_400_000);
  let moved = 0;
  for (const taskId of await tasksWithTrainingsDone(ctx.db, since)) {
    try {
      await setTaskStatus(ctx.db, taskId, 'preevaluation', { expectedFrom: 'training', now, actor: 'tournament-orchestrator' });
      moved++;
      ctx.log.info({ task_id: taskId }, 'trainings done; task waits for evaluation');
    } catch (err) {
      if (!(err instanceof TaskTransitionError || err instanceof TaskClaimError)) throw err;
    }
  }
  return moved;
}

// ---------------------------------------------------------------- GPUs and trainers (§4.3, §7.2)

/**
 * Corrects the database's GPU view from each trainer: a GPU the trainer reports free, held by none of our running
 * trainings, is freed; one it reports busy while we have it free is booked for a while (the original only ever
 * corrected towards free, so two jobs could share GPUs). An unreachable trainer's free GPUs are booked for a while.
 */
export async function gpuSyncPass(ctx: TournamentContext): Promise<void> {
  const now = nowOf(ctx);
  const gpus = await listGpus(ctx.db);
  for (const ip of await listTrainerIps(ctx.db)) {
    const mine = gpus.filter((g) => g.trainer_ip === ip);
    let reported: GpuInfo[];
    try {
      reported = await ctx.trainers.gpuAvailability(ip);
    } catch (err) {
      ctx.log.warn({ trainer_ip: ip, err: errorText(err) }, 'trainer unreachable; its GPUs are held');
      for (const g of mine) {
        if (g.used_until === null || g.used_until.getTime() < now.getTime()) await setGpuUsedUntil(ctx.db, ip, g.gpu_id, at(ctx, ctx.rules.unreachableTrainerHoldSeconds), now);
      }
      continue;
    }
    const live = await gpusHeldByLiveTraining(ctx.db, ip);
    for (const r of reported) {
      const g = mine.find((x) => x.gpu_id === r.gpu_id);
      if (!g) continue;
      const busyInDb = g.used_until !== null && g.used_until.getTime() >= now.getTime();
      if (r.available && busyInDb && !live.has(g.gpu_id)) await setGpuUsedUntil(ctx.db, ip, g.gpu_id, null, now);
      else if (!r.available && !busyInDb) await setGpuUsedUntil(ctx.db, ip, g.gpu_id, at(ctx, ctx.rules.trainerBusyHoldSeconds), now);
    }
  }
}

export class TrainerRegistrationError extends Error {
  override readonly name = 'TrainerRegistrationError';
  constructor(
    readonly status: 502 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** `add_trainer`: asks the trainer for its GPUs and replaces its rows (a busy GPU is booked for 48 h). */
export async function registerTrainer(ctx: TournamentContext, trainerIp: string): Promise<GpuInfo[]> {
  let gpus: GpuInfo[];
  try {
    gpus = await ctx.trainers.gpuAvailability(trainerIp);
  } catch (err) {
    if (err instanceof TrainerUnreachable) throw new TrainerRegistrationError(503, `trainer ${trainerIp} is unreachable: ${err.message}`);
    if (err instanceof TrainerHttpError) throw new TrainerRegistrationError(502, `trainer ${trainerIp} answered with an error: ${err.message}`);
    throw err;
  }
  const now = nowOf(ctx);
  await ctx.db.transaction((tx) =>
    replaceTrainer(
      tx,
      trainerIp,
      gpus.map((g) => ({ gpuId: g.gpu_id, gpuType: g.gpu_type, vramGb: g.vram_gb, usedUntil: g.available ? null : at(ctx, ctx.rules.registerBusyGpuHours * 3600) })),
      now,
    ),
  );
  ctx.log.info({ trainer_ip: trainerIp, gpus: gpus.length }, 'trainer registered');
  return gpus;
}

/** `training_stats`: counts per status; avg_attempts is the largest per-status average, as the original reports it. */
export async function trainingStats(ctx: Pick<TournamentContext, 'db'>): Promise<TrainingStats> {
  const rows = await trainingStatsRows(ctx.db);
  const count = (s: string) => rows.find((r) => r.training_status === s)?.n ?? 0;
  const out: TrainingStats = {
    total_pairs: rows.reduce((a, r) => a + r.n, 0),
    pending: count('pending'),
    success: count('success'),
    failure: count('failure'),
    avg_attempts: rows.reduce((a, r) => Math.max(a, r.avg_attempts ?? 0), 0),
    max_attempts: rows.reduce((a, r) => Math.max(a, r.max_attempts ?? 0), 0),
  };
  if (count('training') > 0) out.training = count('training');
  return out;
}
