/**
 * The generic job-file contract over the Docker backend (fake engine on a unix socket): the job file and inputs
 * the container finds, the result file it writes, and each way a result can be wrong. Also the config factory.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/load.ts';
import { DockerEngine } from '../trainer/docker/engine.ts';
import type { EvaluationJob } from '../validator/ports.ts';
import { DockerContainerBackend } from './docker-backend.ts';
import { ContainerJobError, MalformedResultsError } from './errors.ts';
import { buildEvaluationExecutor } from './factory.ts';
import { GENERIC_CONTRACT, GenericEvaluationExecutor, jobFileSchema, runGenericJob } from './generic.ts';
import { FakeDockerEngine, type ContainerView } from './testing/fake-docker.ts';

let dir: string;
let fake: FakeDockerEngine;
const IMAGE = 'example/evaluator:1';

function backend() {
  return new DockerContainerBackend({
    engine: new DockerEngine({ socketPath: fake.socketPath, apiVersion: '1.43' }),
    fetch: async (url) => new TextEncoder().encode(url.endsWith('/ds') ? '[{"q":"2+2","a":"4"}]' : '?'),
    policy: { network: 'bridge', runtime: null, cpusPerGpu: 0, memoryGbPerGpu: 0, pidsLimit: 512, readonlyRootfs: true },
    cacheHostDir: join(dir, 'cache'),
    workRoot: dir,
    pull: 'never',
  });
}

const jobFile = (view: ContainerView) => jobFileSchema.parse(JSON.parse(readFileSync(join(view.binds.get(GENERIC_CONTRACT.inputDir)!, 'job.json'), 'utf8')));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'god-generic-'));
  fake = new FakeDockerEngine(join(dir, 'd.sock'));
  fake.images.add(IMAGE);
  await fake.listen();
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('generic container-job contract', () => {
  it('hands the job file and inputs in, reads a validated result out', async () => {
    let seen: unknown;
    fake.program = (view) => {
      seen = { file: jobFile(view), cmd: view.cmd, env: view.env, data: readFileSync(join(view.binds.get(GENERIC_CONTRACT.inputDir)!, 'data.json'), 'utf8') };
      return { files: { [GENERIC_CONTRACT.resultFile]: JSON.stringify({ ok: true, result: { answer: 42 } }) } };
    };
    const result = await runGenericJob(
      backend(),
      { name: 'god-job-1', image: IMAGE, kind: 'demo', payload: { x: 1 }, inputs: [{ name: 'data.json', source: { bytes: new TextEncoder().encode('[1]') } }], gpuIds: [0], network: 'none', timeoutMs: 5000, labels: {} },
      z.object({ answer: z.number() }),
    );
    expect(result).toEqual({ answer: 42 });
    expect(seen).toEqual({
      file: { schema: 'god.container-job/v1', kind: 'demo', job: { x: 1 }, inputs: [{ name: 'data.json', path: '/god/input/data.json' }] },
      cmd: ['god-job', '/god/input/job.json', '/god/output/result.json'],
      env: { GOD_JOB_FILE: '/god/input/job.json', GOD_RESULT_FILE: '/god/output/result.json' },
      data: '[1]',
    });
    const body = fake.creates()[0]!;
    // Read-only root filesystem: the writable folders become per-run binds.
    expect(body.HostConfig.ReadonlyRootfs).toBe(true);
    expect(body.HostConfig.Binds.map((b) => b.split(':').slice(1).join(':'))).toEqual(['/god/input:ro', '/god/output:rw', '/tmp:rw']);
    expect(body.HostConfig.NetworkMode).toBe('none');
    expect(body.HostConfig.Runtime).toBeUndefined();
    expect(body.HostConfig.Memory).toBeUndefined();
  });

  it('ok:false, a wrong result shape and a missing file are typed errors', async () => {
    const job = { name: 'god-job-2', image: IMAGE, kind: 'demo', payload: null, inputs: [], gpuIds: [], network: 'default' as const, timeoutMs: 5000, labels: {} };
    fake.program = () => ({ files: { [GENERIC_CONTRACT.resultFile]: JSON.stringify({ ok: false, error: 'no GPU' }) } });
    await expect(runGenericJob(backend(), job, z.unknown())).rejects.toThrow(new ContainerJobError('exit', 'the job reported an error: no GPU'));
    fake.program = () => ({ files: { [GENERIC_CONTRACT.resultFile]: JSON.stringify({ ok: true, result: { answer: 'x' } }) } });
    await expect(runGenericJob(backend(), job, z.object({ answer: z.number() }))).rejects.toThrow(/result\.answer/);
    fake.program = () => ({ files: { [GENERIC_CONTRACT.resultFile]: JSON.stringify({ ok: true }) } });
    await expect(runGenericJob(backend(), job, z.unknown())).rejects.toBeInstanceOf(MalformedResultsError);
    fake.program = () => ({});
    await expect(runGenericJob(backend(), job, z.unknown())).rejects.toThrow(/no \/god\/output\/result.json/);
  });

  it('evaluation through the generic contract gets the EvaluationJob and the dataset path', async () => {
    const jobs: unknown[] = [];
    fake.program = (view) => {
      const f = jobFile(view);
      jobs.push(f.job);
      const j = f.job as EvaluationJob & { dataset_path: string };
      const rows = JSON.parse(readFileSync(join(view.binds.get(GENERIC_CONTRACT.inputDir)!, j.dataset_path.split('/').pop()!), 'utf8')) as unknown[];
      return { files: { [GENERIC_CONTRACT.resultFile]: JSON.stringify({ ok: true, result: { model_params_count: 7, [j.repos[0]!]: { eval_loss: rows.length, is_finetune: true } } }) } };
    };
    const ex = new GenericEvaluationExecutor({ backend: backend(), image: IMAGE, isolation: 'per_repo', repoTimeoutMs: 5000 });
    const job: EvaluationJob = { task_id: 't9', task_type: 'DpoTask', split: 'synth', dataset_url: 'http://x/ds', original_model: 'base', dataset_type: {}, file_format: 'json', model_type: null, repos: ['a/r', 'b/r'], gpu_ids: [2] };
    expect(await ex.run(job)).toEqual({ model_params_count: 7, 'a/r': { eval_loss: 1, is_finetune: true }, 'b/r': { eval_loss: 1, is_finetune: true } });
    expect(jobs[0]).toEqual({ ...job, repos: ['a/r'], dataset_path: '/god/input/t9_synth_data.json' });
  });
});

describe('executor from config', () => {
  it('builds the kind the config names, and refuses a generic contract without an image', async () => {
    const deps = { fetch: async () => new Uint8Array(), hub: { download: async () => ({}) as never } };
    const base = loadConfig({ env: {} }).config;
    const named = async (over: Partial<typeof base.evalExecutor>) => (await buildEvaluationExecutor({ ...base, evalExecutor: { ...base.evalExecutor, ...over } }, deps)).constructor.name;
    expect(await named({})).toBe('BuiltinEvaluationExecutor');
    expect(await named({ kind: 'docker' })).toBe('ContainerEvaluationExecutor');
    expect(await named({ kind: 'docker', contract: 'generic', genericImage: IMAGE })).toBe('GenericEvaluationExecutor');
    await expect(named({ kind: 'docker', contract: 'generic' })).rejects.toThrow(/genericImage is not set/);
    const kubeconfig = join(dir, 'kubeconfig');
    mkdirSync(dir, { recursive: true });
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    expect(await named({ kind: 'kubernetes', kubeconfig })).toBe('ContainerEvaluationExecutor');
  });
});
