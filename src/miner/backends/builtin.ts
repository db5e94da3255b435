/**
 * The built-in training backend: trains a queued job with src/ml on this machine's CPU (SFT for Instruct and
 * Chat, DPO, GRPO with reward functions run through the Python sandbox, the image denoiser), in a worker process
 * (`runTrainingJob`), so the miner's HTTP server stays responsive. The result is written in Hugging Face layout and
 * uploaded whole to the job's repo through the miner's hub port.
 *
 * How it trains is a named recipe (`BUILTIN_RECIPES`): the devnet runs miners with different recipes so their
 * scores differ for a reason one can name.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Hyper, JobEvent, TrainingJobSpec } from '../../ml/jobs/spec.ts';
import type { TrainingJob } from '../jobs.ts';
import type { HubFile } from '../ports.ts';
import type { TrainContext, TrainingBackend, TrainOutcome } from './types.ts';

/** A recipe: hyperparameters over src/ml's defaults (`hyperSchema`). */
export interface BuiltinRecipe {
  readonly description: string;
  readonly hyper: Partial<Hyper>;
}

/**
 * The named recipes. `careful` and `aggressive` both improve on the base model on the built-in datasets; which
 * one wins depends on the task. The devnet's misbehaving miners use the `fail` and `copy` backends
 * (simple.ts), named `broken` and `copycat` there.
 */
export const BUILTIN_RECIPES = {
  careful: { description: 'LoRA rank 8 on every projection, learning rate 3e-3, best held-out checkpoint', hyper: { method: 'lora', lr: 3e-3, loraRank: 8, loraAlpha: 16, warmupSteps: 5 } },
  aggressive: { description: 'full fine-tuning, learning rate 1e-2, short warm-up', hyper: { method: 'full', lr: 1e-2, warmupSteps: 2, weightDecay: 0 } },
  // Too few steps to learn much: a miner that delivers, but a weak model (still a valid, scored submission).
  lazy: { description: 'LoRA rank 2, learning rate 1e-3, a tenth of the steps', hyper: { method: 'lora', lr: 1e-3, loraRank: 2, loraAlpha: 4, warmupSteps: 0 } },
} as const satisfies Record<string, BuiltinRecipe>;

export type BuiltinRecipeName = keyof typeof BUILTIN_RECIPES;

export function isBuiltinRecipe(name: string): name is BuiltinRecipeName {
  return Object.hasOwn(BUILTIN_RECIPES, name);
}

export interface BuiltinBackendOptions {
  readonly recipe: BuiltinRecipeName;
  /** Training steps per job (recipes scale it: `lazy` trains a tenth). */
  readonly steps: number;
  /** GOD_HOME holding the base-model zoo (`$home/models`). */
  readonly home: string;
  /** Scratch space; each job gets `{workDir}/{task_id}`, removed after upload. */
  readonly workDir: string;
  /**
   * A devnet's time scale: real seconds per task hour. The miner's own clock stays real (request nonces are checked
   * against it), so the job's deadline is recomputed from `hours_to_complete` at this scale, with a margin for the
   * time between the validator's training start and this job's. Default: the job's deadline as given.
   */
  readonly secondsPerHour?: number;
  /** Extra hyperparameters over the recipe's (tests shrink batch sizes). */
  readonly hyper?: Partial<Hyper>;
  /** Runs the job; the default is src/ml's worker process. Injectable so a test can run it in process. */
  readonly run?: typeof import('../../ml/jobs/run.ts').runTrainingJob;
}

/**
 * GRPO trains this share of the job's steps: a GRPO step samples `promptsPerStep × groupSize` completions token by
 * token and scores them in the sandbox, several times the work of an SFT step of the same batch, and on the devnet's
 * dense rewards 20 steps already lift the reward from ≈0.3 to ≈1.0 (docs/devnet.md).
 */
export const GRPO_STEP_SHARE = 0.5;

