/**
 * Test fixtures for the trainer: local git repos with entry scripts, a dataset server on loopback, a hub holding a
 * base model, and a trainer wired with the real local executor.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TrainerProxyRequest } from '../../src/core/models/trainer.ts';
import { MemoryModelHub } from '../../src/miner/memory-hub.ts';
import { startTrainer, type RunningTrainer, type TrainerOptionsInput } from '../../src/trainer/app.ts';
import { newTrainerToken } from '../../src/trainer/auth.ts';
import { parseGpuList } from '../../src/trainer/gpus.ts';

/** Parsed JSON of an answer, as loosely as the tests read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only: bodies are asserted field by field
export type Json = any;

export const BASE_MODEL = 'devnet/tiny-base';
export const MODEL_FILES = { 'config.json': '{"model_type":"gpt2","n_embd":8}', 'model.safetensors': 'weights-bytes' };

/** A folder under /tmp that the per-job uids can traverse (mkdtemp makes 0700). */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Creates a git repo holding `files` (one commit); returns its path and the commit sha. */
export function makeRepo(root: string, name: string, files: Record<string, string>): { path: string; commit: string } {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(path, file)), { recursive: true });
    writeFileSync(join(path, file), content);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: path, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, GIT_CONFIG_NOSYSTEM: '1' } })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return { path, commit: git('rev-parse', 'HEAD') };
}

/** Serves `GET /<name>` from a map, counting requests. */
export async function datasetServer(files: Record<string, string>): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const body = files[(req.url ?? '/').slice(1)];
    if (body === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((r) => server.close(() => r())) };
}

export async function hubWithBaseModel(): Promise<MemoryModelHub> {
  const hub = new MemoryModelHub();
  await hub.upload(
    BASE_MODEL,
    Object.entries(MODEL_FILES).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })),
  );
  return hub;
}

/** A well-behaved local entry script: reads its inputs, prints progress, writes two output files. */
export const GOOD_SCRIPT = `
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const argv = process.argv.slice(2);
const arg = (name) => argv[argv.indexOf(name) + 1];
const cache = arg('--cache-dir'), ckpt = arg('--checkpoints-dir');
const task = arg('--task-id'), repo = arg('--expected-repo-name'), model = arg('--model');
const config = readFileSync(join(cache, 'models', model.replace('/', '--'), 'config.json'), 'utf8');
const zip = argv.includes('--dataset-zip');
const data = readFileSync(join(cache, 'datasets', zip ? task + '_tourn.zip' : task + '_train_data.json'), 'utf8');
console.log('training on', data.length, 'bytes; args', JSON.stringify(argv.slice(0, 16)));
const out = join(ckpt, task, repo);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'config.json'), config);
writeFileSync(join(out, zip ? 'last.safetensors' : 'adapter_model.safetensors'), 'trained:' + data.length);
console.log('done');
`;

export function textRequest(opts: { repo: string; commit: string; taskId: string; hotkey: string; datasetUrl: string; gpuIds: number[]; hours?: number }): TrainerProxyRequest {
  return {
    training_data: {
      model: BASE_MODEL,
      task_id: opts.taskId,
      hours_to_complete: opts.hours ?? 1,
      expected_repo_name: `tournament-${opts.taskId.slice(0, 8)}-${opts.hotkey.slice(0, 8)}`,
      dataset: opts.datasetUrl,
      dataset_type: { field_instruction: 'instruction', field_output: 'output' },
      file_format: 's3',
    },
    github_repo: `file://${opts.repo}`,
    gpu_ids: opts.gpuIds,
    hotkey: opts.hotkey,
    github_branch: null,
    github_commit_hash: opts.commit,
  };
}

export interface TestTrainer extends RunningTrainer {
  token: string;
  hub: MemoryModelHub;
  dataDir: string;
  call(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json }>;
  waitDone(taskId: string, hotkey: string, timeoutMs?: number): Promise<Json>;
}

export async function startTestTrainer(opts: { dataDir: string; localRoots: string[]; hub?: MemoryModelHub; overrides?: Partial<TrainerOptionsInput>; gpus?: string }): Promise<TestTrainer> {
  const hub = opts.hub ?? (await hubWithBaseModel());
  const { token, sha256 } = newTrainerToken();
  const base: TrainerOptionsInput = {
    port: 0,
    dataDir: opts.dataDir,
    auth: { tokenSha256: [sha256] },
    repos: { allowedHosts: ['github.com'], allowLocal: true, localRoots: opts.localRoots, cloneTimeoutSeconds: 30, maxBytes: 50 * 1024 * 1024 },
    hubNamespace: 'rayonlabs',
    local: { memoryMb: 512, pids: 64, nofile: 256, fileMaxBytes: 64 * 1024 * 1024, privateTmpMb: 8, outputPollMs: 50, allowWorkers: true, uidBase: 210_000 + Math.floor(Math.random() * 1000) * 64, uidSlots: 8, disable: [], engine: false },
  };
  const trainer = await startTrainer({ ...base, ...opts.overrides, auth: { ...base.auth, ...opts.overrides?.auth } }, { hub, gpus: parseGpuList(opts.gpus ?? '2xH100') });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
    const res = await fetch(trainer.url + path, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text
    }
    return { status: res.status, body: parsed as Json };
  };
  const waitDone = async (taskId: string, hotkey: string, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await call('GET', `/v1/trainer/${taskId}/logs?hotkey=${hotkey}`);
      if (r.status === 200 && r.body.status !== 'training') return r.body;
      if (Date.now() > end) throw new Error(`job ${taskId} still ${JSON.stringify(r.body).slice(0, 500)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  return Object.assign(trainer, { token, hub, dataDir: opts.dataDir, call, waitDone });
}
