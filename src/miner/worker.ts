/**
 * The miner's training worker: claims queued jobs from the database (at most `concurrentJobs` at a time), runs
 * each through the training backend, hashes what landed on the hub and records the submission. State lives in
 * `miner_jobs`, so a restart loses nothing: jobs a dead process was running are re-queued (up to
 * `jobMaxAttempts` starts), queued ones simply wait. A job still running at its deadline is aborted and failed.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type Timer } from '../clock/index.ts';
import type { MinerRules } from '../core/rules/miner.ts';
import {
  claimMinerJob,
  completeMinerJob,
  failMinerJob,
  recoverMinerJobs,
  setMinerJobProgress,
  type MinerJobRow,
} from '../db/queries/miner-jobs.ts';
import type { Queryable } from '../db/types.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { TrainingBackend, TrainingProgress } from './backends/types.ts';
import { parseStoredJob } from './jobs.ts';
import { calculateModelHash } from './model-hash.ts';
import type { MinerModelHub } from './ports.ts';

export interface MinerWorkerOptions {
  readonly db: Queryable;
  readonly backend: TrainingBackend;
  readonly hub: MinerModelHub;
  readonly rules: Pick<MinerRules, 'concurrentJobs' | 'jobMaxAttempts' | 'pollSeconds'>;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Identifies this process's claims; a fresh one per start, so a restart recognises its predecessor's. */
  readonly workerId?: string;
}

class Shutdown extends Error {
  constructor() {
    super('the miner is shutting down');
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class MinerWorker {
  readonly id: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: MinerWorkerOptions) {
    this.id = options.workerId ?? `miner-worker-${randomUUID()}`;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
  }

  /** Re-queues the jobs of a previous process, then polls for work until `stop()`. */
  async start(): Promise<{ requeued: number; failed: number }> {
    const recovered = await recoverMinerJobs(this.options.db, this.id, this.options.rules.jobMaxAttempts, this.clock.date());
    if (recovered.requeued + recovered.failed > 0) this.log.info(recovered, 'recovered jobs of a previous run');
    this.loop = this.run();
    return recovered;
  }

  /** Asks the loop to look for work now (after a job was queued). */
  poke(): void {
    this.wake?.();
  }

  /** Claims and starts as many queued jobs as the concurrency limit allows; returns how many were started. */
  async claimAvailable(): Promise<number> {
    let started = 0;
    while (!this.stopping && this.active.size < this.options.rules.concurrentJobs) {
      const row = await claimMinerJob(this.options.db, this.id, this.options.rules.concurrentJobs, this.clock.date());
      if (row === null) break;
      const controller = new AbortController();
      const done = this.runJob(row, controller).finally(() => {
        this.active.delete(row.task_id);
        this.poke();
      });
      this.active.set(row.task_id, { controller, done });
      started++;
    }
    return started;
  }

  /** Resolves when no job is running. */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((a) => a.done));
  }

  get runningJobs(): string[] {
    return [...this.active.keys()];
  }

  /** Stops claiming, aborts running jobs (they stay `running` and are re-queued by the next start) and waits. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    for (const a of this.active.values()) a.controller.abort(new Shutdown());
    await this.idle();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.claimAvailable();
      } catch (err) {
        this.log.error({ err }, 'claiming a job failed');
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimer(this.options.rules.pollSeconds * 1000, () => resolve());
        this.wake = () => {
          timer.cancel();
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async runJob(row: MinerJobRow, controller: AbortController): Promise<void> {
    const { db, backend, hub } = this.options;
    const log = this.log.child({ task_id: row.task_id, backend: backend.name });
    const fail = async (error: string) => {
      log.warn({ error }, 'job failed');
      await failMinerJob(db, row.task_id, this.id, error, this.clock.date());
    };
    let deadlineTimer: Timer | null = null;
    try {
      const job = parseStoredJob(row.job);
      if (this.clock.now() >= row.deadline_at.getTime()) return await fail('the deadline passed before training started');
      deadlineTimer = this.clock.setTimerAt(row.deadline_at.getTime(), () => controller.abort(new Error('the deadline passed during training')));
      log.info({ attempt: row.attempts, repo: job.repo }, 'training started');
      let lastProgress: Promise<void> = Promise.resolve();
      const outcome = await backend.train(job, {
        signal: controller.signal,
        deadline: row.deadline_at,
        hub,
        log,
        reportProgress: (progress: TrainingProgress) => {
          lastProgress = lastProgress.then(() => setMinerJobProgress(db, row.task_id, this.id, progress)).catch((err) => log.warn({ err }, 'progress not stored'));
        },
      });
      await lastProgress;
      if (controller.signal.aborted) throw controller.signal.reason;
      const files = await hub.snapshot(outcome.repo);
      if (files === null) return await fail(`training finished but ${outcome.repo} does not exist on the hub`);
      const hash = calculateModelHash(files);
      await completeMinerJob(db, row.task_id, this.id, outcome.repo, hash, this.clock.date());
      log.info({ repo: outcome.repo, model_hash: hash }, 'job completed');
    } catch (err) {
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      // On shutdown the row stays `running`; the next start re-queues it.
      if (reason instanceof Shutdown) log.info('job interrupted by shutdown');
      else await fail(messageOf(reason));
    } finally {
      deadlineTimer?.cancel();
    }
  }
}
