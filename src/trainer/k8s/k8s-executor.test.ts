/**
 * The Kubernetes trainer executor against the fake API server on loopback (src/k8s/testing/fake-api.ts): the real
 * @kubernetes/client-node (and our own log stream) send the requests, the fake checks the Job body with strict
 * schemas and answers as the API server documents. Manifests are asserted field by field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trainerRules } from '../../core/rules/trainer.ts';
import { FakeKubernetesApi, type JobBody } from '../../k8s/testing/fake-api.ts';
import type { PreparedJob, RunHooks, RunOutcome } from '../executor.ts';
import { jobHandleSchema, type JobHandle } from '../store.ts';
import { KubernetesExecutor, type KubernetesExecutorOptions } from './executor.ts';
import { normalizeTimestamp } from './log-follower.ts';
import { REFERENCE_REPO_MOUNTS, labelValue, trainerJobManifest, trainerJobName, type TrainerJobPolicy } from './manifest.ts';

let api: FakeKubernetesApi;
let data: string;

const TEXT_IMAGE = 'registry.example/god/standalone-text-trainer:2025-05';
const IMAGE_IMAGE = 'registry.example/god/standalone-image-trainer:2025-05';
const HOTKEY = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

function policy(over: Partial<TrainerJobPolicy> = {}): TrainerJobPolicy {
  return {
    namespace: 'god-train',
    textImage: TEXT_IMAGE,
    imageImage: IMAGE_IMAGE,
    textEntrypoint: '/workspace/scripts/run_text_trainer.sh',
    imageEntrypoint: '/workspace/scripts/run_image_trainer.sh',
    repoMounts: REFERENCE_REPO_MOUNTS,
    dataClaim: 'god-trainer-data',
    dataMountPath: data,
    runAsUser: 1000,
    rules: trainerRules,
    startupGraceSeconds: 30,
    ttlSecondsAfterFinished: 3600,
    imagePullPolicy: 'IfNotPresent',
    nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    ...over,
  };
}

function textJob(over: Partial<PreparedJob> = {}): PreparedJob {
  const jobRoot = join(data, 'jobs', '3f2a9c0d11e4b7a8-1');
  return {
    jobId: '3f2a9c0d11e4b7a8-1',
    taskId: 'a1b2c3d4-task',
    hotkey: HOTKEY,
    taskType: 'InstructTextTask',
    isImage: false,
    model: 'Qwen/Qwen2.5-0.5B',
    expectedRepoName: 'tourn-abc-1',
    gpuIds: [0, 1, 2, 3],
    jobRoot,
    repoDir: join(jobRoot, 'repo'),
    cacheDir: join(jobRoot, 'cache'),
    checkpointsDir: join(jobRoot, 'checkpoints'),
    outputDir: join(jobRoot, 'checkpoints', 'a1b2c3d4-task', 'tourn-abc-1'),
    args: ['--task-id', 'a1b2c3d4-task', '--model', 'Qwen/Qwen2.5-0.5B', '--dataset', '/cache/datasets/a1b2c3d4-task_train_data.json', '--dataset-type', '{"field_instruction": "instruct"}', '--task-type', 'InstructTextTask', '--file-format', 's3', '--expected-repo-name', 'tourn-abc-1', '--hours-to-complete', '2'],
    runBudgetMs: 7_200_000,
    user: null,
    labels: { task_id: 'a1b2c3d4-task', hotkey: HOTKEY, model: 'Qwen/Qwen2.5-0.5B', task_type: 'InstructTextTask', expected_repo: 'tourn-abc-1' },
    ...over,
  };
}

function imageJob(): PreparedJob {
  const jobRoot = join(data, 'jobs', '77aa00bb11cc22dd-2');
  return textJob({
    jobId: '77aa00bb11cc22dd-2',
    taskId: 'img-task',
    taskType: 'ImageTask',
    isImage: true,
    model: 'stabilityai/stable-diffusion-xl-base-1.0',
    expectedRepoName: 'tourn-img-2',
    gpuIds: [5],
    jobRoot,
    repoDir: join(jobRoot, 'repo'),
    cacheDir: join(jobRoot, 'cache'),
    checkpointsDir: join(jobRoot, 'checkpoints'),
    outputDir: join(jobRoot, 'checkpoints', 'img-task', 'tourn-img-2'),
    args: ['--task-id', 'img-task', '--model', 'stabilityai/stable-diffusion-xl-base-1.0', '--dataset-zip', '/cache/datasets/img-task_tourn.zip', '--model-type', 'sdxl', '--expected-repo-name', 'tourn-img-2', '--hours-to-complete', '1'],
    runBudgetMs: 3_600_000,
    labels: { task_id: 'img-task', hotkey: HOTKEY, model: 'stabilityai/stable-diffusion-xl-base-1.0', task_type: 'ImageTask', expected_repo: 'tourn-img-2' },
  });
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'god', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'god', namespace: 'god-train' }],
    currentContext: 'fake',
  });
  return kc;
}

function executor(over: Partial<TrainerJobPolicy> = {}, opts: Partial<KubernetesExecutorOptions> = {}): KubernetesExecutor {
  return new KubernetesExecutor({ kubeConfig: kubeConfig(), policy: policy(over), pollMs: 20, maxLineChars: 2000, outputMaxBytes: 1024 * 1024, ...opts });
}

interface Recorder {
  hooks: RunHooks;
  lines: string[];
  handles: JobHandle[];
  phases: string[];
  /** What the API server had seen when each hook ran. */
  callsAtHandle: number[];
  controller: AbortController;
}

