/**
 * Two backends that do not train, for the devnet's misbehaving miners and for tests of the queue: `copy`
 * uploads another repository's current files as the job's result (the duplicate rule must catch it) and
 * `fail` fails every job (the failure rule must score it zero).
 */
import type { TrainContext, TrainingBackend, TrainOutcome } from './types.ts';
import type { TrainingJob } from '../jobs.ts';

export interface CopyBackendOptions {
  /** The repo whose files are uploaded; a function lets the devnet pick another miner's latest repo per task. */
  readonly source: string | ((job: TrainingJob) => string | Promise<string>);
}

export function copyBackend(options: CopyBackendOptions): TrainingBackend {
  return {
    name: 'copy',
    async train(job: TrainingJob, ctx: TrainContext): Promise<TrainOutcome> {
      const source = typeof options.source === 'function' ? await options.source(job) : options.source;
      ctx.reportProgress({ phase: 'copying', message: `copying ${source}` });
      const files = await ctx.hub.snapshot(source);
      if (files === null) throw new Error(`copy backend: source repo ${source} does not exist`);
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      await ctx.hub.upload(job.repo, files);
      ctx.reportProgress({ phase: 'uploaded', step: 1, totalSteps: 1 });
      return { repo: job.repo };
    },
  };
}

export function failBackend(message = 'this miner is configured to fail every job'): TrainingBackend {
  return {
    name: 'fail',
    async train(): Promise<TrainOutcome> {
      throw new Error(message);
    },
  };
}
