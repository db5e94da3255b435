/**
 * The trainer: accepts start requests, clones the exact commit into a per-job folder, fetches inputs into the
 * read-only cache, runs the job on its executor, publishes the outputs and keeps the history the orchestrator polls.
 *
 * Fixes over the reference (tournament.md §5, §10): start is idempotent per (task_id, hotkey); GPUs of a running job
 * are never handed out twice (409); the deadline counts from the start of the run, not of the download; success is
 * recorded only after the upload finished; a trainer restart turns in-flight jobs into retryable failures and kills
 * what they left running instead of forgetting them.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock/index.ts';
import type { TrainerRules } from '../core/rules/trainer.ts';
import type { GpuInfo, TrainerProxyRequest, TrainerStartResponse, TrainerTaskLog } from '../core/models/trainer.ts';
import { TRAINING_STARTED_MESSAGE } from '../core/models/trainer.ts';
import { isImageTrainRequest } from '../core/models/payloads.ts';
import type { Logger } from '../log/index.ts';
import { KeyedMutex } from '../storage/mutex.ts';
import { taskTypeOf, trainingArgs } from './args.ts';
import type { Executor, PreparedJob, RunOutcome } from './executor.ts';
import { cloneAtCommit } from './git.ts';
import { busyGpuIds, checkGpuRequest, gpuAvailability, type GpuSpec } from './gpus.ts';
import { InputCache } from './inputs.ts';
import { collectOutputs, hubRepoId, publishOutputs } from './outputs.ts';
import type { DatasetFetcher, TrainerHub } from './ports.ts';
import { JobStore, type JobPhase, type JobRecord } from './store.ts';
import {
  RequestRefused,
  modelFolderName,
  parseBranch,
  parseCommit,
  parseExpectedRepoName,
  parseHotkey,
  parseRepoUrl,
  parseTaskId,
  type RepoPolicy,
  type RepoSource,
} from './validate.ts';

export interface TrainerLimits {
  cloneTimeoutMs: number;
  maxRepoBytes: number;
  maxDatasetBytes: number;
  maxModelBytes: number;
  downloadTimeoutMs: number;
  outputMaxBytes: number;
  outputMaxFiles: number;
  maxLogEntries: number;
  maxTailLines: number;
  /** The run budget is hours_to_complete × this many ms per hour (3.6e6; the devnet may shrink it). */
  msPerHour: number;
}

export interface TrainerServiceOptions {
  dataDir: string;
  executor: Executor;
  hub: TrainerHub;
  fetchDataset: DatasetFetcher;
  gpus: readonly GpuSpec[];
  repoPolicy: RepoPolicy;
  hubNamespace: string;
  limits: TrainerLimits;
  /** Per-job uids `uidBase + slot`, slot < slots; null runs jobs as the trainer's user (no user switch). */
  users: { uidBase: number; slots: number } | null;
  /** What a run that hits its deadline becomes: a failure (default) or, as the reference, a publish of what exists. */
  deadlinePolicy: 'fail' | 'publish-partial';
  rules: Pick<TrainerRules, 'staleTaskGraceSeconds' | 'cleanupIntervalSeconds' | 'cacheCleanupCutoffHours'>;
  clock: Clock;
  logger: Logger;
  /**
   * How long a stopped job (shutdown, stale-job cleanup) may take to return from its executor before it is recorded
   * as failed anyway and no longer waited for (default 10 s). Executors stop their own jobs at the deadline; this
   * bounds `close()` and the cleanup loop even when an executor does not.
   */
  stopGraceMs?: number;
}

const DEFAULT_STOP_GRACE_MS = 10_000;

export type StartResult =
  | { status: 200; body: TrainerStartResponse }
  | { status: 400 | 409; detail: string };

/** How a finished job ended (`/metrics`): its status, with deadline kills and stops told apart from other failures. */
export type JobOutcome = 'success' | 'failure' | 'timeout' | 'cancelled';

