/**
 * Trainer jobs as Kubernetes Jobs (manifest.ts says what the pod gets). The executor records a handle before the Job
 * exists (a restarted trainer deletes it: recover), creates the Job, waits for the training container to run
 * (image pull and scheduling within the startup grace), streams its log into onLine, and maps the end to an
 * outcome: exit code, our deadline or the Job's DeadlineExceeded, OOMKilled, a waiting reason that never heals or a
 * container that could not start. The output folder on the shared claim is size-checked while it runs. The Job is
 * deleted with its pods (propagationPolicy Background) in every case; ttlSecondsAfterFinished backs that up.
 */
import { mkdir } from 'node:fs/promises';
import { ApiException, BatchV1Api, CoreV1Api, type KubeConfig, type V1ContainerStatus, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { apiMessage } from '../../k8s/backend.ts';
import { podOfJob, pollPause, readJobStatus, type JobStatus } from '../../k8s/jobs.ts';
import { folderUsage } from '../../isolation/usage.ts';
import { lastErrorLine, type Executor, type IsolationLine, type PreparedJob, type RunHooks, type RunOutcome } from '../executor.ts';
import type { JobHandle } from '../store.ts';
import { LogFollower } from './log-follower.ts';
import { JOB_LABEL, TRAIN_CONTAINER, trainerJobManifest, type TrainerJobPolicy } from './manifest.ts';

/** Waiting reasons that do not heal on their own (ErrImagePull does: kubelet retries, then reports the back-off). */
export const FATAL_WAITING = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
/** Terminated reasons of a container that never ran the program. */
const START_ERRORS = new Set(['StartError', 'ContainerCannotRun']);

export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  policy: TrainerJobPolicy;
  pollMs: number;
  maxLineChars: number;
  outputMaxBytes: number;
}

