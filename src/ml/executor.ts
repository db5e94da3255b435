// The built-in engine behind the validator's EvaluationExecutor port (src/validator/ports.ts): fetch the job's
// dataset (a JSON file for text, a zip of image/caption pairs for images), materialise each repo as a directory,
// and run the evaluation in a worker process. Answers production's result object.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskType } from '../core/enums.ts';
import { runEvaluationJob } from './jobs/run.ts';
import type { EvaluationJobSpec } from './jobs/spec.ts';

/** The fields of the validator's EvaluationJob this executor reads (structurally compatible with it). */
export interface EvaluationJobLike {
  task_type: TaskType;
  dataset_url: string;
  original_model: string;
  dataset_type: Record<string, unknown> | null;
  repos: string[];
}

export interface LocalExecutorOptions {
  /** reads the bytes behind a dataset URL (the validator's Fetcher) */
  fetchDataset: (url: string) => Promise<Uint8Array>;
  /** a local directory holding the repo's files (downloaded from the hub), or null to resolve it from $GOD_HOME/models */
  repoDir?: (repo: string) => Promise<string | null>;
  /** $GOD_HOME (zoo models, cached repos) */
  home?: string;
  /** evaluate at most this many rows/images (production: all) */
  maxRows?: number;
  /** overrides for the image evaluation (steps, seeds…), e.g. to make devnet runs shorter */
  image?: EvaluationJobSpec['image'];
  /** overrides for the GRPO sampling (new tokens, generations…), e.g. to make devnet runs shorter */
  grpo?: EvaluationJobSpec['grpo'];
}

export function createLocalEvaluationExecutor(opts: LocalExecutorOptions): { run(job: EvaluationJobLike, signal?: AbortSignal): Promise<unknown> } {
  return {
    async run(job, signal) {
      const work = await mkdtemp(join(tmpdir(), 'god-ml-eval-'));
      try {
        const bytes = await opts.fetchDataset(job.dataset_url);
        const image = job.task_type === 'ImageTask';
        const file = join(work, image ? 'test_data.zip' : 'test_data.json');
        await writeFile(file, bytes);
        const repos: { id: string; dir?: string }[] = [];
        for (const id of job.repos) {
          const dir = opts.repoDir ? await opts.repoDir(id) : null;
          repos.push(dir ? { id, dir } : { id });
        }
        const spec: EvaluationJobSpec = {
          taskType: job.task_type,
          originalModel: job.original_model,
          repos,
          dataset: image ? { imageDir: file } : { path: file, format: 'json' },
          datasetType: job.dataset_type ?? {},
          ...(opts.home ? { home: opts.home } : {}),
          ...(opts.maxRows ? { maxRows: opts.maxRows } : {}),
          ...(opts.image ? { image: opts.image } : {}),
          ...(opts.grpo && job.task_type === 'GrpoTask' ? { grpo: opts.grpo } : {}),
        };
        return await runEvaluationJob(spec, signal ? { signal } : {});
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}