interface Running {
  controller: AbortController;
  done: Promise<void>;
  /** Why the trainer is stopping it: past its deadline plus the grace, or shutting down. */
  stopAs?: 'timeout' | 'cancelled';
}

const iso = (ms: number) => new Date(ms).toISOString();

export class TrainerService {
  private readonly running = new Map<string, Running>();
  private readonly startLock = new KeyedMutex();
  private readonly usedSlots = new Set<number>();
  /** Jobs being stopped (aborted, waiting out the stop grace): the stop in progress. */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly inputs: InputCache;
  private cleanupTimer: { cancel(): void } | null = null;
  private closed = false;
  private readonly finishedListeners = new Set<(outcome: JobOutcome) => void>();

  private constructor(
    private readonly options: TrainerServiceOptions,
    private readonly store: JobStore,
  ) {
    this.inputs = new InputCache(join(options.dataDir, 'cache'), options.hub, options.fetchDataset, {
      maxDatasetBytes: options.limits.maxDatasetBytes,
      maxModelBytes: options.limits.maxModelBytes,
      downloadTimeoutMs: options.limits.downloadTimeoutMs,
    });
  }

  /** Opens the history, turns jobs a dead trainer left `training` into retryable failures, and starts the cleanup loop. */
  static async open(options: TrainerServiceOptions): Promise<TrainerService> {
    await mkdir(options.dataDir, { recursive: true });
    await chmod(options.dataDir, 0o711);
    await mkdir(join(options.dataDir, 'jobs'), { recursive: true });
    await chmod(join(options.dataDir, 'jobs'), 0o711);
    const { store, corruptMovedTo } = await JobStore.open(join(options.dataDir, 'state.json'));
    if (corruptMovedTo) options.logger.error({ moved_to: corruptMovedTo }, 'trainer state file unreadable; moved aside, starting with an empty history');
    const service = new TrainerService(options, store);
    await service.inputs.init();
    await service.recover();
    service.scheduleCleanup();
    return service;
  }

  get executorKind(): string {
    return this.options.executor.kind;
  }

  isolation() {
    return this.options.executor.isolation();
  }

  private async recover(): Promise<void> {
    for (const job of this.store.active()) {
      if (job.handle) {
        try {
          await this.options.executor.recover(job.handle);
        } catch (error) {
          this.options.logger.error({ job_id: job.job_id, err: (error as Error).message }, 'could not clean up after a job of the previous trainer process');
        }
      }
      this.appendLog(job, `Trainer restarted while the job was ${job.phase}; marked failed so it can be retried.`);
      job.status = 'failure';
      job.phase = 'done';
      job.retryable = true;
      job.error = 'trainer restarted';
      job.finished_at = iso(this.options.clock.now());
      this.options.logger.warn({ task_id: job.request.training_data.task_id, hotkey: job.request.hotkey, job_id: job.job_id }, 'in-flight job of a previous trainer process marked failed (retryable)');
    }
    await this.store.persist();
  }

  // ---------------------------------------------------------------- queries

  gpuAvailability(): GpuInfo[] {
    return gpuAvailability(this.options.gpus, this.busy());
  }

  private busy(): Set<number> {
    return busyGpuIds(this.store.active().map((j) => ({ gpuIds: j.request.gpu_ids })));
  }

  task(taskId: string, hotkey: string): TrainerTaskLog | undefined {
    const job = this.store.get(taskId, hotkey);
    return job ? toTaskLog(job) : undefined;
  }

  job(taskId: string, hotkey: string): JobRecord | undefined {
    return this.store.get(taskId, hotkey);
  }

  /** Jobs started or finished within the last `hours`, newest first (by the later of the two). */
  recentTasks(hours: number): TrainerTaskLog[] {
    const cutoff = this.options.clock.now() - hours * 3_600_000;
    const t = (s: string | null) => (s ? Date.parse(s) : -Infinity);
    return this.store
      .all()
      .filter((j) => t(j.started_at) >= cutoff || t(j.finished_at) >= cutoff)
      .sort((a, b) => Math.max(t(b.started_at), t(b.finished_at)) - Math.max(t(a.started_at), t(a.finished_at)))
      .map(toTaskLog);
  }

