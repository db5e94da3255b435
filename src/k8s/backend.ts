/**
 * Container jobs as Kubernetes Jobs through @kubernetes/client-node: create the Job, poll its status (and its
 * pod's, to read the exit code and catch configuration errors early), read the pod log once it ends (the output
 * file is its last marker line, see manifest.ts), and delete the Job with its pods in every case. Our own deadline
 * (the run's limit plus the startup grace) backs up the Job's activeDeadlineSeconds.
 */
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { LogTail, type ContainerBackend, type ContainerJobSpec, type ContainerRunResult, type RunOptions } from '../evaluation-exec/backend.ts';
import { ContainerAbortedError, ContainerInputError, ContainerStartError, ContainerTimeoutError, MalformedResultsError } from '../evaluation-exec/errors.ts';
import { podOfJob, pollPause, readJobStatus } from './jobs.ts';
import { INIT_CONTAINER, JOB_LABEL, MAIN_CONTAINER, jobManifest, splitResultLine, type KubernetesJobPolicy } from './manifest.ts';

/** Waiting reasons that never resolve on their own: fail now instead of at the deadline. */
const FATAL_WAITING = new Set(['InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'ErrImageNeverPull']);

export interface KubernetesBackendOptions {
  kubeConfig: KubeConfig;
  policy: KubernetesJobPolicy;
  pollMs: number;
  /** Pod log lines read back at the end (the result line is among the last). */
  logTailLines: number;
}

/** A kubeconfig from a file, or the default chain (KUBECONFIG, ~/.kube/config, in-cluster service account). */
export function loadKubeConfig(path: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as { message?: unknown } | string | undefined;
    const text = typeof body === 'string' ? (() => { try { return (JSON.parse(body) as { message?: string }).message ?? body; } catch { return body; } })() : typeof body?.message === 'string' ? body.message : '';
    return `HTTP ${err.code}${text ? `: ${text}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}


type Phase = { kind: 'running' } | { kind: 'done'; failedReason: string | null } | { kind: 'fatal'; error: Error };

export class KubernetesContainerBackend implements ContainerBackend {
  readonly kind = 'kubernetes' as const;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(private readonly options: KubernetesBackendOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  get namespace(): string {
    return this.options.policy.namespace;
  }

  async run(spec: ContainerJobSpec, opts: RunOptions = {}): Promise<ContainerRunResult> {
    if (opts.signal?.aborted) throw new ContainerAbortedError();
    let manifest: V1Job;
    try {
      manifest = jobManifest(spec, this.options.policy);
    } catch (err) {
      throw new ContainerInputError((err as Error).message);
    }
    try {
      await this.batch.createNamespacedJob({ namespace: this.namespace, body: manifest });
    } catch (err) {
      throw new ContainerStartError(`could not create Job ${spec.name}: ${apiMessage(err)}`);
    }
    try {
      return await this.follow(spec, manifest, opts);
    } finally {
      await this.batch.deleteNamespacedJob({ name: spec.name, namespace: this.namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    }
  }

  private async follow(spec: ContainerJobSpec, manifest: V1Job, opts: RunOptions): Promise<ContainerRunResult> {
    const limitMs = (manifest.spec?.activeDeadlineSeconds ?? 0) * 1000;
    const deadline = Date.now() + limitMs;
    let phase: Phase = { kind: 'running' };
    let pod: V1Pod | null = null;
    while (phase.kind === 'running') {
      if (opts.signal?.aborted) throw new ContainerAbortedError();
      if (Date.now() >= deadline) throw new ContainerTimeoutError(limitMs, await this.logLines(pod, MAIN_CONTAINER), `Job ${spec.name}`);
      phase = await this.phase(spec.name);
      pod = (await this.pod(spec.name)) ?? pod;
      if (phase.kind === 'running' && pod) {
        const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
          .map((s) => s.state?.waiting)
          .find((w) => w?.reason && FATAL_WAITING.has(w.reason));
        if (waiting) phase = { kind: 'fatal', error: new ContainerStartError(`pod of Job ${spec.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`) };
      }
      if (phase.kind === 'running') await pollPause(this.options.pollMs, opts.signal);
    }
    if (phase.kind === 'fatal') throw phase.error;
    if (phase.failedReason === 'DeadlineExceeded') throw new ContainerTimeoutError(limitMs, await this.logLines(pod, MAIN_CONTAINER), `Job ${spec.name}`);

    const init = pod?.status?.initContainerStatuses?.find((s) => s.name === INIT_CONTAINER)?.state?.terminated;
    if (init && init.exitCode !== 0) {
      const lines = await this.logLines(pod, INIT_CONTAINER);
      throw new ContainerInputError(`fetching the inputs failed (exit ${init.exitCode})${lines.length ? `: ${lines[lines.length - 1]}` : ''}`);
    }
    const terminated = pod?.status?.containerStatuses?.find((s) => s.name === MAIN_CONTAINER)?.state?.terminated;
    if (!pod || !terminated) throw new ContainerStartError(`Job ${spec.name} ended (${phase.failedReason ?? 'complete'}) without a finished ${MAIN_CONTAINER} container`);

    const log = await this.readLog(pod, MAIN_CONTAINER);
    const { lines, output, sawMarker } = splitResultLine(log);
    const tail = new LogTail();
    for (const line of lines) {
      tail.push(line);
      opts.onLine?.(line);
    }
    if (terminated.exitCode === 0 && spec.outputPath && !sawMarker) {
      throw new MalformedResultsError(`the result line is not in the last ${this.options.logTailLines} lines of the pod log`, tail.lines);
    }
    return { exitCode: terminated.exitCode, output, logTail: tail.lines };
  }

  private async phase(name: string): Promise<Phase> {
    const status = await readJobStatus(this.batch, this.namespace, name);
    switch (status.kind) {
      case 'gone':
        return { kind: 'fatal', error: new ContainerStartError(`Job ${name} disappeared`) };
      case 'failed':
        return { kind: 'done', failedReason: status.reason };
      case 'complete':
        return { kind: 'done', failedReason: null };
      default:
        // Running, or a transient API error: keep polling until the deadline.
        return { kind: 'running' };
    }
  }

  private pod(jobName: string): Promise<V1Pod | null> {
    return podOfJob(this.core, this.namespace, JOB_LABEL, jobName);
  }

  private async readLog(pod: V1Pod, container: string): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: this.namespace, container, tailLines: this.options.logTailLines });
    } catch {
      return '';
    }
  }

  private async logLines(pod: V1Pod | null, container: string): Promise<string[]> {
    if (!pod) return [];
    return splitResultLine(await this.readLog(pod, container)).lines;
  }
}
