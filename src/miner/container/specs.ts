/**
 * The containers the base miner runs for a job, as plain data (miner-protocol-chain.md §5.6–5.7), and the
 * ordered plan of Docker operations around them. One description, two renderings: the Docker Engine API
 * `POST /containers/create` body that our Docker client sends, and the docker-py `containers.run` keyword
 * arguments the reference passed (so the vectors prove the description is the reference's).
 */
import { dirname, resolve } from 'node:path';
import type { Behaviour } from './axolotl.ts';
import { TRAINED_REPO_DIR } from './axolotl.ts';
import { CONTAINER_FLUX_DIR } from './kohya.ts';

export const TEXT_TRAINER_IMAGE = 'weightswandering/tuning_miner:latest';
export const IMAGE_TRAINER_IMAGE = 'diagonalge/miner-diffusion-flux:latest';

export interface Bind {
  /** Host path, or a named volume. */
  readonly source: string;
  readonly target: string;
  readonly mode: 'rw' | 'ro';
}

export interface ContainerSpec {
  readonly image: string;
  /** Ordered environment; values are never logged (they may be tokens). */
  readonly env: readonly (readonly [string, string])[];
  readonly binds: readonly Bind[];
  /** `bash -c` script etc.; absent = the image's own CMD. */
  readonly command?: readonly string[];
  /** Number of GPUs requested (`DeviceRequests` with the `gpu` capability); 0 = none. */
  readonly gpus: number;
  readonly runtime?: 'nvidia';
  readonly networkMode?: 'none';
  readonly tty: boolean;
  /** Docker removes the container when it exits. */
  readonly autoRemove: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Which failure of a step fails the job. */
export type StepRole = 'prepare' | 'train' | 'upload' | 'cleanup';

export type PlanStep =
  | { readonly op: 'volume.ensure'; readonly name: string; readonly role: 'prepare' }
  | { readonly op: 'run'; readonly container: string; readonly spec: ContainerSpec; readonly role: 'prepare' | 'train' | 'upload' }
  | { readonly op: 'container.remove'; readonly container: string; readonly role: 'cleanup' }
  | { readonly op: 'volume.remove'; readonly name: string; readonly role: 'cleanup' }
  | { readonly op: 'hub.makePublic'; readonly repo: string; readonly role: 'cleanup' };

/** Absolute host paths (they become bind sources as they are). */
export interface MinerPaths {
  /** Host folder holding the job configs (the reference's core/config). */
  readonly configDir: string;
  /** Host folder for outputs (core/outputs). */
  readonly outputDir: string;
  /** Host folder of prepared image datasets (core/dataset/images). */
  readonly imagesDir: string;
}

export interface Secrets {
  readonly hubToken: string | null;
  readonly wandbToken: string | null;
}

function gpuContainer(base: Omit<ContainerSpec, 'gpus' | 'runtime' | 'tty' | 'autoRemove'>): ContainerSpec {
  return { ...base, gpus: 1, runtime: 'nvidia', tty: true, autoRemove: false };
}

/** The text container's bash entry point (reference `_create_docker_entrypoint`). */
export function textEntrypoint(grpo: boolean, taskId: string): string {
  const copyDataset = `
    if [ "$DATASET_TYPE" != "hf" ] && [ -f "/workspace/input_data/\${DATASET_FILENAME}" ]; then \\
    cp /workspace/input_data/\${DATASET_FILENAME} /workspace/axolotl/\${DATASET_FILENAME}; \\
    fi`;
  const setup = grpo
    ? `
    echo 'Preparing data for GRPO (offline mode)...' && \\${copyDataset} && \\
    echo "Moving specific reward function file to src directory..." && \\
    cp \${CONFIG_DIR}/rewards_${taskId}.py /workspace/axolotl/src/`
    : `
    echo 'Preparing data...' && \\
    if [ -n "$HUGGINGFACE_TOKEN" ]; then \\
    echo "Attempting to log in to Hugging Face" && \\
    huggingface-cli login --token "$HUGGINGFACE_TOKEN" --add-to-git-credential; \\
    else \\
    echo "HUGGINGFACE_TOKEN is not set. Skipping Hugging Face login."; \\
    fi && \\
    if [ -n "$WANDB_TOKEN" ]; then \\
    echo "Attempting to log in to W&B" && \\
    wandb login "$WANDB_TOKEN"; \\
    else \\
    echo "WANDB_TOKEN is not set. Skipping W&B login."; \\
    fi && \\${copyDataset}`;
  return `${setup} && \\
    echo 'Starting training command' && \\
    accelerate launch -m axolotl.cli.train \${CONFIG_DIR}/\${JOB_ID}.yml
    `;
}

/** The GRPO upload container's script: log in, create the public repo, upload the trained folder. */
export function grpoUploadScript(): string {
  return `
huggingface-cli login --token "$HUGGINGFACE_TOKEN" --add-to-git-credential && \\
python -c "
from huggingface_hub import HfApi
import os

api = HfApi(token=os.environ['HUGGINGFACE_TOKEN'])
api.create_repo(os.environ['HUB_MODEL_ID'], exist_ok=True, private=False)
api.upload_folder(folder_path='${TRAINED_REPO_DIR}', repo_id=os.environ['HUB_MODEL_ID'])
print('Upload completed successfully')
"
`;
}

export interface TextPlanInput {
  readonly taskId: string;
  readonly model: string;
  /** Local dataset path (json/csv) or HF id. */
  readonly dataset: string;
  readonly fileFormat: 'json' | 'csv' | 'hf';
  readonly grpo: boolean;
  /** The repo the output goes to: axolotl pushes it (non-GRPO), the upload container pushes it (GRPO). */
  readonly repo: string;
}

export interface PlanOptions {
  readonly paths: MinerPaths;
  readonly secrets: Secrets;
  readonly behaviour: Behaviour;
  readonly textImage?: string;
  readonly imageImage?: string;
}

/** The reference's `start_tuning_container` as a plan: optional model download (GRPO), training, upload, cleanup. */
export function planTextJob(job: TextPlanInput, options: PlanOptions): PlanStep[] {
  const image = options.textImage ?? TEXT_TRAINER_IMAGE;
  const hubToken = options.secrets.hubToken ?? '';
  const wandbToken = options.secrets.wandbToken ?? '';
  const datasetFilename = job.fileFormat !== 'hf' ? job.dataset.split('/').pop() ?? '' : '';
  const binds: Bind[] = [
    { source: options.paths.configDir, target: '/workspace/axolotl/configs', mode: 'rw' },
    { source: options.paths.outputDir, target: '/workspace/axolotl/outputs', mode: 'rw' },
  ];
  if (job.fileFormat !== 'hf') binds.push({ source: dirname(resolve(job.dataset)), target: '/workspace/input_data', mode: 'ro' });
  // The container that runs validator-supplied reward code gets no secrets in the fixed behaviour (D-miner-4).
  const withSecrets = !(job.grpo && options.behaviour === 'fixed');
  const env: [string, string][] = [
    ...(withSecrets ? ([['HUGGINGFACE_TOKEN', hubToken], ['WANDB_TOKEN', wandbToken]] as [string, string][]) : []),
    ['JOB_ID', job.taskId],
    ['DATASET_TYPE', 'custom'],
    ['DATASET_FILENAME', datasetFilename],
  ];
  const steps: PlanStep[] = [];
  const volume = `hf_cache_${job.taskId}`;
  if (job.grpo) {
    steps.push({ op: 'volume.ensure', name: volume, role: 'prepare' });
    steps.push({
      op: 'run',
      container: 'download',
      role: 'prepare',
      spec: {
        image,
        env: [],
        binds: [{ source: volume, target: '/root/.cache/huggingface', mode: 'rw' }],
        command: ['/bin/bash', '-c', `python -c "from huggingface_hub import snapshot_download; snapshot_download('${job.model}')"`],
        gpus: 0,
        tty: false,
        autoRemove: true,
      },
    });
    binds.push({ source: volume, target: '/root/.cache/huggingface', mode: 'rw' });
  }
  const train = gpuContainer({
    image,
    env,
    binds,
    command: ['/bin/bash', '-c', textEntrypoint(job.grpo, job.taskId)],
    ...(job.grpo ? { networkMode: 'none' as const } : {}),
  });
  steps.push({ op: 'run', container: 'train', spec: train, role: 'train' });
  if (job.grpo) {
    steps.push({
      op: 'run',
      container: 'upload',
      role: 'upload',
      spec: {
        image,
        env: [
          ['HUGGINGFACE_TOKEN', hubToken],
          ['HUB_MODEL_ID', job.repo],
        ],
        binds,
        command: ['/bin/bash', '-c', grpoUploadScript()],
        gpus: 0,
        tty: true,
        autoRemove: false,
      },
    });
    steps.push({ op: 'container.remove', container: 'upload', role: 'cleanup' });
    steps.push({ op: 'container.remove', container: 'train', role: 'cleanup' });
    steps.push({ op: 'volume.remove', name: volume, role: 'cleanup' });
  } else {
    steps.push({ op: 'hub.makePublic', repo: job.repo, role: 'cleanup' });
    steps.push({ op: 'container.remove', container: 'train', role: 'cleanup' });
  }
  return steps;
}

export interface ImagePlanInput {
  readonly taskId: string;
  readonly modelType: 'sdxl' | 'flux';
  /** Host path of the FLUX unet file (its folder is mounted); required for flux. */
  readonly fluxUnetPath?: string;
}

/** The reference's `start_tuning_container_diffusion`: one kohya container, then its removal. */
export function planImageJob(job: ImagePlanInput, options: PlanOptions): PlanStep[] {
  const env: [string, string][] = [
    ['HUGGINGFACE_TOKEN', options.secrets.hubToken ?? ''],
    ['WANDB_TOKEN', options.secrets.wandbToken ?? ''],
    ['JOB_ID', job.taskId],
    ['BASE_MODEL', job.modelType],
  ];
  // The token is no longer in the config file (D-miner-3); huggingface_hub reads it from HF_TOKEN.
  if (options.behaviour === 'fixed') env.push(['HF_TOKEN', options.secrets.hubToken ?? '']);
  const binds: Bind[] = [
    { source: options.paths.configDir, target: '/dataset/configs', mode: 'rw' },
    { source: options.paths.outputDir, target: '/dataset/outputs', mode: 'rw' },
    { source: options.paths.imagesDir, target: '/dataset/images', mode: 'rw' },
  ];
  if (job.modelType === 'flux') {
    if (!job.fluxUnetPath) throw new Error('a FLUX job needs the unet weights file');
    binds.push({ source: dirname(job.fluxUnetPath), target: CONTAINER_FLUX_DIR, mode: 'rw' });
  }
  const spec = gpuContainer({ image: options.imageImage ?? IMAGE_TRAINER_IMAGE, env, binds });
  return [
    { op: 'run', container: 'train', spec, role: 'train' },
    { op: 'container.remove', container: 'train', role: 'cleanup' },
  ];
}

/** The Docker Engine API body of `POST /containers/create` for a spec (API v1.41+, ContainerConfig + HostConfig). */
export function dockerCreateBody(spec: ContainerSpec): Record<string, unknown> {
  const hostConfig: Record<string, unknown> = {
    Binds: spec.binds.map((b) => `${b.source}:${b.target}:${b.mode}`),
    AutoRemove: spec.autoRemove,
  };
  if (spec.runtime) hostConfig.Runtime = spec.runtime;
  if (spec.gpus > 0) hostConfig.DeviceRequests = [{ Driver: '', Count: spec.gpus, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }];
  if (spec.networkMode) hostConfig.NetworkMode = spec.networkMode;
  return {
    Image: spec.image,
    Env: spec.env.map(([k, v]) => `${k}=${v}`),
    ...(spec.command ? { Cmd: [...spec.command] } : {}),
    Tty: spec.tty,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    OpenStdin: false,
    Labels: { ...(spec.labels ?? {}) },
    HostConfig: hostConfig,
  };
}

/** The docker-py `containers.run(**kwargs)` the reference made for a spec (the vectors' vocabulary). */
export function dockerPyRunKwargs(spec: ContainerSpec): Record<string, unknown> {
  const volumes: Record<string, { bind: string; mode: string }> = {};
  for (const b of spec.binds) volumes[b.source] = { bind: b.target, mode: b.mode };
  return {
    image: spec.image,
    ...(spec.env.length > 0 ? { environment: Object.fromEntries(spec.env) } : {}),
    volumes,
    ...(spec.runtime ? { runtime: spec.runtime } : {}),
    ...(spec.gpus > 0 ? { device_requests: [{ count: spec.gpus, capabilities: [['gpu']] }] } : {}),
    detach: true,
    ...(spec.tty ? { tty: true } : {}),
    ...(spec.autoRemove ? { remove: true } : {}),
    ...(spec.command ? { command: [...spec.command] } : {}),
    ...(spec.networkMode ? { network_mode: spec.networkMode } : {}),
  };
}
