/**
 * The Docker Engine API requests for one training job, as plain data: the original's container (tournament.md
 * §5.4–5.5: image built from `dockerfiles/standalone-{text,image}-trainer.dockerfile`, the contract's CLI arguments,
 * `/cache` read-only and `/app/checkpoints` read-write, memory and CPUs per GPU, shm, GPU device request,
 * no-new-privileges, all capabilities dropped) with the reference's gaps closed: network `none` by default, a pids
 * limit, no swap, and per-job bind mounts instead of volumes shared by every job on the host.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TrainerRules } from '../../core/rules/trainer.ts';
import { CONTRACT_PATHS } from '../args.ts';
import type { PreparedJob } from '../executor.ts';

const GiB = 1024 ** 3;

export const DOCKERFILES = {
  text: 'dockerfiles/standalone-text-trainer.dockerfile',
  image: 'dockerfiles/standalone-image-trainer.dockerfile',
} as const;

export interface ContainerPolicy {
  rules: Pick<TrainerRules, 'memoryPerGpuGb' | 'cpusPerGpu' | 'shmGbSmall' | 'shmGbLarge' | 'shmLargeFromGpus'>;
  network: string;
  pidsLimit: number;
  user: string | null;
  readonlyRootfs: boolean;
  buildNetwork: string;
}

export function imageTag(job: Pick<PreparedJob, 'isImage'>, uuid: string = randomUUID()): string {
  return `standalone-${job.isImage ? 'image' : 'text'}-trainer:${uuid}`;
}

export function containerName(job: Pick<PreparedJob, 'isImage'>, hex: string = randomBytes(16).toString('hex')): string {
  return `${job.isImage ? 'image' : 'text'}-trainer-${hex}`;
}

/** Memory, CPU and shared memory for `gpus` GPUs, as the original computes them (docker-py's "110g" = 110 GiB). */
export function resources(gpus: number, rules: ContainerPolicy['rules']): { memoryBytes: number; nanoCpus: number; shmBytes: number } {
  return {
    memoryBytes: Math.round(gpus * rules.memoryPerGpuGb * GiB),
    nanoCpus: Math.round(gpus * rules.cpusPerGpu * 1e9),
    shmBytes: Math.round((gpus >= rules.shmLargeFromGpus ? rules.shmGbLarge : rules.shmGbSmall) * GiB),
  };
}

/** Query of POST /build: the miner's Dockerfile, a fresh tag, no cache, intermediate containers removed. */
export function buildQuery(job: Pick<PreparedJob, 'isImage' | 'gpuIds' | 'labels'>, tag: string, policy: ContainerPolicy): Record<string, string | number | boolean> {
  const { memoryBytes } = resources(job.gpuIds.length, policy.rules);
  return {
    dockerfile: job.isImage ? DOCKERFILES.image : DOCKERFILES.text,
    t: tag,
    nocache: true,
    rm: true,
    forcerm: true,
    pull: false,
    networkmode: policy.buildNetwork,
    memory: memoryBytes,
    memswap: memoryBytes,
    labels: JSON.stringify(job.labels),
  };
}

/** The environment of the original (W&B offline logs for text under the writable checkpoints — HEAD's path; HF cache for image). */
export function containerEnv(job: Pick<PreparedJob, 'isImage' | 'taskId' | 'hotkey'>): string[] {
  if (job.isImage) return [`TRANSFORMERS_CACHE=${CONTRACT_PATHS.hfCache}`];
  const wandb = `${CONTRACT_PATHS.checkpoints}/wandb_logs/${job.taskId}_${job.hotkey}`;
  return ['WANDB_MODE=offline', ...['WANDB_DIR', 'WANDB_CACHE_DIR', 'WANDB_ARTIFACT_DIR', 'WANDB_DATA_DIR', 'WANDB_CONFIG_DIR'].map((k) => `${k}=${wandb}`)];
}

/** Body of POST /containers/create for the training container. */
export function containerCreateBody(job: PreparedJob, tag: string, policy: ContainerPolicy): Record<string, unknown> {
  const { memoryBytes, nanoCpus, shmBytes } = resources(job.gpuIds.length, policy.rules);
  return {
    Image: tag,
    Cmd: [...job.args],
    Env: containerEnv(job),
    Labels: { ...job.labels },
    ...(policy.user ? { User: policy.user } : {}),
    NetworkDisabled: policy.network === 'none',
    HostConfig: {
      Binds: [`${job.cacheDir}:${CONTRACT_PATHS.cacheRoot}:ro`, `${job.checkpointsDir}:${CONTRACT_PATHS.checkpoints}:rw`],
      NetworkMode: policy.network,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: nanoCpus,
      PidsLimit: policy.pidsLimit,
      ShmSize: shmBytes,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      ReadonlyRootfs: policy.readonlyRootfs,
      AutoRemove: false,
      DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: job.gpuIds.map(String), Capabilities: [['gpu']], Options: {} }],
    },
  };
}
