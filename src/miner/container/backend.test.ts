/**
 * The container backend against a fake Docker Engine (no Docker engine runs here): the exact
 * `POST /containers/create` bodies checked against the Engine API's documented format, the order of calls, the
 * files written for the container, cleanup after failures, and the unix-socket transport.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../log/index.ts';
import type { TrainContext } from '../backends/types.ts';
import type { ImageJob, TextJob } from '../jobs.ts';
import { MemoryModelHub } from '../memory-hub.ts';
import { containerBackend, KNOWN_HARMLESS_FAILURE } from './backend.ts';
import { DockerClient } from './docker.ts';
import { FakeDockerEngine } from './fake-docker.ts';
import { dockerCreateBody, planTextJob } from './specs.ts';
import { unzipTo } from './unzip.ts';

/**
 * The subset of the Engine API's ContainerCreateRequest (ContainerConfig + HostConfig, API v1.41–1.47) that we
 * send, as documented: strict, so a misspelt or undocumented field fails.
 */
const deviceRequest = z.strictObject({
  Driver: z.string(),
  Count: z.number().int(),
  DeviceIDs: z.array(z.string()),
  Capabilities: z.array(z.array(z.string())),
  Options: z.record(z.string(), z.string()),
});
const documentedCreateBody = z.strictObject({
  Image: z.string().min(1),
  Env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/)),
  Cmd: z.array(z.string()).optional(),
  Tty: z.boolean(),
  AttachStdin: z.boolean(),
  AttachStdout: z.boolean(),
  AttachStderr: z.boolean(),
  OpenStdin: z.boolean(),
  Labels: z.record(z.string(), z.string()),
  HostConfig: z.strictObject({
    // "A list of volume bindings for this container. Each volume binding is a string in one of these forms:
    // host-src:container-dest[:options] / volume-name:container-dest[:options]"; options include ro / rw.
    Binds: z.array(z.string().regex(/^[^:]+:\/[^:]*:(ro|rw)$/)),
    AutoRemove: z.boolean(),
    Runtime: z.string().optional(),
    DeviceRequests: z.array(deviceRequest).optional(),
    NetworkMode: z.string().optional(),
  }),
});

let dir: string;
let engine: FakeDockerEngine;
const paths = () => ({ configDir: join(dir, 'config'), outputDir: join(dir, 'outputs'), imagesDir: join(dir, 'images') });
const secrets = { hubToken: 'hf_secret', wandbToken: 'wb_secret' };
const tokenizerInfo = async () => ({ padTokenId: null, eosTokenId: 2, eosToken: '</s>' });

