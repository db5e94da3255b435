/**
 * The kohya sd-scripts config the base miner writes for an image job (miner-protocol-chain.md §5.7; vectors
 * axolotl_config.json, image cases). `'fixed'` (our default) leaves the Hugging Face token out of the file
 * (D-miner-3): the file sits in a folder mounted into every later training container, so the container gets
 * the token through its environment instead.
 */
import type { ImageModelType } from '../../core/enums.ts';
import type { Behaviour } from './axolotl.ts';
import { hubRepoId } from './axolotl.ts';
import { KOHYA_FLUX, KOHYA_SDXL, type TemplateValue } from './templates.ts';

/** Where FLUX unet weights are mounted in the diffusion container. */
export const CONTAINER_FLUX_DIR = '/app/flux/unet';

export interface ImageJobInput {
  readonly taskId: string;
  readonly model: string;
  readonly modelType: ImageModelType;
  readonly expectedRepoName: string | null | undefined;
}

export interface KohyaOptions {
  readonly hubUsername: string;
  readonly fallbackRepoName: string;
  /** Written into the file only with the original behaviour. */
  readonly hubToken: string | null;
  readonly behaviour: Behaviour;
}

export interface KohyaConfigResult {
  readonly config: Record<string, TemplateValue>;
  readonly submissionRepo: string;
}

/** The unet file name the reference downloads FLUX weights to (`flux_unet_{repo with / → _}.safetensors`). */
export function fluxUnetFileName(model: string): string {
  return `flux_unet_${model.replaceAll('/', '_')}.safetensors`;
}

export function buildKohyaConfig(job: ImageJobInput, options: KohyaOptions): KohyaConfigResult {
  const config: Record<string, TemplateValue> = { ...(job.modelType === 'flux' ? KOHYA_FLUX : KOHYA_SDXL) };
  config.pretrained_model_name_or_path = job.modelType === 'flux' ? `${CONTAINER_FLUX_DIR}/${fluxUnetFileName(job.model)}` : job.model;
  config.train_data_dir = `/dataset/images/${job.taskId}/img/`;
  if (options.behaviour === 'original') config.huggingface_token = options.hubToken;
  else delete config.huggingface_token;
  const repo = hubRepoId(options.hubUsername, job.expectedRepoName, options.fallbackRepoName);
  config.huggingface_repo_id = repo;
  return { config, submissionRepo: repo };
}

export interface ImageDatasetPreparation {
  readonly zipPath: string;
  /** kohya's folder repeat count: 10 for SDXL, 1 for FLUX. */
  readonly repeats: number;
  readonly instancePrompt: string;
  readonly classPrompt: string;
  /** The folder kohya reads: `{images}/{task_id}/img/{repeats}_{instance} {class}`. */
  readonly trainingFolder: string;
}

/** How the reference prepares an image dataset (`prepare_dataset`): the zip unpacked into a kohya folder. */
export function imageDatasetPreparation(taskId: string, modelType: ImageModelType, zipPath: string): ImageDatasetPreparation {
  const repeats = modelType === 'sdxl' ? 10 : 1;
  return { zipPath, repeats, instancePrompt: 'lora', classPrompt: 'style', trainingFolder: `${taskId}/img/${repeats}_lora style` };
}
