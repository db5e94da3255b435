/**
 * A trainer job as a Kubernetes `batch/v1` Job, as plain data (docs/trainer.md, "Kubernetes executor").
 *
 * Image: a cluster cannot build the miner's Dockerfile by itself, so the pod runs a pre-built trainer image (one for
 * text, one for image jobs: the reference's standalone trainer images without the miner's code) and the miner's
 * cloned repository is mounted into it where that Dockerfile copies it (`repoMounts`, default the reference's
 * `COPY core /workspace/core` … lines). Inputs and outputs: the trainer's data directory is a PersistentVolumeClaim
 * the trainer pod mounts too; the Job mounts the job's own `cache/` read-only at `/cache` and its `checkpoints/`
 * read-write at `/app/checkpoints` by subPath, so the trainer publishes from the same folder as with Docker.
 *
 * Same limits as the Docker container: GPUs as `nvidia.com/gpu`, CPU and memory per GPU (requests = limits, a
 * Guaranteed pod), shared memory as a memory-backed emptyDir, no privilege escalation, all capabilities dropped,
 * RuntimeDefault seccomp, no service-account token, no service links, backoffLimit 0. No network is a
 * NetworkPolicy selecting `god.network: none` (the cluster enforces it; docs/trainer.md has one).
 */
import { createHash } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';
import type { V1Job, V1VolumeMount } from '@kubernetes/client-node';
import { settingDefs } from '../../config/settings.ts';
import type { TrainerRules } from '../../core/rules/trainer.ts';
import { JOB_LABEL, jobSkeleton } from '../../k8s/manifest.ts';
import { CONTRACT_PATHS } from '../args.ts';
import { containerEnv } from '../docker/requests.ts';
import type { PreparedJob } from '../executor.ts';

export const TRAIN_CONTAINER = 'train';
export { JOB_LABEL };

export interface RepoMount {
  /** Path inside the cloned repository (a folder or a file). */
  from: string;
  /** Where the training container sees it. */
  to: string;
}

/** The reference's standalone-{text,image}-trainer Dockerfiles copy these repo paths into the image. */
export const REFERENCE_REPO_MOUNTS: readonly RepoMount[] = settingDefs.trainerExecutor.k8sRepoMounts.value;

export interface TrainerJobPolicy {
  namespace: string;
  /** Pre-built images per job kind; null = jobs of that kind cannot run here. */
  textImage: string | null;
  imageImage: string | null;
  /** Command the contract's arguments are appended to (the Dockerfile's ENTRYPOINT; a cluster cannot read it). */
  textEntrypoint: string;
  imageEntrypoint: string;
  repoMounts: readonly RepoMount[];
  /** PersistentVolumeClaim holding the trainer's data directory. */
  dataClaim: string;
  /** Where the trainer itself sees that claim's root (job folders must lie below it). */
  dataMountPath: string;
  /** uid and gid of the training container; 0 = root (weaker: the image decides nothing else). */
  runAsUser: number;
  rules: Pick<TrainerRules, 'memoryPerGpuGb' | 'cpusPerGpu' | 'shmGbSmall' | 'shmGbLarge' | 'shmLargeFromGpus' | 'trainingNetwork'>;
  /** Added to the run budget in activeDeadlineSeconds, and the longest the pod may take to start. */
  startupGraceSeconds: number;
  ttlSecondsAfterFinished: number;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  nodeSelector: Readonly<Record<string, string>>;
}

/** Deterministic from the job id (unique per attempt), so a restarted trainer can name what to delete. */
export function trainerJobName(job: Pick<PreparedJob, 'jobId' | 'isImage'>): string {
  return `god-train-${job.isImage ? 'image' : 'text'}-${createHash('sha256').update(job.jobId).digest('hex').slice(0, 16)}`;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export function trainerActiveDeadlineSeconds(job: Pick<PreparedJob, 'runBudgetMs'>, policy: Pick<TrainerJobPolicy, 'startupGraceSeconds'>): number {
  return Math.max(1, Math.ceil(job.runBudgetMs / 1000) + Math.ceil(policy.startupGraceSeconds));
}

const gib = (n: number): string => (Number.isInteger(n) ? `${n}Gi` : `${Math.round(n * 1024)}Mi`);

/** Limits (= requests) of a job with `gpus` GPUs, as the Docker executor computes them; 0 per GPU = no limit. */
export function trainerResources(gpus: number, rules: TrainerJobPolicy['rules']): Record<string, string> {
  const per = Math.max(1, gpus);
  const limits: Record<string, string> = {};
  if (gpus > 0) limits['nvidia.com/gpu'] = String(gpus);
  if (rules.cpusPerGpu > 0) limits.cpu = String(per * rules.cpusPerGpu);
  if (rules.memoryPerGpuGb > 0) limits.memory = gib(per * rules.memoryPerGpuGb);
  return limits;
}

/** The job folder relative to the claim's root; throws when it is not below it. */
export function jobSubPath(job: Pick<PreparedJob, 'jobRoot'>, policy: Pick<TrainerJobPolicy, 'dataMountPath'>): string {
  const rel = relative(resolve(policy.dataMountPath), resolve(job.jobRoot));
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) {
    throw new Error(`job folder ${job.jobRoot} is not inside the shared volume mounted at ${policy.dataMountPath}`);
  }
  return rel.split(sep).join('/');
}