  /** Jobs on record by status (`/metrics`). */
  jobCounts(): Record<'training' | 'success' | 'failure', number> {
    const counts = { training: 0, success: 0, failure: 0 };
    for (const j of this.store.all()) counts[j.status]++;
    return counts;
  }

  /**
   * Calls `listener` with the outcome of every job that ends from now on (jobs a previous process left running,
   * failed at open, are not reported); returns the unsubscribe.
   */
  onJobFinished(listener: (outcome: JobOutcome) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  /** Resolves when no job is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  // ---------------------------------------------------------------- start

  async start(request: TrainerProxyRequest): Promise<StartResult> {
    if (this.closed) return { status: 409, detail: 'trainer is shutting down' };
    const training = request.training_data;
    let taskId: string;
    let expectedRepoName: string;
    try {
      taskId = parseTaskId(training.task_id);
      parseHotkey(request.hotkey);
      expectedRepoName = parseExpectedRepoName(training.expected_repo_name);
      modelFolderName(training.model);
      if (!(training.hours_to_complete > 0) || !Number.isFinite(training.hours_to_complete)) throw new RequestRefused('hours_to_complete must be > 0');
    } catch (error) {
      if (error instanceof RequestRefused) return { status: 400, detail: error.message };
      throw error;
    }
    // Miner-controlled fields: refused without retry (HEAD's clone-failure reply), since retrying cannot help.
    let source: RepoSource;
    let commit: string;
    let branch: string | null;
    try {
      source = parseRepoUrl(request.github_repo, this.options.repoPolicy);
      commit = parseCommit(request.github_commit_hash);
      branch = parseBranch(request.github_branch);
    } catch (error) {
      if (!(error instanceof RequestRefused)) throw error;
      return { status: 200, body: { message: 'Invalid training repository', task_id: taskId, error: error.message, success: false, no_retry: true } };
    }

    const claimed = await this.startLock.run('start', async (): Promise<{ reply: StartResult } | { job: JobRecord }> => {
      const existing = this.store.get(taskId, request.hotkey);
      if (existing?.status === 'training') {
        // Idempotent: a retried start of a running job does not start a second run on the same GPUs.
        return { reply: { status: 200, body: { message: TRAINING_STARTED_MESSAGE, task_id: taskId } } };
      }
      const problem = checkGpuRequest(request.gpu_ids, this.options.gpus, this.busy());
      if (problem) return { reply: { status: problem.kind === 'busy' ? 409 : 400, detail: problem.message } };
      const slot = this.claimSlot();
      if (slot === undefined) return { reply: { status: 409, detail: 'no free job slot (every per-job user id is in use)' } };
      const attempt = (existing?.attempt ?? 0) + 1;
      const jobId = `${createHash('sha256').update(`${taskId}\0${request.hotkey}`).digest('hex').slice(0, 16)}-${attempt}`;
      const now = iso(this.options.clock.now());
      const job: JobRecord = {
        job_id: jobId,
        attempt,
        request,
        task_type: taskTypeOf(training),
        status: 'training',
        phase: 'cloning',
        started_at: now,
        finished_at: null,
        run_started_at: null,
        wandb_url: null,
        logs: [],
        output_tail: [],
        error: null,
        retryable: false,
        hub_repo: null,
        job_dir: join(this.options.dataDir, 'jobs', jobId),
        uid_slot: slot,
        handle: null,
      };
      this.appendLog(job, `Start request accepted (attempt ${attempt}) on GPUs ${request.gpu_ids.join(', ')}`);
      await this.store.put(job);
      return { job };
    });
    if ('reply' in claimed) return claimed.reply;
    const job = claimed.job;

    // The clone is part of the request (as in the original) so a bad repo or commit is answered at once.
    try {
      await rm(job.job_dir, { recursive: true, force: true });
      await mkdir(job.job_dir, { recursive: true, mode: 0o700 });
      await cloneAtCommit({
        source,
        commit,
        branch,
        dest: join(job.job_dir, 'repo'),
        timeoutMs: this.options.limits.cloneTimeoutMs,
        maxBytes: this.options.limits.maxRepoBytes,
      });
    } catch (error) {
      const message = (error as Error).message;
      await this.finish(job, 'failure', `Failed to clone repo: ${message}`, { error: message });
      return { status: 200, body: { message: 'Error cloning github repository', task_id: taskId, error: message, success: false, no_retry: true } };
    }
    this.appendLog(job, `Cloned ${source.url} at ${commit}`);
    await this.store.persist();

    const controller = new AbortController();
    const done = this.runJob(job, expectedRepoName, controller.signal)
      .catch(async (error: unknown) => {
        this.options.logger.error({ job_id: job.job_id, err: (error as Error).message }, 'job runner failed');
        if (job.status === 'training') await this.finish(job, 'failure', `[ERROR] Job failed: ${(error as Error).message}`, { error: (error as Error).message, retryable: true });
      })
      .finally(() => this.running.delete(job.job_id));
    this.running.set(job.job_id, { controller, done });
    return { status: 200, body: { message: TRAINING_STARTED_MESSAGE, task_id: taskId } };
  }

  private claimSlot(): number | null | undefined {
    if (!this.options.users) return null;
    for (let slot = 0; slot < this.options.users.slots; slot++) {
      if (!this.usedSlots.has(slot)) {
        this.usedSlots.add(slot);
        return slot;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- the job

  private async setPhase(job: JobRecord, phase: JobPhase, message: string): Promise<void> {
    job.phase = phase;
    this.appendLog(job, message);
    await this.store.persist();
  }

  private async runJob(job: JobRecord, expectedRepoName: string, signal: AbortSignal): Promise<void> {
    const training = job.request.training_data;
    const cacheDir = join(job.job_dir, 'cache');
    const checkpointsDir = join(job.job_dir, 'checkpoints');
    await this.setPhase(job, 'downloading', 'Downloading data');
    try {
      await this.inputs.prepare(training, cacheDir);
    } catch (error) {
      const message = (error as Error).message;
      await this.finish(job, 'failure', `[ERROR] Download failed | LastError: ${message}`, { error: message, retryable: true });
      return;
    }
    if (signal.aborted) return this.finish(job, 'failure', 'Stopped before training.', { error: 'stopped', retryable: true, outcome: this.stopOutcome(job) });
    await this.setPhase(job, 'building', 'Download completed successfully');

    const users = this.options.users;
    const prepared: PreparedJob = {
      jobId: job.job_id,
      taskId: training.task_id,
      hotkey: job.request.hotkey,
      taskType: job.task_type,
      isImage: isImageTrainRequest(training),
      model: training.model,
      expectedRepoName,
      gpuIds: job.request.gpu_ids,
      jobRoot: job.job_dir,
      repoDir: join(job.job_dir, 'repo'),
      cacheDir,
      checkpointsDir,
      outputDir: join(checkpointsDir, training.task_id, expectedRepoName),
      args: trainingArgs(training, expectedRepoName),
      runBudgetMs: training.hours_to_complete * this.options.limits.msPerHour,
      user: users && job.uid_slot !== null ? { uid: users.uidBase + job.uid_slot, gid: users.uidBase + job.uid_slot } : null,
      labels: { task_id: training.task_id, hotkey: job.request.hotkey, model: training.model, task_type: job.task_type, expected_repo: expectedRepoName },
    };
    const log = this.options.logger.child({ component: 'job', task_id: prepared.taskId, hotkey: prepared.hotkey, job_id: job.job_id });
    const outcome: RunOutcome = await this.options.executor.run(prepared, {
      signal,
      onLine: (stream, line) => {
        job.output_tail.push(stream === 'stdout' ? line : `[${stream}] ${line}`);
        if (job.output_tail.length > this.options.limits.maxTailLines) job.output_tail.splice(0, job.output_tail.length - this.options.limits.maxTailLines);
        log.debug({ stream }, line);
      },
      onHandle: async (handle) => {
        job.handle = handle;
        await this.store.persist();
      },
      onPhase: async (phase, message) => {
        if (phase === 'running') job.run_started_at = iso(this.options.clock.now());
        await this.setPhase(job, phase, message);
      },
    });

    if (job.status !== 'training') return; // given up after the stop grace: a late result publishes nothing
    const publishable = (outcome.kind === 'exited' && outcome.code === 0) || (outcome.kind === 'deadline' && this.options.deadlinePolicy === 'publish-partial');
    if (!publishable) {
      const [message, retryable] = describeFailure(outcome, signal.aborted);
      const ending = outcome.kind === 'deadline' ? 'timeout' : outcome.kind === 'exited' && signal.aborted ? this.stopOutcome(job) : 'failure';
      await this.finish(job, 'failure', message, { error: message, retryable, outcome: ending });
      return;
    }
    this.appendLog(job, outcome.kind === 'deadline' ? 'Deadline reached; publishing the outputs written so far.' : 'Training completed successfully.');
    await this.setPhase(job, 'publishing', `Publishing to ${hubRepoId({ namespace: this.options.hubNamespace, expectedRepoName })}`);
    try {
      const files = await collectOutputs(prepared.outputDir, { maxBytes: this.options.limits.outputMaxBytes, maxFiles: this.options.limits.outputMaxFiles });
      const { repoId, revision } = await publishOutputs(this.options.hub, files, {
        namespace: this.options.hubNamespace,
        expectedRepoName,
        taskId: prepared.taskId,
        isImage: prepared.isImage,
      });
      job.hub_repo = repoId;
      await this.finish(job, 'success', `Repo uploaded successfully (${repoId}@${revision.slice(0, 12)}, ${files.length} files).`, {});
    } catch (error) {
      const message = (error as Error).message;
      await this.finish(job, 'failure', `[ERROR] Upload failed | LastError: ${message}`, { error: message });
    }
  }

  private stopOutcome(job: JobRecord): 'timeout' | 'cancelled' {
    return this.running.get(job.job_id)?.stopAs ?? 'cancelled';
  }

  private async finish(job: JobRecord, status: 'success' | 'failure', message: string, extra: { error?: string; retryable?: boolean; outcome?: JobOutcome }): Promise<void> {
    // A job already ended (given up after the stop grace) keeps that end; its executor's late answer is dropped.
    if (job.status !== 'training') return;
    this.appendLog(job, message);
    job.status = status;
    job.phase = 'done';
    job.finished_at = iso(this.options.clock.now());
    job.error = extra.error ?? null;
    job.retryable = extra.retryable ?? false;
    if (job.uid_slot !== null) this.usedSlots.delete(job.uid_slot);
    // Listeners hear of the end as soon as the status says it (before the write below), so /metrics never lags
    // what the status route already shows.
    for (const listener of this.finishedListeners) {
      try {
        listener(extra.outcome ?? status);
      } catch {
        // A metrics listener must not fail the job's bookkeeping.
      }
    }
    await this.store.persist();
    this.options.logger.info({ task_id: job.request.training_data.task_id, hotkey: job.request.hotkey, status, error: job.error }, 'training job finished');
  }

  private appendLog(job: JobRecord, message: string): void {
    job.logs.push(`[${iso(this.options.clock.now())}] ${message}`);
    const max = this.options.limits.maxLogEntries;
    if (job.logs.length > max) job.logs.splice(1, job.logs.length - max);
  }

  // ---------------------------------------------------------------- cleanup and shutdown

  private scheduleCleanup(): void {
    const every = this.options.rules.cleanupIntervalSeconds * 1000;
    if (!(every > 0)) return;
    this.cleanupTimer = this.options.clock.setTimer(every, () => {
      void this.cleanupOnce().finally(() => {
        if (!this.closed) this.scheduleCleanup();
      });
    });
  }

  /**
   * Safety net behind the executors' own deadlines: a job past its run budget plus the grace is stopped; job folders
   * and cached datasets of jobs finished longer than the cut-off ago are deleted.
   */
  async cleanupOnce(): Promise<void> {
    const now = this.options.clock.now();
    const grace = this.options.rules.staleTaskGraceSeconds * 1000;
    for (const job of this.store.active()) {
      if (!job.run_started_at) continue;
      const end = Date.parse(job.run_started_at) + job.request.training_data.hours_to_complete * this.options.limits.msPerHour + grace;
      if (now > end && !this.stopping.has(job.job_id)) {
        this.appendLog(job, 'Job exceeded its deadline plus grace; stopping it.');
        void this.stopJob(job.job_id, 'Job did not stop after its deadline plus grace; recorded as failed, no longer waited for.', 'timeout');
      }
    }
    const cutoff = now - this.options.rules.cacheCleanupCutoffHours * 3_600_000;
    const old = this.store.all().filter((j) => j.status !== 'training' && j.finished_at && Date.parse(j.finished_at) < cutoff);
    for (const job of old) await rm(job.job_dir, { recursive: true, force: true });
    const stillUsed = new Set(this.store.all().filter((j) => !old.includes(j)).map((j) => j.request.training_data.task_id));
    await this.inputs.dropDatasets(old.map((j) => j.request.training_data.task_id).filter((id) => !stillUsed.has(id)));
  }

  /**
   * Aborts a running job and waits for its executor at most the stop grace; a job that has not returned by then is
   * recorded as a retryable failure and forgotten (its late result is ignored: `finish` only ends a job once).
   */
  private stopJob(jobId: string, reason: string, as: 'timeout' | 'cancelled'): Promise<void> {
    const running = this.running.get(jobId);
    if (!running) return Promise.resolve();
    running.stopAs ??= as;
    let stop = this.stopping.get(jobId);
    if (!stop) {
      stop = this.stopWithin(jobId, running, reason).finally(() => this.stopping.delete(jobId));
      this.stopping.set(jobId, stop);
    }
    return stop;
  }

  private async stopWithin(jobId: string, running: Running, reason: string): Promise<void> {
    running.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      running.done.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (!late) return;
    this.running.delete(jobId);
    const job = this.store.byJobId(jobId);
    if (job?.status === 'training') {
      this.options.logger.error({ job_id: jobId }, 'job did not stop within the grace; recorded as failed');
      await this.finish(job, 'failure', reason, { error: reason, retryable: true, outcome: running.stopAs ?? 'cancelled' });
    }
  }

  /** Stops the cleanup loop and every running job (they end as retryable failures); never waits past the stop grace. */
  async close(): Promise<void> {
    this.closed = true;
    this.cleanupTimer?.cancel();
    await Promise.all([...this.running.keys()].map((id) => this.stopJob(id, 'Trainer shut down and the job did not stop within the grace; recorded as failed.', 'cancelled')));
    await this.store.persist();
  }
}

function describeFailure(outcome: RunOutcome, aborted: boolean): [string, boolean] {
  switch (outcome.kind) {
    case 'deadline':
      return [`Training exceeded its deadline (hours_to_complete)${outcome.during && outcome.during !== 'running' ? ` while ${outcome.during}` : ''}; the job was killed.`, false];
    case 'output_limit':
      return [`Output folder exceeded its size limit (${outcome.bytes} bytes); the job was killed.`, false];
    case 'memory':
      return ['Training exceeded its memory limit; the job was killed.', false];
    case 'start_failed':
      return [`[ERROR] Could not start training | LastError: ${outcome.error}`, false];
    case 'exited':
      if (aborted) return ['Job stopped by the trainer (shutdown or stale-job cleanup).', true];
      return [`[ERROR] Training failed | ExitCode: ${outcome.code ?? outcome.signal} | LastError: ${outcome.lastError ?? 'none'}`, false];
  }
}

export function toTaskLog(job: JobRecord): TrainerTaskLog {
  return {
    ...job.request,
    status: job.status,
    started_at: job.started_at,
    finished_at: job.finished_at,
    wandb_url: job.wandb_url,
    logs: [...job.logs],
  };
}