const STOPPED: RunOutcome = { kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' };


type JobState = JobStatus;

export class KubernetesExecutor implements Executor {
  readonly kind = 'kubernetes' as const;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(private readonly options: KubernetesExecutorOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  private get namespace(): string {
    return this.options.policy.namespace;
  }

  isolation(): IsolationLine[] {
    const p = this.options.policy;
    const r = p.rules;
    return [
      { layer: 'pod network', active: r.trainingNetwork === 'none', detail: `pods labelled god.network=${r.trainingNetwork === 'none' ? 'none' : 'default'}; a NetworkPolicy selecting it must exist (not checked)` },
      { layer: 'no privilege escalation, all capabilities dropped, RuntimeDefault seccomp', active: true, detail: 'container securityContext' },
      { layer: 'non-root', active: p.runAsUser !== 0, detail: `runAsUser ${p.runAsUser}` },
      { layer: 'GPU / CPU / memory', active: true, detail: `nvidia.com/gpu per job; ${r.cpusPerGpu} CPUs and ${r.memoryPerGpuGb} GiB per GPU (requests = limits)` },
      { layer: 'read-only inputs', active: true, detail: `claim ${p.dataClaim}: the job's cache/ at /cache, ro` },
      { layer: 'per-job outputs', active: true, detail: `the job's checkpoints/ at /app/checkpoints, size checked every ${this.options.pollMs} ms (limit ${this.options.outputMaxBytes} bytes)` },
      { layer: 'no service-account token', active: true, detail: 'automountServiceAccountToken false' },
      { layer: 'deadline', active: true, detail: `hours_to_complete from the container's start, then the Job is deleted; activeDeadlineSeconds adds ${p.startupGraceSeconds} s` },
    ];
  }

  async run(job: PreparedJob, hooks: RunHooks): Promise<RunOutcome> {
    let manifest: V1Job;
    try {
      manifest = trainerJobManifest(job, this.options.policy);
    } catch (error) {
      return { kind: 'start_failed', error: (error as Error).message };
    }
    const name = manifest.metadata!.name!;
    await mkdir(job.checkpointsDir, { recursive: true });
    const handle: JobHandle = { kind: 'kubernetes', namespace: this.namespace, jobName: name };
    await hooks.onHandle(handle);
    try {
      return await this.runInner(job, hooks, manifest, name);
    } finally {
      await this.deleteJob(this.namespace, name).catch(() => undefined);
    }
  }

  private async runInner(job: PreparedJob, hooks: RunHooks, manifest: V1Job, name: string): Promise<RunOutcome> {
    if (hooks.signal.aborted) return STOPPED;
    const image = manifest.spec!.template.spec!.containers[0]!.image!;
    await hooks.onPhase('building', `Creating Kubernetes Job ${this.namespace}/${name} (image ${image})`);
    try {
      await this.batch.createNamespacedJob({ namespace: this.namespace, body: manifest });
    } catch (error) {
      return { kind: 'start_failed', error: `could not create Job ${name}: ${apiMessage(error)}` };
    }

    const { pollMs, maxLineChars, outputMaxBytes } = this.options;
    const startBy = Date.now() + this.options.policy.startupGraceSeconds * 1000;
    const recent: string[] = [];
    let follower: LogFollower | null = null;
    let runDeadline: number | null = null;
    let pending = 'not scheduled yet';
    let usageInFlight = false;
    let outputBytes: number | null = null;
    let verdict: RunOutcome | null = null;

    while (!verdict) {
      if (hooks.signal.aborted) {
        verdict = STOPPED;
        break;
      }
      if (outputBytes !== null) {
        verdict = { kind: 'output_limit', bytes: outputBytes };
        break;
      }
      const now = Date.now();
      if (runDeadline !== null && now >= runDeadline) {
        verdict = { kind: 'deadline' };
        break;
      }
      if (runDeadline === null && now >= startBy) {
        verdict = { kind: 'start_failed', error: `the training container of Job ${name} was not running within ${this.options.policy.startupGraceSeconds} s (${pending})` };
        break;
      }

      const state = await this.jobState(name);
      const pod = state.kind === 'gone' ? null : await this.pod(name);
      const main = pod?.status?.containerStatuses?.find((s) => s.name === TRAIN_CONTAINER);
      const waiting = main?.state?.waiting;
      if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
        verdict = { kind: 'start_failed', error: `pod of Job ${name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` };
        break;
      }
      pending = describePending(pod, main) ?? pending;
      if (runDeadline === null && pod && (main?.state?.running || main?.state?.terminated)) {
        runDeadline = Date.now() + job.runBudgetMs;
        const podName = pod.metadata?.name ?? '';
        follower = new LogFollower({
          kubeConfig: this.options.kubeConfig,
          namespace: this.namespace,
          pod: podName,
          container: TRAIN_CONTAINER,
          maxLineChars,
          reconnectMs: pollMs,
          onLine: (line) => {
            recent.push(line);
            if (recent.length > 200) recent.shift();
            hooks.onLine('stdout', line);
          },
        });
        await hooks.onPhase('running', `Pod ${podName} started`);
      }

      if (state.kind === 'gone') {
        verdict = runDeadline === null ? { kind: 'start_failed', error: `Job ${name} disappeared` } : { kind: 'exited', code: null, signal: null, lastError: `Job ${name} was deleted while it ran` };
        break;
      }
      if (state.kind === 'failed' && state.reason === 'DeadlineExceeded') {
        verdict = { kind: 'deadline' };
        break;
      }
      if (state.kind !== 'active') {
        verdict = this.ended(name, state, main, runDeadline !== null);
        break;
      }
      if (runDeadline !== null && !usageInFlight) {
        usageInFlight = true;
        void folderUsage(job.checkpointsDir)
          .then((u) => {
            if (u.truncated || u.bytes > outputMaxBytes) outputBytes = u.bytes;
          })
          .catch(() => undefined)
          .finally(() => (usageInFlight = false));
      }
      await pollPause(Math.min(pollMs, (runDeadline ?? startBy) - Date.now()), hooks.signal);
    }

    if (follower) {
      // After the container ended the stream ends by itself: give it a moment to deliver the tail. A container we
      // are about to kill gets no such wait.
      if (verdict !== STOPPED && (verdict.kind === 'exited' || verdict.kind === 'memory')) {
        follower.finish();
        await Promise.race([follower.done, new Promise((r) => setTimeout(r, 2000))]);
      }
      follower.stop();
    }
    if (verdict.kind === 'exited' && verdict.lastError === null) return { ...verdict, lastError: lastErrorLine(recent) };
    return verdict;
  }

  private ended(name: string, state: JobState & { kind: 'complete' | 'failed' }, main: V1ContainerStatus | undefined, started: boolean): RunOutcome {
    const t = main?.state?.terminated;
    if (t?.reason === 'OOMKilled') return { kind: 'memory' };
    if (t && START_ERRORS.has(t.reason ?? '')) return { kind: 'start_failed', error: `the training container of Job ${name} could not start: ${t.reason}${t.message ? `: ${t.message}` : ''}` };
    if (t) return { kind: 'exited', code: t.exitCode, signal: null, lastError: null };
    const why = state.kind === 'failed' ? `${state.reason}${state.message ? `: ${state.message}` : ''}` : 'complete';
    if (!started) return { kind: 'start_failed', error: `Job ${name} ended (${why}) before its training container ran` };
    return { kind: 'exited', code: null, signal: null, lastError: `Job ${name} ended (${why}) without the container's exit status` };
  }

  private jobState(name: string): Promise<JobState> {
    // A transient API error reads as active: the deadlines still apply.
    return readJobStatus(this.batch, this.namespace, name);
  }

  private pod(jobName: string): Promise<V1Pod | null> {
    return podOfJob(this.core, this.namespace, JOB_LABEL, jobName);
  }

  private async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return;
      throw err;
    }
  }

  async recover(handle: JobHandle): Promise<void> {
    if (handle.kind !== 'kubernetes') return;
    await this.deleteJob(handle.namespace, handle.jobName);
  }
}

/** Why the training container is not running yet, for the start-timeout message. */
function describePending(pod: V1Pod | null, main: V1ContainerStatus | undefined): string | null {
  if (!pod) return null;
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `${unscheduled.reason ?? 'Unschedulable'}${unscheduled.message ? `: ${unscheduled.message}` : ''}`;
  const w = main?.state?.waiting;
  if (w?.reason) return `${w.reason}${w.message ? `: ${w.message}` : ''}`;
  return `pod ${pod.status?.phase ?? 'Pending'}`;
}
