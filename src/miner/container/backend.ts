/**
 * The reference miner's training path as a backend: prepare the dataset, write the axolotl YAML (text) or kohya
 * TOML (image) exactly as the base miner does, and run its containers through the Docker Engine API. The
 * containers push the result to the hub themselves (axolotl's `hub_model_id`, the GRPO upload container,
 * kohya's `huggingface_repo_id`); the worker then hashes the repo.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/index.ts';
import type { TrainContext, TrainingBackend, TrainOutcome } from '../backends/types.ts';
import { rewriteDataset } from '../dataset-rewrite.ts';
import { datasetTypeOf, type ImageJob, type TextJob, type TrainingJob } from '../jobs.ts';
import type { MinerModelHub } from '../ports.ts';
import { pyYamlDump } from '../pyyaml.ts';
import { buildAxolotlConfig, type Behaviour, type TokenizerInfo } from './axolotl.ts';
import type { DockerClient } from './docker.ts';
import { buildKohyaConfig, imageDatasetPreparation } from './kohya.ts';
import { pyTomlDump } from './pytoml.ts';
import { dockerCreateBody, planImageJob, planTextJob, type MinerPaths, type PlanStep, type Secrets } from './specs.ts';
import { unzipTo } from './unzip.ts';

/** The axolotl DPO model-card error the reference treats as success (its upload already happened). */
export const KNOWN_HARMLESS_FAILURE = "TypeError: DPOTrainer.create_model_card() got an unexpected keyword argument 'dataset_tags'";

export interface ContainerBackendOptions {
  readonly docker: DockerClient;
  readonly paths: MinerPaths;
  readonly secrets: Secrets;
  readonly behaviour?: Behaviour;
  /** What the model's tokenizer exposes (pad/eos), e.g. from its tokenizer_config.json on the hub. */
  readonly tokenizerInfo: (model: string) => Promise<TokenizerInfo>;
  /** Host path of a FLUX model's unet weights (the reference downloads the >10 GiB file). */
  readonly fluxUnetPath?: (model: string) => Promise<string>;
  readonly textImage?: string;
  readonly imageImage?: string;
}

function splitRepo(repo: string): [string, string] {
  const at = repo.indexOf('/');
  return at < 0 ? ['', repo] : [repo.slice(0, at), repo.slice(at + 1)];
}