function recorder(): Recorder {
  const controller = new AbortController();
  const r: Recorder = {
    lines: [],
    handles: [],
    phases: [],
    callsAtHandle: [],
    controller,
    hooks: {
      signal: controller.signal,
      onLine: (stream, line) => void r.lines.push(`${stream}: ${line}`),
      onHandle: async (h) => {
        r.handles.push(structuredClone(h));
        r.callsAtHandle.push(api.requests.length);
      },
      onPhase: async (phase) => void r.phases.push(phase),
    },
  };
  return r;
}

const envOf = (c: JobBody['spec']['template']['spec']['containers'][number]) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

beforeEach(async () => {
  api = new FakeKubernetesApi();
  await api.listen();
  data = await mkdtemp(join(tmpdir(), 'god-k8s-trainer-'));
});

afterEach(async () => {
  await api.close();
  await rm(data, { recursive: true, force: true });
});

describe('the training Job manifest', () => {
  it('a 4-GPU text job: pre-built text image, the contract arguments, per-job subPath mounts of the shared claim, limits per GPU', async () => {
    api.program = () => ({ lines: ['ok'] });
    const job = textJob();
    const out = await executor().run(job, recorder().hooks);
    expect(out).toEqual({ kind: 'exited', code: 0, signal: null, lastError: null });
    const [body] = api.created();
    const name = trainerJobName(job);
    expect(name).toMatch(/^god-train-text-[0-9a-f]{16}$/);
    expect(body).toEqual(trainerJobManifest(job, policy()));
    const labels = {
      'app.kubernetes.io/managed-by': 'god',
      'god.role': 'training',
      'god.job': name,
      'god.network': 'none',
      'god.task-id': 'a1b2c3d4-task',
      'god.task-type': 'InstructTextTask',
      'god.job-id': '3f2a9c0d11e4b7a8-1',
    };
    expect(body!.metadata).toEqual({
      name,
      namespace: 'god-train',
      labels,
      annotations: {
        'god.trainer/task_id': 'a1b2c3d4-task',
        'god.trainer/hotkey': HOTKEY,
        'god.trainer/model': 'Qwen/Qwen2.5-0.5B',
        'god.trainer/task_type': 'InstructTextTask',
        'god.trainer/expected_repo': 'tourn-abc-1',
      },
    });
    const spec = body!.spec;
    expect(spec.backoffLimit).toBe(0);
    expect(spec.completions).toBe(1);
    expect(spec.parallelism).toBe(1);
    expect(spec.activeDeadlineSeconds).toBe(7200 + 30);
    expect(spec.ttlSecondsAfterFinished).toBe(3600);
    expect(spec.template.metadata.labels).toEqual(labels);
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    expect(pod.initContainers).toEqual([]);
    expect(pod.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'god-trainer-data' } },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
    ]);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0]!;
    expect(c.name).toBe('train');
    expect(c.image).toBe(TEXT_IMAGE);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.command).toEqual(['/workspace/scripts/run_text_trainer.sh']);
    expect(c.args).toEqual(job.args);
    const wandb = `/app/checkpoints/wandb_logs/a1b2c3d4-task_${HOTKEY}`;
    expect(envOf(c)).toEqual({ WANDB_MODE: 'offline', WANDB_DIR: wandb, WANDB_CACHE_DIR: wandb, WANDB_ARTIFACT_DIR: wandb, WANDB_DATA_DIR: wandb, WANDB_CONFIG_DIR: wandb });
    const limits = { 'nvidia.com/gpu': '4', cpu: '96', memory: '440Gi' };
    expect(c.resources).toEqual({ limits, requests: limits });
    const sub = 'jobs/3f2a9c0d11e4b7a8-1';
    expect(c.volumeMounts).toEqual([
      { name: 'data', mountPath: '/cache', subPath: `${sub}/cache`, readOnly: true },
      { name: 'data', mountPath: '/app/checkpoints', subPath: `${sub}/checkpoints` },
      { name: 'data', mountPath: '/workspace/core', subPath: `${sub}/repo/core`, readOnly: true },
      { name: 'data', mountPath: '/workspace/miner', subPath: `${sub}/repo/miner`, readOnly: true },
      { name: 'data', mountPath: '/workspace/trainer', subPath: `${sub}/repo/trainer`, readOnly: true },
      { name: 'data', mountPath: '/workspace/scripts', subPath: `${sub}/repo/scripts`, readOnly: true },
      { name: 'shm', mountPath: '/dev/shm' },
    ]);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  it('a 1-GPU image job: the image trainer image and entrypoint, HF cache env, small shm; a bridge network rule labels it default', async () => {
    api.program = () => ({ lines: ['ok'] });
    const job = imageJob();
    await executor({ rules: { ...trainerRules, trainingNetwork: 'bridge' }, nodeSelector: {}, runAsUser: 0 }).run(job, recorder().hooks);
    const [body] = api.created();
    expect(body!.metadata.name).toMatch(/^god-train-image-[0-9a-f]{16}$/);
    expect(body!.metadata.labels['god.task-type']).toBe('ImageTask');
    expect(body!.metadata.labels['god.network']).toBe('default');
    expect(body!.spec.activeDeadlineSeconds).toBe(3600 + 30);
    const pod = body!.spec.template.spec;
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.securityContext.runAsNonRoot).toBe(false);
    expect(pod.securityContext.runAsUser).toBe(0);
    expect(pod.volumes[1]).toEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } });
    const c = pod.containers[0]!;
    expect(c.image).toBe(IMAGE_IMAGE);
    expect(c.command).toEqual(['/workspace/scripts/run_image_trainer.sh']);
    expect(c.args).toEqual(['--task-id', 'img-task', '--model', 'stabilityai/stable-diffusion-xl-base-1.0', '--dataset-zip', '/cache/datasets/img-task_tourn.zip', '--model-type', 'sdxl', '--expected-repo-name', 'tourn-img-2', '--hours-to-complete', '1']);
    expect(envOf(c)).toEqual({ TRANSFORMERS_CACHE: '/cache/hf_cache' });
    expect(c.resources.limits).toEqual({ 'nvidia.com/gpu': '1', cpu: '24', memory: '110Gi' });
    expect(c.securityContext.runAsNonRoot).toBe(false);
    expect(c.volumeMounts[0]).toEqual({ name: 'data', mountPath: '/cache', subPath: 'jobs/77aa00bb11cc22dd-2/cache', readOnly: true });
  });

  it('refuses before creating anything: no image for the kind, a job folder outside the claim, a repo mount escaping the repo', async () => {
    const r = recorder();
    expect(await executor({ imageImage: null }).run(imageJob(), r.hooks)).toEqual({ kind: 'start_failed', error: 'no trainer image is configured for image jobs (trainerExecutor.k8sImageImage)' });
    const outside = await executor({ dataMountPath: join(data, 'elsewhere') }).run(textJob(), r.hooks);
    expect(outside).toEqual({ kind: 'start_failed', error: `job folder ${join(data, 'jobs', '3f2a9c0d11e4b7a8-1')} is not inside the shared volume mounted at ${join(data, 'elsewhere')}` });
    expect(await executor({ repoMounts: [{ from: '../../cache', to: '/x' }] }).run(textJob(), r.hooks)).toEqual({ kind: 'start_failed', error: 'repo mount "../../cache" must be a path inside the repository' });
    expect(api.requests).toHaveLength(0);
    expect(r.handles).toEqual([]);
  });

  it('label values are cut to what the API accepts', () => {
    expect(labelValue('__a/b c__')).toBe('a_b_c');
    expect(labelValue('x'.repeat(70))).toHaveLength(63);
    expect(normalizeTimestamp('2025-05-01T10:00:00.5Z')).toEqual({ full: '2025-05-01T10:00:00.500000000Z', second: '2025-05-01T10:00:00Z' });
    expect(normalizeTimestamp('2025-05-01T10:00:00Z')!.full).toBe('2025-05-01T10:00:00.000000000Z');
    expect(normalizeTimestamp('garbage')).toBeNull();
  });
});

