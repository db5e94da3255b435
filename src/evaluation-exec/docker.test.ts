/**
 * The evaluation executor over the Docker backend against a fake Docker Engine on a unix socket: the requests it
 * sends (field by field), the contract the container sees (env, mounts with real host folders, GPUs, network),
 * results read back through the archive API, and the typed failures: non-zero exit, hang → kill, malformed file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerEngine } from '../trainer/docker/engine.ts';
import type { EvaluationJob, Fetcher } from '../validator/ports.ts';
import { DockerContainerBackend } from './docker-backend.ts';
import { ContainerExitError, ContainerStartError, ContainerTimeoutError, MalformedResultsError } from './errors.ts';
import { ContainerEvaluationExecutor, type ContainerExecutorOptions } from './executor.ts';
import { FakeDockerEngine, type ContainerView } from './testing/fake-docker.ts';

const TEXT_IMAGE = 'weightswandering/tuning_vali:latest';
const DATASET_URL = 'http://blobs.test/tasks/t1/test_data.json?sig=abc';
const ROWS = [{ instruct: 'a', output: 'b' }, { instruct: 'c', output: 'd' }, { instruct: 'e', output: 'f' }];

let dir: string;
let fake: FakeDockerEngine;
let fetched: string[];

const fetcher: Fetcher = async (url) => {
  fetched.push(url);
  if (url !== DATASET_URL) throw new Error(`404 ${url}`);
  return new TextEncoder().encode(JSON.stringify(ROWS));
};

/** A stand-in for the evaluation image: reads the mounted dataset, writes one loss per model in MODELS. */
function fakeEvaluator(view: ContainerView) {
  const hostInput = view.binds.get('/workspace/input_data')!;
  const rows = JSON.parse(readFileSync(join(hostInput, view.env.DATASET!.split('/').pop()!), 'utf8')) as unknown[];
  const results: Record<string, unknown> = { model_params_count: 1234 };
  for (const [i, repo] of view.env.MODELS!.split(',').entries()) results[repo] = { eval_loss: rows.length + i / 10, is_finetune: true };
  return { lines: ['loading model', `evaluated ${view.env.MODELS}`], files: { '/aplp/evaluation_results.json': JSON.stringify(results) } };
}

function job(over: Partial<EvaluationJob> = {}): EvaluationJob {
  return {
    task_id: 't1',
    task_type: 'InstructTextTask',
    split: 'test',
    dataset_url: DATASET_URL,
    original_model: 'Qwen/Qwen2.5-0.5B',
    dataset_type: { field_instruction: 'instruct', field_output: 'output', format: null },
    file_format: 'json',
    model_type: null,
    repos: ['alice/m1', 'bob/m1'],
    gpu_ids: [1, 3],
    ...over,
  };
}

function executor(over: Partial<ContainerExecutorOptions> = {}, backendOver: Partial<ConstructorParameters<typeof DockerContainerBackend>[0]> = {}) {
  let n = 0;
  const backend = new DockerContainerBackend({
    engine: new DockerEngine({ socketPath: fake.socketPath, apiVersion: '1.43' }),
    fetch: fetcher,
    policy: { network: 'bridge', runtime: 'nvidia', cpusPerGpu: 8, memoryGbPerGpu: 64, pidsLimit: 4096, readonlyRootfs: false },
    cacheHostDir: join(dir, 'hf-hub'),
    workRoot: join(dir, 'work'),
    pull: 'missing',
    ...backendOver,
  });
  return new ContainerEvaluationExecutor({
    backend,
    textImage: TEXT_IMAGE,
    diffusionImage: 'diagonalge/tuning_validator_diffusion:latest',
    isolation: 'contract',
    repoTimeoutMs: 5000,
    grpoPrefetch: true,
    prefetchTimeoutMs: 5000,
    suffix: () => `r${n++}`,
    ...over,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'god-evalexec-'));
  fake = new FakeDockerEngine(join(dir, 'docker.sock'));
  fake.images.add(TEXT_IMAGE);
  fake.program = fakeEvaluator;
  fetched = [];
  await fake.listen();
  (await import('node:fs')).mkdirSync(join(dir, 'work'));
});

afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('evaluation over the Docker Engine API', () => {
  it('runs the original contract in one shared container and reads the results through the archive API', async () => {
    const out = await executor().run(job());
    expect(out).toEqual({ model_params_count: 1234, 'alice/m1': { eval_loss: 3, is_finetune: true }, 'bob/m1': { eval_loss: 3.1, is_finetune: true } });
    expect(fetched).toEqual([DATASET_URL]);
    const calls = fake.calls().map((c) => c.replace(/e0+1/, 'ID'));
    expect(calls.slice(0, 3)).toEqual([`GET /images/${TEXT_IMAGE}/json`, 'POST /containers/create', 'POST /containers/ID/start']);
    expect(calls.slice(3, 5).sort()).toEqual(['GET /containers/ID/logs', 'POST /containers/ID/wait']);
    expect(calls.slice(5)).toEqual(['GET /containers/ID/archive', 'POST /containers/ID/kill', 'DELETE /containers/ID']);
    const create = fake.requests.find((r) => r.path === '/containers/create')!;
    expect(create.query.name).toBe('god-eval-instructtext-r0');
    const body = fake.creates()[0]!;
    expect(body.Image).toBe(TEXT_IMAGE);
    expect(body.Cmd).toEqual(['python', '-m', 'validator.evaluation.eval_instruct_text']);
    expect(body.Env).toEqual([
      'DATASET=/workspace/input_data/t1_test_data.json',
      'MODELS=alice/m1,bob/m1',
      'ORIGINAL_MODEL=Qwen/Qwen2.5-0.5B',
      'DATASET_TYPE={"field_instruction":"instruct","field_output":"output","format":null}',
      'FILE_FORMAT=json',
      'TRANSFORMERS_ALLOW_TORCH_LOAD=true',
      'HOME=/root',
    ]);
    expect(body.Labels).toEqual({ 'god.role': 'evaluation', 'god.task-id': 't1', 'god.split': 'test' });
    expect(body.NetworkDisabled).toBe(false);
    const hc = body.HostConfig;
    expect(hc.Binds).toHaveLength(2);
    expect(hc.Binds[0]).toMatch(new RegExp(`^${join(dir, 'work')}/god-eval-instructtext-r0-[^/]+/input:/workspace/input_data:ro$`));
    expect(hc.Binds[1]).toBe(`${join(dir, 'hf-hub')}:/root/.cache/huggingface/hub:rw`);
    expect(hc.NetworkMode).toBe('bridge');
    expect(hc.Runtime).toBe('nvidia');
    expect(hc.DeviceRequests).toEqual([{ Driver: '', Count: 0, DeviceIDs: ['1', '3'], Capabilities: [['gpu']], Options: {} }]);
    expect(hc.Memory).toBe(2 * 64 * 1024 ** 3);
    expect(hc.MemorySwap).toBe(hc.Memory);
    expect(hc.NanoCpus).toBe(16e9);
    expect(hc.PidsLimit).toBe(4096);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges']);
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.CapAdd).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER']);
    expect(hc.ReadonlyRootfs).toBe(false);
    expect(fake.requests.find((r) => r.path.endsWith('/archive'))!.query).toEqual({ path: '/aplp/evaluation_results.json' });
    // Only what this run made is removed: the container, and the input folder on the host.
    expect(fake.containers.size).toBe(0);
    expect(readdirSync(join(dir, 'work'))).toEqual([]);
    expect(fake.calls().some((c) => c.includes('prune'))).toBe(false);
  });

  it('isolates repos per container by default: one crash fails only its repo', async () => {
    fake.program = (view) => (view.env.MODELS === 'alice/m1' ? { lines: ['Traceback', 'RuntimeError: CUDA error'], exitCode: 1 } : fakeEvaluator(view));
    const out = await executor({ isolation: 'per_repo' }).run(job());
    expect(fake.creates().map((b) => b.Env.find((e) => e.startsWith('MODELS=')))).toEqual(['MODELS=alice/m1', 'MODELS=bob/m1']);
    expect(out['alice/m1']).toBe('Evaluation failed for alice/m1: evaluation container exited with status 1: RuntimeError: CUDA error');
    expect(out['bob/m1']).toEqual({ eval_loss: 3, is_finetune: true });
    expect(out.model_params_count).toBe(1234);
  });

  it('a shared container that exits non-zero fails the run with a typed error carrying the log tail', async () => {
    fake.program = () => ({ lines: ['RuntimeError: boom'], exitCode: 2 });
    const err = await executor().run(job()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerExitError);
    expect((err as ContainerExitError).exitCode).toBe(2);
    expect((err as ContainerExitError).logTail).toEqual(['RuntimeError: boom']);
    expect(fake.containers.size).toBe(0);
  });

  it('kills a hanging container at its deadline and reports a timeout', async () => {
    fake.program = () => ({ lines: ['stuck'], hang: true });
    const started = Date.now();
    const err = await executor({ repoTimeoutMs: 150 }).run(job()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerTimeoutError);
    expect((err as ContainerTimeoutError).timeoutMs).toBe(300); // 2 repos × 150 ms
    expect(Date.now() - started).toBeLessThan(4000);
    const killIdx = fake.calls().findIndex((c) => c.endsWith('/kill'));
    expect(killIdx).toBeGreaterThan(0);
    expect(fake.calls().some((c) => c.endsWith('/archive'))).toBe(false);
    expect(fake.containers.size).toBe(0);
    // Isolated: the timeout becomes the repo's error and the next repo still runs.
    fake.program = (view) => (view.env.MODELS === 'alice/m1' ? { hang: true } : fakeEvaluator(view));
    const out = await executor({ repoTimeoutMs: 150, isolation: 'per_repo' }).run(job());
    expect(out['alice/m1']).toMatch(/did not finish within 150 ms and was killed/);
    expect(out['bob/m1']).toEqual({ eval_loss: 3, is_finetune: true });
  });

  it('a malformed or missing results file is a typed error', async () => {
    fake.program = () => ({ files: { '/aplp/evaluation_results.json': '{"alice/m1": {"eval_loss": 1.0,' } });
    await expect(executor().run(job())).rejects.toBeInstanceOf(MalformedResultsError);
    fake.program = () => ({ exitCode: 0 });
    await expect(executor().run(job())).rejects.toThrow(/wrote no results file/);
  });

  it('GRPO: downloads models with network, then evaluates each repo in its own container without network', async () => {
    fake.program = (view) => (view.cmd[1] === '-c' ? { exitCode: view.cmd.includes('bob/m1') ? 1 : 0, lines: ['HTTP 404'] } : fakeEvaluator(view));
    const grpo = job({ task_type: 'GrpoTask', dataset_type: { field_prompt: 'prompt', reward_functions: [] } });
    const failed = await executor().run(grpo);
    expect(failed['bob/m1']).toBe('Evaluation failed for bob/m1: model download container exited with status 1: HTTP 404');
    expect(failed['alice/m1']).toEqual({ eval_loss: 3, is_finetune: true });
    fake.requests.length = 0;
    fake.program = (view) => (view.cmd[1] === '-c' ? { exitCode: 0 } : fakeEvaluator(view));
    const out = await executor().run(grpo);
    const bodies = fake.creates();
    expect(bodies.map((b) => [b.Cmd.slice(0, 2).join(' '), b.HostConfig.NetworkMode, b.NetworkDisabled])).toEqual([
      ['python -c', 'bridge', false],
      ['python -m', 'none', true],
      ['python -c', 'bridge', false],
      ['python -m', 'none', true],
    ]);
    expect(bodies[0]!.Cmd.slice(3)).toEqual(['Qwen/Qwen2.5-0.5B', 'alice/m1']);
    expect(bodies[0]!.Cmd[2]).toContain('snapshot_download(repo_id=repo, ignore_patterns=ignore)');
    expect(bodies[0]!.HostConfig.DeviceRequests).toBeUndefined();
    expect(bodies[1]!.Cmd).toEqual(['python', '-m', 'validator.evaluation.eval_grpo']);
    expect(bodies[1]!.Env).toContain('MODELS=alice/m1');
    expect(out['alice/m1']).toEqual({ eval_loss: 3, is_finetune: true });
    expect(out['bob/m1']).toEqual({ eval_loss: 3, is_finetune: true });
  });

  it('pulls a missing image; a failed pull or download is a typed error', async () => {
    fake.images.clear();
    fake.registry.add(TEXT_IMAGE);
    await executor().run(job());
    expect(fake.requests.find((r) => r.path === '/images/create')!.query).toEqual({ fromImage: 'weightswandering/tuning_vali', tag: 'latest' });
    fake.images.clear();
    fake.registry.clear();
    await expect(executor().run(job())).rejects.toThrow(/pull access denied/);
    await expect(executor({}, { pull: 'never' }).run(job())).rejects.toBeInstanceOf(ContainerStartError);
    await expect(executor().run(job({ dataset_url: 'http://blobs.test/missing' }))).rejects.toThrow(/could not prepare input/);
  });

  it('image tasks: the zip is unpacked into the input folder, the cache goes to ComfyUI\'s model folders', async () => {
    const { zipStore } = await import('../validator/prep/zip.ts');
    const zip = zipStore([{ name: 'a.png', data: new TextEncoder().encode('png') }, { name: 'a.txt', data: new TextEncoder().encode('a cat') }]);
    const seen: string[][] = [];
    fake.images.add('diagonalge/tuning_validator_diffusion:latest');
    fake.program = (view) => {
      seen.push(readdirSync(view.binds.get('/workspace/input_data')!).sort());
      return { files: { '/aplp/evaluation_results.json': JSON.stringify({ [view.env.MODELS!]: { eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] } } }) } };
    };
    const ex = executor();
    const fetchZip: Fetcher = async () => zip;
    (ex as unknown as { options: { backend: { options: { fetch: Fetcher } } } }).options.backend.options.fetch = fetchZip;
    const out = await ex.run(job({ task_type: 'ImageTask', dataset_type: null, model_type: 'flux', repos: ['alice/lora'] }));
    expect(seen).toEqual([['a.png', 'a.txt']]);
    const body = fake.creates()[0]!;
    expect(body.Cmd).toEqual(['/app/start.sh']);
    expect(body.Env).toEqual(['DATASET=/workspace/input_data', 'MODELS=alice/lora', 'ORIGINAL_MODEL_REPO=Qwen/Qwen2.5-0.5B', 'MODEL_TYPE=flux', 'TRANSFORMERS_ALLOW_TORCH_LOAD=true', 'HOME=/root']);
    expect(body.HostConfig.Binds.slice(1)).toEqual([
      `${join(dir, 'hf-hub')}:/app/validator/evaluation/ComfyUI/models/checkpoints:rw`,
      `${join(dir, 'hf-hub')}:/app/validator/evaluation/ComfyUI/models/diffusers:rw`,
    ]);
    expect(out['alice/lora']).toEqual({ eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] }, is_finetune: true });
    expect(existsSync(join(dir, 'work'))).toBe(true);
  });
});