export interface ExecuteOptions {
  readonly docker: DockerClient;
  readonly hub: MinerModelHub;
  readonly taskId: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * Runs a plan in order. After a failure only cleanup steps run; cleanup and upload failures are logged, not
 * raised (as the reference's `finally` blocks and upload wrapper do). The first real failure is rethrown.
 */
export async function executePlan(steps: readonly PlanStep[], o: ExecuteOptions): Promise<void> {
  const ids = new Map<string, string>();
  let failure: unknown = null;
  for (const step of steps) {
    if (failure !== null && step.role !== 'cleanup') continue;
    try {
      switch (step.op) {
        case 'volume.ensure':
          if (!(await o.docker.volumeExists(step.name))) await o.docker.createVolume(step.name, { 'god.task_id': o.taskId });
          break;
        case 'run': {
          const name = `god-${o.taskId}-${step.container}`;
          const body = dockerCreateBody({ ...step.spec, labels: { 'god.task_id': o.taskId, 'god.role': step.container } });
          const id = await o.docker.createContainer(body, name);
          if (!step.spec.autoRemove) ids.set(step.container, id);
          await o.docker.startContainer(id);
          const code = await o.docker.waitContainer(id, o.signal);
          const logs = step.spec.autoRemove ? '' : await o.docker.logs(id, step.spec.tty).catch(() => '');
          if (code !== 0) {
            if (step.role === 'train' && logs.includes(KNOWN_HARMLESS_FAILURE)) {
              o.log.warn('axolotl model-card error after a DPO run; treated as success, as the reference does');
            } else if (step.role === 'upload') {
              o.log.warn({ code, logs: logs.slice(-2000) }, 'upload container failed');
            } else {
              throw new Error(`${step.container} container exited with status ${code}: ${logs.split('\n').slice(-5).join('\n')}`);
            }
          }
          break;
        }
        case 'container.remove': {
          const id = ids.get(step.container);
          if (id !== undefined) await o.docker.removeContainer(id);
          break;
        }
        case 'volume.remove':
          await o.docker.removeVolume(step.name);
          break;
        case 'hub.makePublic':
          await o.hub.setPublic?.(step.repo);
          break;
      }
    } catch (err) {
      if (step.role === 'cleanup' || step.role === 'upload') o.log.warn({ err, step: step.op }, 'step failed');
      else failure = err;
    }
  }
  if (failure !== null) throw failure;
}

export function containerBackend(options: ContainerBackendOptions): TrainingBackend {
  const behaviour = options.behaviour ?? 'fixed';
  const planOptions = {
    paths: options.paths,
    secrets: options.secrets,
    behaviour,
    ...(options.textImage ? { textImage: options.textImage } : {}),
    ...(options.imageImage ? { imageImage: options.imageImage } : {}),
  };

  async function trainText(job: TextJob, ctx: TrainContext): Promise<void> {
    const datasetType = datasetTypeOf(job);
    if (job.fileFormat === 'json') {
      const rewrite = rewriteDataset(await readFile(job.dataset, 'utf8'), datasetType);
      if (rewrite) await writeFile(job.dataset, rewrite.text);
    }
    const tokenizer = await options.tokenizerInfo(job.model);
    const [username, name] = splitRepo(job.repo);
    const built = buildAxolotlConfig(
      { taskId: job.taskId, model: job.model, dataset: job.dataset, fileFormat: job.fileFormat, datasetType, expectedRepoName: name },
      tokenizer,
      { hubUsername: username, fallbackRepoName: name, behaviour },
    );
    await mkdir(options.paths.configDir, { recursive: true });
    await mkdir(options.paths.outputDir, { recursive: true });
    await writeFile(join(options.paths.configDir, `${job.taskId}.yml`), pyYamlDump(built.config));
    if (built.rewardModule) await writeFile(join(options.paths.configDir, built.rewardModule.fileName), built.rewardModule.content);
    const plan = planTextJob({ taskId: job.taskId, model: job.model, dataset: job.dataset, fileFormat: job.fileFormat, grpo: job.grpo, repo: job.repo }, planOptions);
    ctx.reportProgress({ phase: 'training', message: 'axolotl container running' });
    await executePlan(plan, { docker: options.docker, hub: ctx.hub, taskId: job.taskId, signal: ctx.signal, log: ctx.log });
  }

  async function trainImage(job: ImageJob, ctx: TrainContext): Promise<void> {
    const prep = imageDatasetPreparation(job.taskId, job.modelType, job.datasetZip);
    const scratch = join(options.paths.imagesDir, 'tmp', job.taskId);
    const trainingRoot = join(options.paths.imagesDir, job.taskId);
    try {
      await rm(scratch, { recursive: true, force: true });
      await unzipTo(await readFile(job.datasetZip), scratch);
      // A zip holding a single folder is unwrapped, as the reference does.
      const entries = await readdir(scratch);
      const only = entries.length === 1 ? join(scratch, entries[0] as string) : null;
      const source = only !== null && (await stat(only)).isDirectory() ? only : scratch;
      await mkdir(join(trainingRoot, 'img'), { recursive: true });
      await rename(source, join(options.paths.imagesDir, prep.trainingFolder));
      await mkdir(join(trainingRoot, 'log'), { recursive: true });
      await mkdir(join(trainingRoot, 'model'), { recursive: true });
      const [username, name] = splitRepo(job.repo);
      const built = buildKohyaConfig(
        { taskId: job.taskId, model: job.model, modelType: job.modelType, expectedRepoName: name },
        { hubUsername: username, fallbackRepoName: name, hubToken: options.secrets.hubToken, behaviour },
      );
      await mkdir(options.paths.configDir, { recursive: true });
      await writeFile(join(options.paths.configDir, `${job.taskId}.toml`), pyTomlDump(built.config));
      const fluxUnetPath = job.modelType === 'flux' ? await (options.fluxUnetPath ?? noFlux)(job.model) : undefined;
      const plan = planImageJob({ taskId: job.taskId, modelType: job.modelType, ...(fluxUnetPath ? { fluxUnetPath } : {}) }, planOptions);
      ctx.reportProgress({ phase: 'training', message: 'kohya container running' });
      await executePlan(plan, { docker: options.docker, hub: ctx.hub, taskId: job.taskId, signal: ctx.signal, log: ctx.log });
    } finally {
      await rm(scratch, { recursive: true, force: true });
      await rm(trainingRoot, { recursive: true, force: true });
    }
  }

  return {
    name: 'container',
    async train(job: TrainingJob, ctx: TrainContext): Promise<TrainOutcome> {
      if (job.kind === 'text') await trainText(job, ctx);
      else await trainImage(job, ctx);
      return { repo: job.repo };
    },
  };
}

async function noFlux(model: string): Promise<string> {
  throw new Error(`no FLUX unet weights configured for ${model}: provide fluxUnetPath (the reference downloads the >10 GiB file from the hub)`);
}