/** The spec src/ml trains: the job's dataset file, its dataset type, the recipe's hyperparameters. */
export function trainingSpecFor(job: TrainingJob, options: Pick<BuiltinBackendOptions, 'recipe' | 'steps' | 'home' | 'hyper'>, outputDir: string): TrainingJobSpec {
  const recipe = BUILTIN_RECIPES[options.recipe];
  const share = (options.recipe === 'lazy' ? 0.1 : 1) * (job.kind === 'text' && job.taskType === 'GrpoTask' ? GRPO_STEP_SHARE : 1);
  const steps = Math.max(1, Math.round(options.steps * share));
  const hyper = { ...recipe.hyper, steps, ...options.hyper } as Hyper;
  if (job.kind === 'image') {
    // Image submissions are judged as a LoRA over the base model (the evaluator refuses a repo without
    // adapter_config.json), so a full-fine-tuning recipe trains a LoRA here.
    const imageHyper = hyper.method === 'lora' ? hyper : ({ ...hyper, method: 'lora', loraRank: 8, loraAlpha: 16 } as Hyper);
    return { taskType: 'ImageTask', baseModel: job.model, home: options.home, dataset: { imageDir: job.datasetZip }, outputDir, hyper: imageHyper };
  }
  if (job.fileFormat === 'hf') throw new Error(`the built-in backend trains local dataset files only; ${job.dataset} is a Hugging Face id`);
  return {
    taskType: job.taskType,
    baseModel: job.model,
    home: options.home,
    dataset: { path: job.dataset, format: job.fileFormat },
    datasetType: job.datasetType,
    outputDir,
    hyper,
  };
}

/** Share of a scaled deadline the training may use (the rest covers start-up lag, the upload and the hash). */
export const SCALED_DEADLINE_SHARE = 0.8;

/** The real-time epoch ms by which the job's model must be saved. */
export function realDeadline(job: Pick<TrainingJob, 'hoursToComplete'>, deadline: Date, secondsPerHour: number | undefined, realNow: number = Date.now()): number {
  if (secondsPerHour === undefined) return deadline.getTime();
  return Math.min(deadline.getTime(), realNow + job.hoursToComplete * secondsPerHour * 1000 * SCALED_DEADLINE_SHARE);
}

async function filesOf(dir: string): Promise<HubFile[]> {
  const out: HubFile[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push({ path: relative(dir, full).split(sep).join('/'), bytes: new Uint8Array(await readFile(full)) });
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function progressOf(e: JobEvent): { phase: string; step?: number; totalSteps?: number; loss?: number; message?: string } | null {
  switch (e.type) {
    case 'progress':
      return { phase: 'training', step: e.step, totalSteps: e.totalSteps, loss: e.loss, message: `eta ${Math.round(e.etaSeconds)}s` };
    case 'eval':
      return { phase: 'training', step: e.step, message: `held-out loss ${e.evalLoss.toFixed(4)}${e.improved ? ' (best so far)' : ''}` };
    case 'checkpoint':
      return { phase: 'training', step: e.step, message: `checkpoint at step ${e.step}` };
    default:
      return null;
  }
}

export function builtinBackend(options: BuiltinBackendOptions): TrainingBackend {
  return {
    name: `builtin:${options.recipe}`,
    async train(job: TrainingJob, ctx: TrainContext): Promise<TrainOutcome> {
      const outputDir = join(options.workDir, job.taskId);
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(options.workDir, { recursive: true });
      try {
        ctx.reportProgress({ phase: 'preparing', message: `${options.recipe} recipe on ${job.model}` });
        const spec = trainingSpecFor(job, options, outputDir);
        const run = options.run ?? (await import('../../ml/jobs/run.ts')).runTrainingJob;
        let last: ReturnType<typeof progressOf> = null;
        const result = await run(spec, {
          signal: ctx.signal,
          deadline: realDeadline(job, ctx.deadline, options.secondsPerHour),
          onProgress: (e) => {
            const p = progressOf(e);
            if (!p) return;
            // Keep the latest loss visible when an eval/checkpoint event does not carry one.
            last = p.loss === undefined && last?.loss !== undefined ? { ...p, loss: last.loss, totalSteps: last.totalSteps! } : p;
            ctx.reportProgress(last);
          },
        });
        if (result.isAdapter === null) throw new Error(`training ${result.status} before any checkpoint was saved`);
        ctx.reportProgress({ phase: 'uploading', step: result.steps, totalSteps: result.totalSteps, ...(result.finalLoss !== null ? { loss: result.finalLoss } : {}) });
        const files = await filesOf(outputDir);
        if (files.length === 0) throw new Error('training saved no files');
        await ctx.hub.upload(job.repo, files);
        ctx.reportProgress({
          phase: 'uploaded',
          step: result.steps,
          totalSteps: result.totalSteps,
          ...(result.bestEvalLoss !== null ? { loss: result.bestEvalLoss } : {}),
          message: `${result.status}; ${result.isAdapter ? 'LoRA adapter' : 'full model'}, best step ${result.bestStep ?? result.steps}`,
        });
        return { repo: job.repo };
      } finally {
        await rm(outputDir, { recursive: true, force: true });
      }
    },
  };
}
