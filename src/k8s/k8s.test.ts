/**
 * The Kubernetes backend against a fake API server on loopback: the real @kubernetes/client-node sends the
 * requests, the fake records them and answers as the API server documents. Manifests are asserted field by
 * field; the wrapper script and the input fetcher run for real under /bin/sh and python3.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerExitError, ContainerInputError, ContainerStartError, ContainerTimeoutError, MalformedResultsError } from '../evaluation-exec/errors.ts';
import { ContainerEvaluationExecutor, type ContainerExecutorOptions } from '../evaluation-exec/executor.ts';
import { zipStore } from '../validator/prep/zip.ts';
import type { EvaluationJob } from '../validator/ports.ts';
import { KubernetesContainerBackend } from './backend.ts';
import { FETCH_SCRIPT, RESULT_MARKER, WRAPPER_SCRIPT, splitResultLine, type KubernetesJobPolicy } from './manifest.ts';
import { FakeKubernetesApi, type JobBody } from './testing/fake-api.ts';

const run = promisify(execFile);
const IMAGE = 'weightswandering/tuning_vali:latest';
const URL_ = 'http://blobs.test/t1/test.json?sig=1';

let api: FakeKubernetesApi;

const policy: KubernetesJobPolicy = {
  namespace: 'god-eval',
  runAsUser: 1000,
  runAsGroup: 1000,
  cpusPerGpu: 8,
  memoryGbPerGpu: 64,
  cacheClaim: 'hf-cache',
  readOnlyRootFilesystem: true,
  ttlSecondsAfterFinished: 600,
  startupGraceSeconds: 0,
  fetchImage: null,
  imagePullPolicy: 'IfNotPresent',
  nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
  maxInlineInputBytes: 256 * 1024,
};

function job(over: Partial<EvaluationJob> = {}): EvaluationJob {
  return {
    task_id: 't1',
    task_type: 'InstructTextTask',
    split: 'test',
    dataset_url: URL_,
    original_model: 'Qwen/Qwen2.5-0.5B',
    dataset_type: { field_instruction: 'instruct', field_output: 'output' },
    file_format: 'json',
    model_type: null,
    repos: ['alice/m1', 'bob/m1'],
    gpu_ids: [0, 1],
    ...over,
  };
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'god', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'god', namespace: 'god-eval' }],
    currentContext: 'fake',
  });
  return kc;
}

function executor(over: Partial<ContainerExecutorOptions> = {}, pol: Partial<KubernetesJobPolicy> = {}) {
  let n = 0;
  return new ContainerEvaluationExecutor({
    backend: new KubernetesContainerBackend({ kubeConfig: kubeConfig(), policy: { ...policy, ...pol }, pollMs: 20, logTailLines: 200 }),
    textImage: IMAGE,
    diffusionImage: 'diagonalge/tuning_validator_diffusion:latest',
    isolation: 'per_repo',
    repoTimeoutMs: 60_000,
    grpoPrefetch: false,
    prefetchTimeoutMs: 60_000,
    suffix: () => `r${n++}`,
    ...over,
  });
}

const envOf = (c: JobBody['spec']['template']['spec']['containers'][number]) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));
const modelsOf = (j: JobBody) => envOf(j.spec.template.spec.containers[0]!).MODELS!;
const results = (j: JobBody) => JSON.stringify({ model_params_count: 494032768, [modelsOf(j)]: { eval_loss: modelsOf(j).length / 10, is_finetune: true } });

beforeEach(async () => {
  api = new FakeKubernetesApi();
  api.program = (j) => ({ lines: ['loading', 'done'], output: results(j) });
  await api.listen();
});

afterEach(async () => {
  await api.close();
});

describe('evaluation as Kubernetes Jobs', () => {
  it('creates one hardened Job per repo, reads the result line from the pod log, and deletes the Job', async () => {
    const out = await executor().run(job());
    expect(out).toEqual({ model_params_count: 494032768, 'alice/m1': { eval_loss: 0.8, is_finetune: true }, 'bob/m1': { eval_loss: 0.6, is_finetune: true } });
    const calls = api.calls();
    expect(calls[0]).toBe('POST /apis/batch/v1/namespaces/god-eval/jobs');
    expect(calls).toContain('GET /apis/batch/v1/namespaces/god-eval/jobs/god-eval-instructtext-r0/status');
    expect(calls).toContain('GET /api/v1/namespaces/god-eval/pods');
    expect(calls).toContain('GET /api/v1/namespaces/god-eval/pods/god-eval-instructtext-r0-x7k2p/log');
    expect(calls).toContain('DELETE /apis/batch/v1/namespaces/god-eval/jobs/god-eval-instructtext-r0');
    expect(api.requests.find((r) => r.path.endsWith('/pods'))!.query).toEqual({ labelSelector: 'god.job=god-eval-instructtext-r0' });
    expect(api.requests.find((r) => r.path.endsWith('/log'))!.query).toEqual({ container: 'main', tailLines: '200' });
    expect(api.deleted).toEqual(['god-eval-instructtext-r0?propagationPolicy=Background', 'god-eval-instructtext-r1?propagationPolicy=Background']);
    expect(api.jobs.size).toBe(0);

    const [first, second] = api.created();
    expect(modelsOf(first!)).toBe('alice/m1');
    expect(modelsOf(second!)).toBe('bob/m1');
    const j = first!;
    const labels = { 'god.role': 'evaluation', 'god.task-id': 't1', 'god.split': 'test', 'god.job': 'god-eval-instructtext-r0', 'god.network': 'default', 'app.kubernetes.io/managed-by': 'god' };
    expect(j.metadata).toEqual({ name: 'god-eval-instructtext-r0', namespace: 'god-eval', labels });
    expect(j.spec.backoffLimit).toBe(0);
    expect(j.spec.completions).toBe(1);
    expect(j.spec.parallelism).toBe(1);
    expect(j.spec.activeDeadlineSeconds).toBe(60);
    expect(j.spec.ttlSecondsAfterFinished).toBe(600);
    const pod = j.spec.template.spec;
    expect(j.spec.template.metadata.labels).toEqual(labels);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    const hardened = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

    const main = pod.containers[0]!;
    expect(main.name).toBe('main');
    expect(main.image).toBe(IMAGE);
    expect(main.imagePullPolicy).toBe('IfNotPresent');
    expect(main.command).toEqual(['/bin/sh', '-c', WRAPPER_SCRIPT, 'god-wrap', 'python', '-m', 'validator.evaluation.eval_instruct_text']);
    expect(envOf(main)).toEqual({
      DATASET: '/workspace/input_data/t1_test_data.json',
      MODELS: 'alice/m1',
      ORIGINAL_MODEL: 'Qwen/Qwen2.5-0.5B',
      DATASET_TYPE: '{"field_instruction":"instruct","field_output":"output"}',
      FILE_FORMAT: 'json',
      TRANSFORMERS_ALLOW_TORCH_LOAD: 'true',
      HOME: '/root',
      GOD_OUTPUT: '/aplp/evaluation_results.json',
      GOD_RESULT_MARKER: RESULT_MARKER,
    });
    const limits = { 'nvidia.com/gpu': '2', cpu: '16', memory: '128Gi' };
    expect(main.resources).toEqual({ limits, requests: limits });
    expect(main.securityContext).toEqual(hardened);
    expect(main.volumeMounts).toEqual([
      { name: 'input', mountPath: '/workspace/input_data', readOnly: true },
      { name: 'cache', mountPath: '/root/.cache/huggingface/hub' },
      { name: 'w0', mountPath: '/aplp' },
      { name: 'w1', mountPath: '/tmp' },
      { name: 'w2', mountPath: '/root' },
      { name: 'w3', mountPath: '/app/outputs' },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'input', emptyDir: {} },
      { name: 'fetch-tmp', emptyDir: {} },
      { name: 'cache', persistentVolumeClaim: { claimName: 'hf-cache' } },
      { name: 'w0', emptyDir: {} },
      { name: 'w1', emptyDir: {} },
      { name: 'w2', emptyDir: {} },
      { name: 'w3', emptyDir: {} },
    ]);

    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0]!;
    expect(init.name).toBe('fetch-inputs');
    expect(init.image).toBe(IMAGE);
    expect(init.command).toEqual(['python3', '-c', FETCH_SCRIPT]);
    expect(envOf(init)).toEqual({ GOD_INPUT_DIR: '/workspace/input_data', GOD_INPUTS: JSON.stringify([{ name: 't1_test_data.json', url: URL_ }]), HOME: '/tmp' });
    expect(init.volumeMounts).toEqual([{ name: 'input', mountPath: '/workspace/input_data' }, { name: 'fetch-tmp', mountPath: '/tmp' }]);
    expect(init.securityContext).toEqual(hardened);
    expect(init.resources).toEqual({ limits: { cpu: '1', memory: '4Gi' }, requests: { cpu: '250m', memory: '512Mi' } });
  });

  it('GRPO pods are labelled for a deny-egress NetworkPolicy; image pods keep a writable root filesystem', async () => {
    await executor().run(job({ task_type: 'GrpoTask', repos: ['alice/m1'], dataset_type: { field_prompt: 'prompt', reward_functions: [] } }));
    api.program = (j) => ({ output: JSON.stringify({ [modelsOf(j)]: { eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] } } }) });
    await executor({}, { cacheClaim: null }).run(job({ task_type: 'ImageTask', repos: ['alice/lora'], dataset_type: null, model_type: 'sdxl' }));
    const [grpo, image] = api.created();
    expect(grpo!.spec.template.metadata.labels['god.network']).toBe('none');
    expect(grpo!.spec.template.spec.containers[0]!.command.slice(4)).toEqual(['python', '-m', 'validator.evaluation.eval_grpo']);
    const main = image!.spec.template.spec.containers[0]!;
    expect(main.command.slice(4)).toEqual(['/app/start.sh']);
    expect(main.securityContext.readOnlyRootFilesystem).toBe(false);
    expect(image!.spec.template.metadata.labels['god.network']).toBe('default');
    expect(envOf(image!.spec.template.spec.initContainers[0]!).GOD_INPUTS).toBe(JSON.stringify([{ name: '', url: URL_, unzip: true }]));
    expect(image!.spec.template.spec.volumes.find((v) => v.name === 'cache')).toEqual({ name: 'cache', emptyDir: {} });
    expect(main.volumeMounts.filter((m) => m.name === 'cache').map((m) => m.mountPath)).toEqual([
      '/app/validator/evaluation/ComfyUI/models/checkpoints',
      '/app/validator/evaluation/ComfyUI/models/diffusers',
    ]);
  });

  it('a failing pod is a typed error: exit code (isolated → that repo), init failure, bad image, name clash', async () => {
    api.program = (j) => (modelsOf(j) === 'alice/m1' ? { lines: ['Traceback', 'ValueError: Invalid reward function'], exitCode: 1 } : { output: results(j) });
    const out = await executor().run(job());
    expect(out['alice/m1']).toBe('Evaluation failed for alice/m1: evaluation container exited with status 1: ValueError: Invalid reward function');
    expect(out['bob/m1']).toEqual({ eval_loss: 0.6, is_finetune: true });

    api.program = () => ({ exitCode: 3, lines: ['boom'] });
    const err = await executor({ isolation: 'contract' }).run(job()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerExitError);
    expect((err as ContainerExitError).exitCode).toBe(3);

    api.program = () => ({ initExitCode: 1, initLines: ['urllib.error.HTTPError: HTTP Error 403: Forbidden'] });
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toThrow(new ContainerInputError('fetching the inputs failed (exit 1): urllib.error.HTTPError: HTTP Error 403: Forbidden'));

    api.program = () => ({ waitingReason: 'InvalidImageName' });
    const started = Date.now();
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toBeInstanceOf(ContainerStartError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(api.jobs.size).toBe(0);

    api.program = () => ({ hang: true });
    const clash = executor({ isolation: 'contract', suffix: () => 'same' });
    const first = clash.run(job());
    await new Promise((r) => setTimeout(r, 100));
    await expect(clash.run(job())).rejects.toThrow(/could not create Job god-eval-instructtext-same: HTTP 409: jobs.batch "god-eval-instructtext-same" already exists/);
    api.jobs.clear();
    await expect(first).rejects.toBeInstanceOf(ContainerStartError);
  });

  it('times out: our own deadline deletes a hanging Job; DeadlineExceeded from the Job controller is a timeout too', async () => {
    api.program = () => ({ hang: true, lines: ['still loading'] });
    const err = await executor({ isolation: 'contract', repoTimeoutMs: 200 }).run(job()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerTimeoutError);
    expect((err as ContainerTimeoutError).logTail).toEqual(['still loading']);
    expect(api.deleted).toHaveLength(1);
    expect(api.created()[0]!.spec.activeDeadlineSeconds).toBe(1);

    api.program = () => ({ hang: true, deadlineAfterMs: 50 });
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toBeInstanceOf(ContainerTimeoutError);
    const out = await executor().run(job({ repos: ['alice/m1'] }));
    expect(out['alice/m1']).toMatch(/^Evaluation failed for alice\/m1: Job god-eval-instructtext-r0 did not finish within 60 s and was killed$/);
  });

  it('a clean exit without a results file, or with garbage in it, is a malformed-results error', async () => {
    api.program = () => ({ exitCode: 0 });
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toThrow(/wrote no results file/);
    api.program = () => ({ output: 'Traceback (most recent call last)' });
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toBeInstanceOf(MalformedResultsError);
    api.program = () => ({ output: 'x', lines: Array.from({ length: 300 }, (_, i) => `line ${i}`) });
    // The result line is always last, so a long log does not hide it.
    await expect(executor({ isolation: 'contract' }).run(job())).rejects.toThrow(/not JSON/);
  });

  it('refuses inline inputs too large for a pod spec before creating anything', async () => {
    const { KubernetesContainerBackend: B } = await import('./backend.ts');
    const b = new B({ kubeConfig: kubeConfig(), policy: { ...policy, maxInlineInputBytes: 10 }, pollMs: 20, logTailLines: 50 });
    const spec = executor().plan(job())[0]!.spec;
    await expect(b.run({ ...spec, inputs: [{ name: 'job.json', source: { bytes: new Uint8Array(11) } }] })).rejects.toBeInstanceOf(ContainerInputError);
    expect(api.requests).toHaveLength(0);
  });
});

describe('the pod-side scripts, run for real', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'god-k8s-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the wrapper keeps the exit status and prints the output file as the last line', async () => {
    const output = join(dir, 'evaluation_results.json');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', GOD_OUTPUT: output, GOD_RESULT_MARKER: RESULT_MARKER };
    const ok = await run('/bin/sh', ['-c', WRAPPER_SCRIPT, 'god-wrap', 'sh', '-c', `echo working; printf '%s' '{"a/b": {"eval_loss": 1.5, "is_finetune": true}}' > "$GOD_OUTPUT"`], { env });
    const parsed = splitResultLine(ok.stdout);
    expect(parsed.lines.filter(Boolean)).toEqual(['working']);
    expect(JSON.parse(parsed.output!.toString())).toEqual({ 'a/b': { eval_loss: 1.5, is_finetune: true } });
    const fail = await run('/bin/sh', ['-c', WRAPPER_SCRIPT, 'god-wrap', 'sh', '-c', `printf '{}' > "$GOD_OUTPUT"; exit 7`], { env }).catch((e: { code: number; stdout: string }) => e);
    expect((fail as { code: number }).code).toBe(7);
    expect(splitResultLine((fail as { stdout: string }).stdout).sawMarker).toBe(false);
    await rm(output);
    const none = await run('/bin/sh', ['-c', WRAPPER_SCRIPT, 'god-wrap', 'true'], { env });
    expect(splitResultLine(none.stdout)).toEqual({ lines: [''], output: null, sawMarker: true });
  });

  it('the input fetcher downloads, writes inline files and unzips, refusing unsafe zip paths', async () => {
    const zip = Buffer.from(zipStore([{ name: 'img/a.png', data: new TextEncoder().encode('png') }, { name: 'img/a.txt', data: new TextEncoder().encode('a cat') }]));
    const evil = Buffer.from(zipStore([{ name: '../escape.txt', data: new TextEncoder().encode('x') }]));
    const server = http.createServer((req, res) => {
      if (req.url === '/data.json') return void res.end('[{"a": 1}]');
      if (req.url === '/images.zip') return void res.end(zip);
      if (req.url === '/evil.zip') return void res.end(evil);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const inputs = [
        { name: 'test.json', url: `${base}/data.json` },
        { name: '', url: `${base}/images.zip`, unzip: true },
        { name: 'job.json', b64: Buffer.from('{"k": 1}').toString('base64') },
      ];
      await run('python3', ['-c', FETCH_SCRIPT], { env: { PATH: process.env.PATH ?? '', GOD_INPUT_DIR: dir, GOD_INPUTS: JSON.stringify(inputs) } });
      expect((await readdir(dir)).sort()).toEqual(['img', 'job.json', 'test.json']);
      expect(await readFile(join(dir, 'test.json'), 'utf8')).toBe('[{"a": 1}]');
      expect(await readFile(join(dir, 'img', 'a.txt'), 'utf8')).toBe('a cat');
      expect(await readFile(join(dir, 'job.json'), 'utf8')).toBe('{"k": 1}');
      const bad = await run('python3', ['-c', FETCH_SCRIPT], { env: { PATH: process.env.PATH ?? '', GOD_INPUT_DIR: join(dir, 'img'), GOD_INPUTS: JSON.stringify([{ name: '', url: `${base}/evil.zip`, unzip: true }]) } }).catch((e: { code: number; stderr: string }) => e);
      expect((bad as { code: number }).code).toBe(1);
      expect((bad as { stderr: string }).stderr).toContain('unsafe path in zip: ../escape.txt');
      expect((await readdir(dir)).includes('escape.txt')).toBe(false);
      const missing = await run('python3', ['-c', FETCH_SCRIPT], { env: { PATH: process.env.PATH ?? '', GOD_INPUT_DIR: dir, GOD_INPUTS: JSON.stringify([{ name: 'x', url: `${base}/nope` }]) } }).catch((e: { code: number; stderr: string }) => e);
      expect((missing as { stderr: string }).stderr).toContain('HTTP Error 404');
      await writeFile(join(dir, 'unused'), '');
    } finally {
      server.close();
    }
  });
});