function cleanRepoPath(from: string): string {
  const parts = from.split('/').filter((p) => p && p !== '.');
  if (!parts.length || parts.includes('..')) throw new Error(`repo mount "${from}" must be a path inside the repository`);
  return parts.join('/');
}

export function trainerJobManifest(job: PreparedJob, policy: TrainerJobPolicy): V1Job {
  const image = job.isImage ? policy.imageImage : policy.textImage;
  if (!image) throw new Error(`no trainer image is configured for ${job.isImage ? 'image' : 'text'} jobs (trainerExecutor.${job.isImage ? 'k8sImageImage' : 'k8sTextImage'})`);
  const entrypoint = job.isImage ? policy.imageEntrypoint : policy.textEntrypoint;
  const base = jobSubPath(job, policy);
  const name = trainerJobName(job);
  const gpus = job.gpuIds.length;
  const limits = trainerResources(gpus, policy.rules);
  const shmGb = gpus >= policy.rules.shmLargeFromGpus ? policy.rules.shmGbLarge : policy.rules.shmGbSmall;

  const mounts: V1VolumeMount[] = [
    { name: 'data', mountPath: CONTRACT_PATHS.cacheRoot, subPath: `${base}/cache`, readOnly: true },
    { name: 'data', mountPath: CONTRACT_PATHS.checkpoints, subPath: `${base}/checkpoints` },
    ...policy.repoMounts.map((m) => ({ name: 'data', mountPath: m.to, subPath: `${base}/repo/${cleanRepoPath(m.from)}`, readOnly: true })),
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  const labels = {
    'app.kubernetes.io/managed-by': 'god',
    'god.role': 'training',
    [JOB_LABEL]: name,
    'god.network': policy.rules.trainingNetwork === 'none' ? 'none' : 'default',
    'god.task-id': labelValue(job.taskId),
    'god.task-type': labelValue(job.taskType),
    'god.job-id': labelValue(job.jobId),
  };
  // Hotkeys, model ids (with "/") and repo names do not fit label values; annotations keep them whole.
  const annotations = Object.fromEntries(Object.entries(job.labels).map(([k, v]) => [`god.trainer/${labelValue(k)}`, v]));
  const nonRoot = policy.runAsUser !== 0;
  return jobSkeleton({
    name,
    namespace: policy.namespace,
    labels,
    annotations,
    activeDeadlineSeconds: trainerActiveDeadlineSeconds(job, policy),
    ttlSecondsAfterFinished: policy.ttlSecondsAfterFinished,
    podSecurity: {
      runAsNonRoot: nonRoot,
      runAsUser: policy.runAsUser,
      runAsGroup: policy.runAsUser,
      fsGroup: policy.runAsUser,
      // Never chown the whole shared claim (model cache included) on every pod start.
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    nodeSelector: policy.nodeSelector,
    initContainers: [],
    containers: [
      {
        name: TRAIN_CONTAINER,
        image,
        imagePullPolicy: policy.imagePullPolicy,
        command: [entrypoint],
        args: [...job.args],
        env: containerEnv(job).map((kv) => {
          const eq = kv.indexOf('=');
          return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
        }),
        resources: { limits, requests: { ...limits } },
        volumeMounts: mounts,
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          // Training code writes configs and caches all over the image (the reference's images do).
          readOnlyRootFilesystem: false,
          runAsNonRoot: nonRoot,
          capabilities: { drop: ['ALL'] },
        },
      },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: policy.dataClaim } },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: gib(shmGb) } },
    ],
  });
}