describe('running a training Job', () => {
  it('succeeded: handle recorded before the Job exists, log lines streamed in order, phases, Job deleted with its pods', async () => {
    api.program = () => ({ lines: ['loading model', 'step 1 loss 2.3', 'saved'], afterMs: 150 });
    const r = recorder();
    const job = textJob();
    const out = await executor().run(job, r.hooks);
    expect(out).toEqual({ kind: 'exited', code: 0, signal: null, lastError: null });
    const name = trainerJobName(job);
    expect(r.handles).toEqual([{ kind: 'kubernetes', namespace: 'god-train', jobName: name }]);
    expect(r.callsAtHandle).toEqual([0]);
    expect(r.phases).toEqual(['building', 'running']);
    expect(r.lines).toEqual(['stdout: loading model', 'stdout: step 1 loss 2.3', 'stdout: saved']);
    const calls = api.calls();
    expect(calls[0]).toBe('POST /apis/batch/v1/namespaces/god-train/jobs');
    expect(calls).toContain(`GET /apis/batch/v1/namespaces/god-train/jobs/${name}/status`);
    expect(calls).toContain('GET /api/v1/namespaces/god-train/pods');
    expect(calls.at(-1)).toBe(`DELETE /apis/batch/v1/namespaces/god-train/jobs/${name}`);
    const logReq = api.requests.find((q) => q.path.endsWith('/log'))!;
    expect(logReq.path).toBe(`/api/v1/namespaces/god-train/pods/${name}-x7k2p/log`);
    expect(logReq.query).toEqual({ container: 'train', follow: 'true', timestamps: 'true' });
    expect(api.requests.find((q) => q.path.endsWith('/pods'))!.query).toEqual({ labelSelector: `god.job=${name}` });
    expect(api.deleted).toEqual([`${name}?propagationPolicy=Background`]);
    expect(api.jobs.size).toBe(0);
  });

  it('failed: the exit code and the last error line', async () => {
    api.program = () => ({ lines: ['Traceback (most recent call last):', 'ValueError: dataset has no rows', 'exiting'], exitCode: 3 });
    const out = await executor().run(textJob(), recorder().hooks);
    expect(out).toEqual({ kind: 'exited', code: 3, signal: null, lastError: 'ValueError: dataset has no rows' });
    expect(api.jobs.size).toBe(0);
  });

  it('OOMKilled is the memory outcome', async () => {
    api.program = () => ({ lines: ['allocating'], exitCode: 137, terminatedReason: 'OOMKilled' });
    expect(await executor().run(textJob(), recorder().hooks)).toEqual({ kind: 'memory' });
    expect(api.deleted).toHaveLength(1);
  });

  it('deadline: our own (run budget from the container start) deletes the Job; DeadlineExceeded from the Job controller too', async () => {
    api.program = () => ({ hang: true, lines: ['epoch 1'] });
    const r = recorder();
    const started = Date.now();
    expect(await executor().run(textJob({ runBudgetMs: 300 }), r.hooks)).toEqual({ kind: 'deadline' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.lines).toEqual(['stdout: epoch 1']);
    expect(api.created()[0]!.spec.activeDeadlineSeconds).toBe(1 + 30);
    expect(api.deleted).toHaveLength(1);
    expect(api.jobs.size).toBe(0);

    api.program = () => ({ hang: true, deadlineAfterMs: 100 });
    expect(await executor().run(textJob({ jobId: 'other-1' }), recorder().hooks)).toEqual({ kind: 'deadline' });
    expect(api.jobs.size).toBe(0);
  });

  it('image pull back-off fails the start at once; a container that never starts fails at the startup grace', async () => {
    api.program = () => ({ waitingReason: 'ImagePullBackOff' });
    const started = Date.now();
    const out = await executor().run(textJob(), recorder().hooks);
    expect(out).toEqual({ kind: 'start_failed', error: `pod of Job ${trainerJobName(textJob())}: ImagePullBackOff: bad image "${TEXT_IMAGE}"` });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(api.jobs.size).toBe(0);

    api.program = () => ({ startAfterMs: 60_000 });
    const r = recorder();
    const slow = await executor({ startupGraceSeconds: 0.3 }).run(textJob(), r.hooks);
    expect(slow).toEqual({ kind: 'start_failed', error: `the training container of Job ${trainerJobName(textJob())} was not running within 0.3 s (ContainerCreating)` });
    expect(r.phases).toEqual(['building']);
    expect(api.jobs.size).toBe(0);
  });

  it('a Job name clash or an API refusal is a start failure', async () => {
    api.program = () => ({ hang: true });
    await kubeConfig().makeApiClient(BatchV1Api).createNamespacedJob({ namespace: 'god-train', body: trainerJobManifest(textJob(), policy()) });
    const out = await executor().run(textJob(), recorder().hooks);
    expect(out).toEqual({ kind: 'start_failed', error: `could not create Job ${trainerJobName(textJob())}: HTTP 409: jobs.batch "${trainerJobName(textJob())}" already exists` });
  });

  it('cancellation through the signal deletes the Job (Background) and reports the stop', async () => {
    api.program = () => ({ hang: true, lines: ['training'] });
    const r = recorder();
    const running = executor().run(textJob(), r.hooks);
    while (!r.phases.includes('running')) await new Promise((res) => setTimeout(res, 10));
    r.controller.abort();
    expect(await running).toEqual({ kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' });
    expect(api.deleted).toEqual([`${trainerJobName(textJob())}?propagationPolicy=Background`]);
    expect(api.jobs.size).toBe(0);
  });

  it('an output folder over its limit stops the Job', async () => {
    api.program = () => ({ hang: true });
    const r = recorder();
    const job = textJob();
    const running = executor({}, { outputMaxBytes: 4096 }).run(job, r.hooks);
    while (!r.phases.includes('running')) await new Promise((res) => setTimeout(res, 10));
    await writeFile(join(job.checkpointsDir, 'flood.bin'), Buffer.alloc(64 * 1024, 1));
    const out = await running;
    expect(out.kind).toBe('output_limit');
    expect((out as Extract<RunOutcome, { kind: 'output_limit' }>).bytes).toBeGreaterThan(4096);
    expect(api.jobs.size).toBe(0);
  });

  it('a log stream cut while the container runs is reopened from the last line, without repeating lines', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => `line ${i}`);
    api.program = () => ({ lines, dropLogAfterLines: 2, afterMs: 400 });
    const r = recorder();
    expect(await executor().run(textJob(), r.hooks)).toMatchObject({ kind: 'exited', code: 0 });
    expect(r.lines).toEqual(lines.map((l) => `stdout: ${l}`));
    const logs = api.requests.filter((q) => q.path.endsWith('/log'));
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs[0]!.query.sinceTime).toBeUndefined();
    const job = [...api.requests][0]!;
    expect(job.method).toBe('POST');
    // Reopened from the second of line 1 (sinceTime has second precision).
    expect(logs[1]!.query.sinceTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('restart clean-up', () => {
  it('a handle persisted by a dead trainer deletes its leftover Job; a Job already gone is fine', async () => {
    api.program = () => ({ hang: true });
    const job = textJob();
    await kubeConfig().makeApiClient(BatchV1Api).createNamespacedJob({ namespace: 'god-train', body: trainerJobManifest(job, policy()) });
    expect(api.jobs.size).toBe(1);
    // The handle as the state file stores and reloads it.
    const handle = jobHandleSchema.parse(JSON.parse(JSON.stringify({ kind: 'kubernetes', namespace: 'god-train', jobName: trainerJobName(job) })));
    const ex = executor();
    await ex.recover(handle);
    expect(api.deleted).toEqual([`${trainerJobName(job)}?propagationPolicy=Background`]);
    expect(api.jobs.size).toBe(0);
    await expect(ex.recover(handle)).resolves.toBeUndefined();
    await expect(ex.recover({ kind: 'docker', containerId: 'abc', imageTag: null })).resolves.toBeUndefined();
    expect(api.deleted).toHaveLength(1);
  });
});
