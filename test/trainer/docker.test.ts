/**
 * The Docker executor against FakeDockerEngine (a recording fake of the Engine API on a unix socket; no Docker
 * daemon runs here): the exact requests for a job, and how build errors, deadlines, output floods and a trainer
 * restart are handled.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trainerRules } from '../../src/core/rules/trainer.ts';
import { buildQuery, containerCreateBody, resources } from '../../src/trainer/docker/requests.ts';
import type { PreparedJob } from '../../src/trainer/executor.ts';
import { JobStore } from '../../src/trainer/store.ts';
import { FakeDockerEngine } from './fake-docker.ts';
import { datasetServer, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer } from './helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const GiB = 1024 ** 3;
let root: string;
let fake: FakeDockerEngine;
let trainer: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repo: { path: string; commit: string };
let n = 0;

const policy = { rules: trainerRules, network: 'none', pidsLimit: 4096, user: null, readonlyRootfs: false, buildNetwork: 'default' };
const job = (over: Partial<PreparedJob>): PreparedJob => ({
  jobId: 'j1',
  taskId: 'task1',
  hotkey: HOTKEY,
  taskType: 'InstructTextTask',
  isImage: false,
  model: 'org/model',
  expectedRepoName: 'tournament-x',
  gpuIds: [0, 1, 2, 3],
  jobRoot: '/srv/jobs/j1',
  repoDir: '/srv/jobs/j1/repo',
  cacheDir: '/srv/jobs/j1/cache',
  checkpointsDir: '/srv/jobs/j1/checkpoints',
  outputDir: '/srv/jobs/j1/checkpoints/task1/tournament-x',
  args: ['--task-id', 'task1'],
  runBudgetMs: 1000,
  user: null,
  labels: { task_id: 'task1' },
  ...over,
});

async function startJob(hours = 4): Promise<{ taskId: string; req: ReturnType<typeof textRequest> }> {
  const taskId = `dock${++n}`;
  const req = textRequest({ repo: repo.path, commit: repo.commit, taskId, hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0, 1], hours });
  const r = await trainer.call('POST', '/v1/trainer/start_training', req);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { taskId, req };
}

beforeAll(async () => {
  root = scratch('god-trainer-docker-');
  fake = new FakeDockerEngine(join(root, 'docker.sock'));
  await fake.listen();
  data = await datasetServer({ 'train.json': '[{"instruction":"a","output":"b"}]' });
  repo = makeRepo(root, 'miner', { 'dockerfiles/standalone-text-trainer.dockerfile': 'FROM axolotlai/axolotl:main-py3.11-cu124-2.5.1\n', 'scripts/run_text_trainer.sh': '#!/bin/sh\n' });
  trainer = await startTestTrainer({
    dataDir: join(root, 'state'),
    localRoots: [root],
    overrides: { executor: 'docker', docker: { socketPath: fake.socketPath, apiVersion: '1.43', buildTimeoutSeconds: 30, buildNetwork: 'default', pidsLimit: 4096, user: null, readonlyRootfs: false, pollMs: 20 }, limits: { outputMaxBytes: 1024 * 1024, msPerHour: 1000 } },
  });
});

afterAll(async () => {
  await trainer?.close();
  await fake?.close();
  await data?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.behaviour = {};
});

describe('Docker request construction (tournament.md §5.4–5.5)', () => {
  it('builds the container of a 4-GPU text job with the original resources and our hardening', () => {
    expect(resources(4, trainerRules)).toEqual({ memoryBytes: 440 * GiB, nanoCpus: 96e9, shmBytes: 16 * GiB });
    const body = containerCreateBody(job({}), 'standalone-text-trainer:u1', policy);
    expect(body).toEqual({
      Image: 'standalone-text-trainer:u1',
      Cmd: ['--task-id', 'task1'],
      Env: ['WANDB_MODE=offline', ...['WANDB_DIR', 'WANDB_CACHE_DIR', 'WANDB_ARTIFACT_DIR', 'WANDB_DATA_DIR', 'WANDB_CONFIG_DIR'].map((k) => `${k}=/app/checkpoints/wandb_logs/task1_${HOTKEY}`)],
      Labels: { task_id: 'task1' },
      NetworkDisabled: true,
      HostConfig: {
        Binds: ['/srv/jobs/j1/cache:/cache:ro', '/srv/jobs/j1/checkpoints:/app/checkpoints:rw'],
        NetworkMode: 'none',
        Memory: 440 * GiB,
        MemorySwap: 440 * GiB,
        NanoCpus: 96e9,
        PidsLimit: 4096,
        ShmSize: 16 * GiB,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        ReadonlyRootfs: false,
        AutoRemove: false,
        DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: ['0', '1', '2', '3'], Capabilities: [['gpu']], Options: {} }],
      },
    });
  });

  it('an image job: its Dockerfile, 8 GiB shm below 4 GPUs, the HF cache env', () => {
    const image = job({ isImage: true, gpuIds: [2] });
    const body = containerCreateBody(image, 't:1', policy) as { Env: string[]; HostConfig: { ShmSize: number; Memory: number } };
    expect(body.Env).toEqual(['TRANSFORMERS_CACHE=/cache/hf_cache']);
    expect(body.HostConfig.ShmSize).toBe(8 * GiB);
    expect(body.HostConfig.Memory).toBe(110 * GiB);
    expect(buildQuery(image, 't:1', policy)).toMatchObject({ dockerfile: 'dockerfiles/standalone-image-trainer.dockerfile', t: 't:1', nocache: true, networkmode: 'default' });
  });
});

describe('Docker executor through the trainer (FakeDockerEngine)', () => {
  it('builds, creates, starts, follows logs, waits, publishes, and always removes the container and image', async () => {
    fake.behaviour = { run: { lines: ['step 1 loss 2.0', 'ERR warning: slow'], files: {} } };
    const { taskId, req } = await startJob();
    fake.behaviour.run!.files = { [`${taskId}/${req.training_data.expected_repo_name}/adapter_model.safetensors`]: 'w', [`${taskId}/${req.training_data.expected_repo_name}/adapter_config.json`]: '{}' };
    const done = await trainer.waitDone(taskId, HOTKEY);
    expect(done.status, JSON.stringify(done)).toBe('success');
    expect(fake.calls()).toEqual([
      'POST /build',
      'POST /containers/create',
      `POST /containers/${fake.requests[2]!.path.split('/')[2]}/start`,
      ...fake.calls().slice(3, 5).sort(),
      `GET /containers/${fake.requests[2]!.path.split('/')[2]}/json`,
      `POST /containers/${fake.requests[2]!.path.split('/')[2]}/kill`,
      `DELETE /containers/${fake.requests[2]!.path.split('/')[2]}`,
      expect.stringMatching(/^DELETE \/images\/standalone-text-trainer:[0-9a-f-]{36}$/),
      'POST /build/prune',
    ]);
    expect(fake.calls().slice(3, 5).sort()).toEqual([expect.stringMatching(/\/logs$/), expect.stringMatching(/\/wait$/)].sort());
    const build = fake.requests[0]!;
    expect(build.query).toMatchObject({ dockerfile: 'dockerfiles/standalone-text-trainer.dockerfile', nocache: '1', rm: '1', forcerm: '1', memory: String(220 * GiB) });
    expect(build.tarEntries).toContain('./dockerfiles/standalone-text-trainer.dockerfile');
    const create = fake.requests[1]!.body as { Cmd: string[]; HostConfig: { Binds: string[]; NetworkMode: string } };
    expect(create.Cmd.slice(0, 4)).toEqual(['--task-id', taskId, '--model', 'devnet/tiny-base']);
    expect(create.Cmd).not.toContain('--cache-dir');
    expect(create.HostConfig.NetworkMode).toBe('none');
    expect(create.HostConfig.Binds[0]).toMatch(/\/jobs\/[0-9a-f]{16}-1\/cache:\/cache:ro$/);
    expect(done.output_tail).toEqual(expect.arrayContaining(['step 1 loss 2.0', '[stderr] ERR warning: slow']));
    expect((await trainer.hub.snapshot(done.hub_repo))?.map((f) => f.path).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(fake.containers.size).toBe(0);
    expect(fake.images.size).toBe(0);
  });

  it('a build error reported inside the build stream fails the job before any container exists', async () => {
    fake.behaviour = { buildError: 'The command /bin/sh -c pip install nope returned a non-zero code: 1' };
    const { taskId } = await startJob();
    const done = await trainer.waitDone(taskId, HOTKEY);
    expect(done.status).toBe('failure');
    expect(done.error).toContain('Image build failed: build failed: The command /bin/sh -c pip install nope');
    expect(fake.calls().filter((c) => c.includes('/containers/create'))).toEqual([]);
  });

  it('a container past its deadline is killed and removed; the job fails', async () => {
    fake.behaviour = { run: { hang: true } };
    const { taskId } = await startJob(1);
    const done = await trainer.waitDone(taskId, HOTKEY);
    expect(done.status).toBe('failure');
    expect(done.error).toContain('deadline');
    expect(fake.calls().some((c) => c.endsWith('/kill'))).toBe(true);
    expect(fake.containers.size).toBe(0);
  });

  it('a container that floods its output folder is killed at the limit', async () => {
    fake.behaviour = { run: { hang: true, files: { 'big.bin': 2 * 1024 * 1024 } } };
    const { taskId } = await startJob();
    const done = await trainer.waitDone(taskId, HOTKEY);
    expect(done.error).toContain('Output folder exceeded its size limit');
    expect(fake.containers.size).toBe(0);
  });

  it('an OOM-killed container and a non-zero exit are failures with the last error line', async () => {
    fake.behaviour = { run: { oom: true } };
    const a = await startJob();
    expect((await trainer.waitDone(a.taskId, HOTKEY)).error).toContain('memory limit');
    fake.behaviour = { run: { exitCode: 3, lines: ['loading', 'RuntimeError: CUDA out of memory', 'bye'] } };
    const b = await startJob();
    expect((await trainer.waitDone(b.taskId, HOTKEY)).error).toBe('[ERROR] Training failed | ExitCode: 3 | LastError: RuntimeError: CUDA out of memory');
  });

  it('a restarted trainer kills and removes the container a dead trainer left behind', async () => {
    fake.behaviour = { run: { hang: true } };
    const { taskId } = await startJob(100);
    const deadline = Date.now() + 30_000;
    while (![...fake.containers.values()].some((c) => c.state === 'running')) {
      if (Date.now() > deadline) throw new Error('container never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const containerId = [...fake.containers.keys()][0]!;
    // Simulate the crash: the state file as the dead trainer left it, opened by a new trainer on the same folder.
    const { store } = await JobStore.open(join(trainer.dataDir, 'state.json'));
    const leftover = store.get(taskId, HOTKEY)!;
    expect(leftover.handle).toMatchObject({ kind: 'docker', containerId });
    await trainer.close();
    fake.containers.set(containerId, { id: containerId, body: { Image: 'x' }, state: 'running', exitCode: 0, oom: false, output: [], waiters: [] });
    await store.put(leftover);
    fake.requests.length = 0;
    trainer = await startTestTrainer({
      dataDir: trainer.dataDir,
      localRoots: [root],
      hub: trainer.hub,
      overrides: { executor: 'docker', docker: { socketPath: fake.socketPath, apiVersion: '1.43', buildTimeoutSeconds: 30, buildNetwork: 'default', pidsLimit: 4096, user: null, readonlyRootfs: false, pollMs: 20 }, limits: { outputMaxBytes: 1024 * 1024, msPerHour: 1000 } },
    });
    expect(fake.calls()).toEqual(expect.arrayContaining([`POST /containers/${containerId}/kill`, `DELETE /containers/${containerId}`]));
    expect(fake.containers.has(containerId)).toBe(false);
    const after = await trainer.call('GET', `/v1/trainer/${taskId}/logs?hotkey=${HOTKEY}`);
    expect(after.body).toMatchObject({ status: 'failure', retryable: true });
  });
});
