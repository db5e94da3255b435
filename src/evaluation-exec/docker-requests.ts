/**
 * The POST /containers/create body for a generic container job (evaluation containers and their GRPO prefetch),
 * as plain data. The original's evaluation container gets the GPU device request (and `runtime: nvidia`), the
 * dataset folder read-only and the host's hub cache read-write; we add memory/CPU/pids limits,
 * no-new-privileges and dropped capabilities, and `none` networking for GRPO (as the original).
 */
import type { ContainerJobSpec } from './backend.ts';

const GiB = 1024 ** 3;

export interface DockerJobPolicy {
  /** Docker network for jobs whose spec allows network access. */
  network: string;
  /** `nvidia` as the original; null relies on the DeviceRequest alone (current nvidia-container-toolkit). */
  runtime: string | null;
  /** 0 = no limit (the original sets none). */
  cpusPerGpu: number;
  memoryGbPerGpu: number;
  pidsLimit: number;
  /** Read-only root filesystem for jobs that allow it (writable dirs then become per-run binds). */
  readonlyRootfs: boolean;
}

/** Host side of each mount: the job's input folder, the shared cache, and per-run writable folders. */
export interface DockerHostPaths {
  inputDir: string;
  cacheDir: string;
  /** Container path → host folder, used only when the root filesystem is read-only. */
  writable: ReadonlyMap<string, string>;
}

/**
 * Capabilities root inside the container still needs to write into host-owned bind mounts (the cache, the
 * writable folders); everything else is dropped.
 */
export const KEPT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'] as const;

export function dockerCreateBody(spec: ContainerJobSpec, paths: DockerHostPaths, policy: DockerJobPolicy): Record<string, unknown> {
  const gpus = Math.max(1, spec.gpuIds.length);
  const readonly = policy.readonlyRootfs && !spec.rootfsWritable;
  const binds = [`${paths.inputDir}:${spec.inputDir}:ro`, ...spec.cacheDirs.map((d) => `${paths.cacheDir}:${d}:rw`)];
  if (readonly) for (const d of spec.writableDirs) binds.push(`${paths.writable.get(d)}:${d}:rw`);
  const memory = policy.memoryGbPerGpu > 0 ? Math.round(gpus * policy.memoryGbPerGpu * GiB) : 0;
  const network = spec.network === 'none' ? 'none' : policy.network;
  return {
    Image: spec.image,
    Cmd: [...spec.command],
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels },
    NetworkDisabled: network === 'none',
    HostConfig: {
      Binds: binds,
      NetworkMode: network,
      ...(memory > 0 ? { Memory: memory, MemorySwap: memory } : {}),
      ...(policy.cpusPerGpu > 0 ? { NanoCpus: Math.round(gpus * policy.cpusPerGpu * 1e9) } : {}),
      PidsLimit: policy.pidsLimit,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      CapAdd: [...KEPT_CAPABILITIES],
      ReadonlyRootfs: readonly,
      AutoRemove: false,
      ...(policy.runtime ? { Runtime: policy.runtime } : {}),
      ...(spec.gpuIds.length > 0
        ? { DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: spec.gpuIds.map(String), Capabilities: [['gpu']], Options: {} }] }
        : {}),
    },
  };
}