function ctx(hub = new MemoryModelHub()): TrainContext & { progress: unknown[] } {
  const progress: unknown[] = [];
  return { signal: new AbortController().signal, deadline: new Date(Date.now() + 3_600_000), hub, log: silentLogger(), reportProgress: (p) => progress.push(p), progress };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'god-container-'));
});
afterEach(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

function grpoJob(dataset: string): TextJob {
  return {
    kind: 'text',
    taskId: 'task-1',
    taskType: 'GrpoTask',
    model: 'unsloth/Llama-3.2-1B',
    hoursToComplete: 1,
    expectedRepoName: 'exp',
    repo: 'me/exp',
    dataset,
    fileFormat: 'json',
    datasetType: { field_prompt: 'q', reward_functions: [{ reward_func: 'def r(completions, **kw):\n    return [1.0]', reward_weight: 2 }], extra_column: null },
    grpo: true,
  };
}

describe('Docker create bodies', () => {
  it('every container of every plan matches the documented ContainerCreateRequest', () => {
    const plan = planTextJob({ taskId: 't', model: 'm', dataset: '/data/t/x.json', fileFormat: 'json', grpo: true, repo: 'me/r' }, { paths: paths(), secrets, behaviour: 'fixed' });
    const runs = plan.filter((s) => s.op === 'run');
    expect(runs.map((s) => s.container)).toEqual(['download', 'train', 'upload']);
    for (const step of runs) documentedCreateBody.parse(dockerCreateBody(step.spec));
    const train = dockerCreateBody(runs[1]!.spec);
    expect(train.HostConfig).toEqual({
      Binds: [`${paths().configDir}:/workspace/axolotl/configs:rw`, `${paths().outputDir}:/workspace/axolotl/outputs:rw`, '/data/t:/workspace/input_data:ro', 'hf_cache_t:/root/.cache/huggingface:rw'],
      AutoRemove: false,
      Runtime: 'nvidia',
      DeviceRequests: [{ Driver: '', Count: 1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }],
      NetworkMode: 'none',
    });
    // The container that runs validator-supplied reward code gets no secrets (D-miner-4).
    expect(train.Env).toEqual(['JOB_ID=t', 'DATASET_TYPE=custom', 'DATASET_FILENAME=x.json']);
    expect(dockerCreateBody(runs[2]!.spec).Env).toEqual(['HUGGINGFACE_TOKEN=hf_secret', 'HUB_MODEL_ID=me/r']);
  });
});

describe('the container backend on a fake engine', () => {
  it('runs a GRPO job: files for the container, then volume, download, train, upload and cleanup in order', async () => {
    engine = new FakeDockerEngine();
    const docker = new DockerClient(await engine.listen());
    const dataset = join(dir, 'data', 'task-1', 'rows.json');
    await mkdir(join(dir, 'data', 'task-1'), { recursive: true });
    writeFileSync(dataset, JSON.stringify([{ q: 'Why?', n: 1 }, { q: 'How?' }]));
    const backend = containerBackend({ docker, paths: paths(), secrets, tokenizerInfo });
    const c = ctx();
    expect(await backend.train(grpoJob(dataset), c)).toEqual({ repo: 'me/exp' });

    expect(readFileSync(dataset, 'utf8')).toBe('[\n  {\n    "prompt": "Why?",\n    "n": 1.0\n  },\n  {\n    "prompt": "How?",\n    "n": NaN\n  }\n]');
    const yml = readFileSync(join(paths().configDir, 'task-1.yml'), 'utf8');
    expect(yml).toContain('  reward_funcs:\n  - rewards_task-1.r\n  reward_weights:\n  - 2.0\n');
    expect(yml).not.toContain('hub_model_id');
    expect(readFileSync(join(paths().configDir, 'rewards_task-1.py'), 'utf8')).toBe('# Auto-generated reward functions file\n\ndef r(completions, **kw):\n    return [1.0]\n\n');

    expect(engine.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /volumes/hf_cache_task-1',
      'POST /volumes/create',
      'POST /containers/create?name=god-task-1-download',
      'POST /containers/c1/start',
      'POST /containers/c1/wait',
      'POST /containers/create?name=god-task-1-train',
      'POST /containers/c2/start',
      'POST /containers/c2/wait',
      'GET /containers/c2/logs?stdout=true&stderr=true&tail=100',
      'POST /containers/create?name=god-task-1-upload',
      'POST /containers/c3/start',
      'POST /containers/c3/wait',
      'GET /containers/c3/logs?stdout=true&stderr=true&tail=100',
      'DELETE /containers/c3?force=true',
      'DELETE /containers/c2?force=true',
      'DELETE /volumes/hf_cache_task-1?force=true',
    ]);
    for (const r of engine.requests.filter((x) => x.path.startsWith('/containers/create'))) documentedCreateBody.parse(r.body);
    expect(engine.liveContainers).toEqual([]);
    expect(engine.liveVolumes).toEqual([]);
    expect(c.progress).toEqual([{ phase: 'training', message: 'axolotl container running' }]);
  });

  it('fails the job when training exits non-zero, and still removes the containers and the volume', async () => {
    engine = new FakeDockerEngine({ exitCode: (name) => (name.endsWith('-train') ? 3 : 0), logs: () => 'CUDA out of memory\n' });
    const docker = new DockerClient(await engine.listen());
    const dataset = join(dir, 'rows.json');
    writeFileSync(dataset, '[]');
    const backend = containerBackend({ docker, paths: paths(), secrets, tokenizerInfo });
    await expect(backend.train(grpoJob(dataset), ctx())).rejects.toThrow(/train container exited with status 3: CUDA out of memory/);
    expect(engine.requests.some((r) => r.path.includes('name=god-task-1-upload'))).toBe(false);
    expect(engine.liveContainers).toEqual([]);
    expect(engine.liveVolumes).toEqual([]);
  });

  it("treats axolotl's DPO model-card error as success and makes the repo public (non-GRPO), over a unix socket", async () => {
    engine = new FakeDockerEngine({ exitCode: () => 1, logs: () => `Traceback\n${KNOWN_HARMLESS_FAILURE}\n` });
    const docker = new DockerClient(await engine.listen(join(dir, 'docker.sock')));
    const dataset = join(dir, 'dpo.json');
    writeFileSync(dataset, JSON.stringify([{ p: 'a', c: 'b', r: 'c' }]));
    const hub = new MemoryModelHub();
    const job: TextJob = { ...grpoJob(dataset), taskType: 'DpoTask', grpo: false, datasetType: { field_prompt: 'p', field_chosen: 'c', field_rejected: 'r' } };
    await containerBackend({ docker, paths: paths(), secrets, tokenizerInfo }).train(job, ctx(hub));
    expect([...hub.publicRepos]).toEqual(['me/exp']);
    const create = engine.requests.find((r) => r.path.startsWith('/containers/create'));
    expect((create?.body as { Env: string[] }).Env).toContain('HUGGINGFACE_TOKEN=hf_secret');
    expect(readFileSync(join(paths().configDir, 'task-1.yml'), 'utf8')).toContain('hub_model_id: me/exp\n');
    expect(JSON.parse(readFileSync(dataset, 'utf8'))).toEqual([{ question: 'a', chosen: 'b', rejected: 'c' }]);
  });

  it('prepares an image dataset from its zip and keeps the token out of the kohya file', async () => {
    engine = new FakeDockerEngine();
    const docker = new DockerClient(await engine.listen());
    const zip = join(dir, 'set.zip');
    writeFileSync(zip, storedZip({ 'photos/a.png': 'png-bytes', 'photos/a.txt': 'a caption' }));
    let seen: string[] = [];
    const job: ImageJob = { kind: 'image', taskId: 'img-1', taskType: 'ImageTask', model: 'stabilityai/sdxl', hoursToComplete: 1, expectedRepoName: 'r', repo: 'me/r', datasetZip: zip, modelType: 'sdxl' };
    const backend = containerBackend({ docker, paths: paths(), secrets, tokenizerInfo });
    const original = docker.startContainer.bind(docker);
    docker.startContainer = async (id: string) => {
      // While the container "runs", the kohya folder layout must be in place.
      seen = [existsSync(join(paths().imagesDir, 'img-1/img/10_lora style/a.png')), existsSync(join(paths().imagesDir, 'img-1/log')), existsSync(join(paths().imagesDir, 'img-1/model'))].map(String);
      return original(id);
    };
    await backend.train(job, ctx());
    expect(seen).toEqual(['true', 'true', 'true']);
    expect(existsSync(join(paths().imagesDir, 'img-1'))).toBe(false);
    const toml = readFileSync(join(paths().configDir, 'img-1.toml'), 'utf8');
    expect(toml).toContain('huggingface_repo_id = "me/r"\n');
    expect(toml).not.toContain('hf_secret');
    const create = engine.requests.find((r) => r.path.startsWith('/containers/create'))?.body as { Env: string[]; Cmd?: unknown };
    expect(create.Env).toEqual(['HUGGINGFACE_TOKEN=hf_secret', 'WANDB_TOKEN=wb_secret', 'JOB_ID=img-1', 'BASE_MODEL=sdxl', 'HF_TOKEN=hf_secret']);
    expect(create.Cmd).toBeUndefined();
  });
});

describe('unzip', () => {
  it('refuses paths that leave the target folder', async () => {
    await expect(unzipTo(storedZip({ '../evil.txt': 'x' }), join(dir, 'out'))).rejects.toThrow(/unsafe path/);
    expect(await unzipTo(storedZip({ 'a/b.txt': 'hi' }), join(dir, 'ok'))).toEqual(['a/b.txt']);
    expect(readFileSync(join(dir, 'ok', 'a', 'b.txt'), 'utf8')).toBe('hi');
  });
});

/** A zip with stored (uncompressed) entries, written by the format's spec (APPNOTE 4.3). */
function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
