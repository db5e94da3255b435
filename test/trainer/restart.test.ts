/**
 * A trainer killed (SIGKILL) in the middle of a job: the job never keeps running beside a retry, the restarted
 * trainer marks it failed and retryable, its GPU is free again, and the retry runs alone on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleRoots } from '../../src/isolation/cgroup.ts';
import { newTrainerToken } from '../../src/trainer/auth.ts';
import { processesOfUid } from '../../src/trainer/local-executor.ts';
import { datasetServer, makeRepo, scratch, textRequest, type Json } from './helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const UID_BASE = 240_000 + (process.pid % 500) * 8;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'trainer-process.ts');

/** Runs for `ms` (from its repo's config), then writes an output: long enough to be killed mid-run. */
const SCRIPT = `
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const argv = process.argv.slice(2);
const arg = (n) => argv[argv.indexOf(n) + 1];
console.log('started');
await new Promise((r) => setTimeout(r, 2500));
const out = join(arg('--checkpoints-dir'), arg('--task-id'), arg('--expected-repo-name'));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'adapter_model.safetensors'), 'ok');
`;

let root: string;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repo: { path: string; commit: string };
const token = newTrainerToken();
const children: ChildProcess[] = [];

function startProcess(disable: string[]): Promise<{ child: ChildProcess; url: string }> {
  const cfg = { dataDir: join(root, 'state'), localRoots: [root], tokenSha256: token.sha256, uidBase: UID_BASE, disable };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOD_LOG_LEVEL: 'silent' } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`trainer process exited (${code}): ${out}`)));
  });
}

async function call(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const request = (taskId: string) => textRequest({ repo: repo.path, commit: repo.commit, taskId, hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0] });
const running = (url: string, taskId: string) => async () => {
  const r = await call(url, 'GET', `/v1/trainer/${taskId}/logs?hotkey=${HOTKEY}`);
  return r.body.phase === 'running' && processesOfUid(UID_BASE).length > 0 ? r.body : undefined;
};

beforeAll(async () => {
  root = scratch('god-trainer-restart-');
  data = await datasetServer({ 'train.json': '[]' });
  repo = makeRepo(root, 'sleepy', { 'scripts/text_trainer.mjs': SCRIPT });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of processesOfUid(UID_BASE)) process.kill(pid, 'SIGKILL');
  await data?.close();
  // The last trainer process died by SIGKILL: probing removes its cgroup roots once its job's processes are reaped.
  for (let i = 0; i < 20; i++) {
    removeStaleRoots();
    if (!readdirSync('/sys/fs/cgroup/pids').some((d) => children.some((c) => d === `god-trainer-${c.pid}`))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('trainer killed mid-job', () => {
  it('a job that outlives its trainer is killed by the restarted trainer, marked retryable, and retried alone on its GPU', async () => {
    // Without the parent-death signal the job survives the trainer, which is exactly what recovery must handle.
    const a = await startProcess(['pdeathsig']);
    expect((await call(a.url, 'POST', '/v1/trainer/start_training', request('restartA1'))).status).toBe(200);
    await until('job running', running(a.url, 'restartA1'));
    await kill9(a.child);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesOfUid(UID_BASE).length).toBeGreaterThan(0);

    const b = await startProcess([]);
    // Recovery ran before the server answered: nothing of the old run is left.
    expect(processesOfUid(UID_BASE)).toEqual([]);
    const after = await call(b.url, 'GET', `/v1/trainer/restartA1/logs?hotkey=${HOTKEY}`);
    expect(after.body).toMatchObject({ status: 'failure', retryable: true, error: 'trainer restarted', attempt: 1 });
    expect(after.body.logs.at(-1)).toContain('Trainer restarted while the job was running');
    expect((await call(b.url, 'GET', '/v1/trainer/get_gpu_availability')).body[0].available).toBe(true);

    // The orchestrator's retry: attempt 2 runs; meanwhile GPU 0 is not given to anyone else.
    expect((await call(b.url, 'POST', '/v1/trainer/start_training', request('restartA1'))).status).toBe(200);
    const other = await call(b.url, 'POST', '/v1/trainer/start_training', request('otherjob'));
    expect(other.status).toBe(409);
    const done = await until('retry finished', async () => {
      const r = await call(b.url, 'GET', `/v1/trainer/restartA1/logs?hotkey=${HOTKEY}`);
      return r.body.status === 'training' ? undefined : r.body;
    });
    expect(done).toMatchObject({ status: 'success', attempt: 2 });

    // With the parent-death signal (the default), a killed trainer takes its running job with it at once.
    expect((await call(b.url, 'POST', '/v1/trainer/start_training', request('restartB2'))).status).toBe(200);
    await until('second job running', running(b.url, 'restartB2'));
    await kill9(b.child);
    await until('job gone with its trainer', () => (processesOfUid(UID_BASE).length === 0 ? true : undefined), 3000);
  });
});
