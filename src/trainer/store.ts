/**
 * The trainer's job history, one record per (task_id, hotkey) as in the original's `task_history.json`, persisted
 * after every change (write to a temp file, fsync, rename) so a crash never leaves a half-written file. Loading
 * validates every record; a record still `training` when the file is loaded belongs to a trainer that died, and the
 * service turns it into a retryable failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { taskTypeSchema } from '../core/enums.ts';
import { trainerProxyRequestSchema } from '../core/models/trainer.ts';

export const JOB_PHASES = ['queued', 'cloning', 'downloading', 'building', 'running', 'publishing', 'done'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export const jobHandleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), cgroupDirs: z.array(z.string()), pid: z.number().int().nullable(), uid: z.number().int().nullable() }),
  z.object({ kind: z.literal('docker'), containerId: z.string().nullable(), imageTag: z.string().nullable() }),
  z.object({ kind: z.literal('kubernetes'), namespace: z.string(), jobName: z.string() }),
]);
export type JobHandle = z.infer<typeof jobHandleSchema>;

export const jobRecordSchema = z.object({
  job_id: z.string(),
  attempt: z.number().int().min(1),
  request: trainerProxyRequestSchema,
  task_type: taskTypeSchema,
  status: z.enum(['training', 'success', 'failure']),
  phase: z.enum(JOB_PHASES),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  /** When the training run itself began (the deadline counts from here, not from the download). */
  run_started_at: z.string().nullable(),
  wandb_url: z.string().nullable(),
  logs: z.array(z.string()),
  output_tail: z.array(z.string()),
  error: z.string().nullable(),
  /** A failure the orchestrator may retry (trainer restart, infrastructure) rather than the miner's fault. */
  retryable: z.boolean(),
  hub_repo: z.string().nullable(),
  job_dir: z.string(),
  uid_slot: z.number().int().nullable(),
  handle: jobHandleSchema.nullable(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

const stateSchema = z.object({ version: z.literal(1), jobs: z.array(jobRecordSchema) });

export const jobKey = (taskId: string, hotkey: string): string => `${taskId}\u0000${hotkey}`;

export interface StoreLoad {
  store: JobStore;
  /** Set when the file existed but could not be read as a state file (it was moved aside). */
  corruptMovedTo: string | null;
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<StoreLoad> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
    const store = new JobStore(path);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let corruptMovedTo: string | null = null;
    if (text !== null) {
      let parsed: ReturnType<typeof stateSchema.safeParse> | null = null;
      try {
        parsed = stateSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (parsed?.success) for (const job of parsed.data.jobs) store.jobs.set(jobKey(job.request.training_data.task_id, job.request.hotkey), job);
      else {
        corruptMovedTo = `${path}.corrupt-${Date.now()}`;
        await rename(path, corruptMovedTo);
      }
    }
    return { store, corruptMovedTo };
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  get(taskId: string, hotkey: string): JobRecord | undefined {
    return this.jobs.get(jobKey(taskId, hotkey));
  }

  byJobId(jobId: string): JobRecord | undefined {
    for (const job of this.jobs.values()) if (job.job_id === jobId) return job;
    return undefined;
  }

  active(): JobRecord[] {
    return this.all().filter((j) => j.status === 'training');
  }

  /** Inserts or replaces the record of the job's (task_id, hotkey) and persists. */
  async put(job: JobRecord): Promise<void> {
    this.jobs.set(jobKey(job.request.training_data.task_id, job.request.hotkey), job);
    await this.persist();
  }

  /** Changes a job in place (if it is still the current record for its key) and persists. */
  async update(jobId: string, change: (job: JobRecord) => void): Promise<JobRecord | undefined> {
    const job = this.byJobId(jobId);
    if (!job) return undefined;
    change(job);
    await this.persist();
    return job;
  }

  async remove(jobId: string): Promise<void> {
    const job = this.byJobId(jobId);
    if (!job) return;
    this.jobs.delete(jobKey(job.request.training_data.task_id, job.request.hotkey));
    await this.persist();
  }

  /** Writes are serialised; each writes the state as it is when its turn comes. */
  persist(): Promise<void> {
    const next = this.writing.then(() => this.writeNow());
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeNow(): Promise<void> {
    const text = JSON.stringify({ version: 1, jobs: this.all() }, null, 1);
    const tmp = join(dirname(this.path), `.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}
