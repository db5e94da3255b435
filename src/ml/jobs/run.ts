// Training and evaluation in worker processes: the parent forks worker.ts (TypeScript through tsx), hands it the
// spec, relays its progress events, and turns its answer into a promise. Cancellation (an AbortSignal) asks the
// worker to stop after its current step — its best checkpoint is already on disk — and kills it if it has not
// answered within `graceMs`; the deadline is enforced inside the worker (it stops early enough to evaluate and
// save) and, as a backstop, by killing it `graceMs` after the deadline.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EvaluationJobSpec, JobEvent, TrainingJobSpec, TrainingResult } from './spec.ts';
import { evaluationJobSpecSchema, parseSpec, trainingJobSpecSchema } from './spec.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class JobError extends Error {
  override readonly name = 'JobError';
}

export interface TrainingJobOptions {
  onProgress?: (e: JobEvent) => void;
  signal?: AbortSignal;
  /** epoch ms (number) or Date by which the best checkpoint must be saved */
  deadline?: number | Date | null;
  /** how long a cancelled or overdue worker gets before it is killed (default 10 s) */
  graceMs?: number;
}

function spawnWorker(): ChildProcess {
  return fork(WORKER, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
}

function runJob<T>(message: Record<string, unknown>, opts: TrainingJobOptions, onKilled: (why: 'cancelled' | 'deadline') => T | null): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawnWorker();
    const grace = opts.graceMs ?? 10_000;
    let settled = false;
    let killTimer: NodeJS.Timeout | null = null;
    let killedFor: 'cancelled' | 'deadline' | null = null;
    const timers: NodeJS.Timeout[] = [];
    const cancelFile = join(tmpdir(), `god-ml-cancel-${process.pid}-${randomBytes(6).toString('hex')}`);
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      rmSync(cancelFile, { force: true });
      for (const t of timers) clearTimeout(t);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const killAfter = (why: 'cancelled' | 'deadline', ms: number): void => {
      if (killTimer) return;
      killTimer = setTimeout(() => {
        killedFor = why;
        child.kill('SIGKILL');
      }, ms);
    };
    const onAbort = (): void => {
      if (settled) return;
      writeFileSync(cancelFile, '');
      killAfter('cancelled', grace);
    };
    child.on('message', (msg: { kind: string; event?: JobEvent; result?: T; message?: string }) => {
      if (msg.kind === 'event' && msg.event) opts.onProgress?.(msg.event);
      else if (msg.kind === 'result') finish(() => resolve(msg.result as T));
      else if (msg.kind === 'error') finish(() => reject(new JobError(msg.message ?? 'job failed')));
    });
    child.on('error', (err) => finish(() => reject(new JobError(`worker: ${err.message}`))));
    child.on('exit', (code, sig) => {
      finish(() => {
        const fallback = killedFor ? onKilled(killedFor) : null;
        if (fallback !== null) resolve(fallback);
        else reject(new JobError(killedFor ? `job ${killedFor === 'cancelled' ? 'cancelled' : 'passed its deadline'} and was killed` : `worker exited (code ${code}, signal ${sig}) without an answer`));
      });
    });
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = opts.deadline instanceof Date ? opts.deadline.getTime() : opts.deadline ?? null;
    if (deadline !== null) timers.push(setTimeout(() => killAfter('deadline', 0), Math.max(0, deadline - Date.now() + grace)));
    child.send({ ...message, deadline, cancelFile });
  });
}

/**
 * Trains in a worker process. Resolves with the result (status completed, deadline or cancelled; the best
 * checkpoint is in `spec.outputDir`); rejects on invalid specs and failures. A worker killed after the grace
 * period resolves with status cancelled/deadline and whatever checkpoint it had saved.
 */
export function runTrainingJob(spec: TrainingJobSpec, opts: TrainingJobOptions = {}): Promise<TrainingResult> {
  const parsed = parseSpec(trainingJobSpecSchema, spec, 'training job');
  return runJob<TrainingResult>({ kind: 'train', spec: parsed }, opts, (why) => ({
    status: why, outputDir: parsed.outputDir, isAdapter: null, steps: 0, totalSteps: parsed.hyper.steps, bestStep: null,
    bestEvalLoss: null, finalLoss: null, tokens: 0, elapsedSeconds: 0, paramsCount: 0,
  }));
}

/** Evaluates in a worker process; resolves with production's result object (evaluation.md §2.2). */
export function runEvaluationJob(spec: EvaluationJobSpec, opts: { signal?: AbortSignal; graceMs?: number } = {}): Promise<Record<string, unknown>> {
  const parsed = parseSpec(evaluationJobSpecSchema, spec, 'evaluation job');
  return runJob<Record<string, unknown>>({ kind: 'evaluate', spec: parsed }, opts, () => null);
}
