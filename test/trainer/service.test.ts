/**
 * The trainer end to end on loopback with the real local executor: authenticated API, clone at the exact commit,
 * inputs fetched before the run, publishing under the original's naming, idempotent start, GPU exclusivity.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { SignedClient } from '../../src/net/client.ts';
import { TrainerClient } from '../../src/trainer/client.ts';
import { GOOD_SCRIPT, datasetServer, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer } from './helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const HOTKEY2 = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
let root: string;
let trainer: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;
let good: { path: string; commit: string };
let slow: { path: string; commit: string };
let validator: Sr25519Keypair;
let trainerKey: Sr25519Keypair;

beforeAll(async () => {
  await initCrypto();
  validator = Sr25519Keypair.fromUri('//Alice');
  trainerKey = Sr25519Keypair.fromUri('//Bob');
  root = scratch('god-trainer-svc-');
  data = await datasetServer({ 'train.json': JSON.stringify([{ instruction: 'a', output: 'b' }]), 'imgs.zip': 'PK-fake-zip' });
  good = makeRepo(root, 'good', { 'scripts/text_trainer.mjs': GOOD_SCRIPT, 'scripts/image_trainer.mjs': GOOD_SCRIPT });
  slow = makeRepo(root, 'slow', { 'scripts/text_trainer.mjs': `setTimeout(() => process.exit(0), 1500); console.log('sleeping');` });
  trainer = await startTestTrainer({
    dataDir: `${root}/state`,
    localRoots: [root],
    overrides: { auth: { trainerHotkey: trainerKey.ss58Address, allowedValidators: [validator.ss58Address] } },
  });
});

afterAll(async () => {
  await trainer?.close();
  await data?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('trainer service', () => {
  it('trains a text task from a local repo at its commit and publishes <namespace>/<expected_repo_name>', async () => {
    const req = textRequest({ repo: good.path, commit: good.commit, taskId: 'task-text-1', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0] });
    const start = await trainer.call('POST', '/v1/trainer/start_training', req);
    expect(start).toEqual({ status: 200, body: { message: 'Started Training!', task_id: 'task-text-1' } });
    const done = await trainer.waitDone('task-text-1', HOTKEY);
    expect(done.status, JSON.stringify(done)).toBe('success');
    const repoId = `rayonlabs/${req.training_data.expected_repo_name}`;
    expect(done.hub_repo).toBe(repoId);
    const files = await trainer.hub.snapshot(repoId);
    expect(files?.map((f) => f.path).sort()).toEqual(['adapter_model.safetensors', 'config.json']);
    // The script saw the cached dataset and the original's argument order.
    expect(done.output_tail.join('\n')).toContain('training on 34 bytes');
    expect(done.output_tail.join('\n')).toContain('["--task-id","task-text-1","--model","devnet/tiny-base","--dataset"');
    expect(done.output_tail.join('\n')).toContain('"--dataset-type","{\\"system_prompt\\": \\"\\", \\"system_format\\": \\"{system}\\", \\"field_system\\": null, \\"field_instruction\\": \\"instruction\\"');
    expect(done.logs.some((l: string) => /Cloned file:\/\/.* at [0-9a-f]{40}/.test(l))).toBe(true);

    const details = await trainer.call('GET', `/v1/trainer/task-text-1?hotkey=${HOTKEY}`);
    expect(details.status).toBe(200);
    expect(details.body.status).toBe('success');
    expect(details.body.training_data.task_id).toBe('task-text-1');
    expect(details.body.finished_at).toMatch(/^\d{4}-/);
    const recent = await trainer.call('GET', '/v1/trainer/get_recent_tasks?hours=1');
    expect(recent.body.map((t: { training_data: { task_id: string } }) => t.training_data.task_id)).toContain('task-text-1');
  });

  it('puts image outputs under checkpoints/ in the hub repo', async () => {
    const req = textRequest({ repo: good.path, commit: good.commit, taskId: 'task-image-1', hotkey: HOTKEY, datasetUrl: '', gpuIds: [1] });
    const { dataset: _d, dataset_type: _t, file_format: _f, ...rest } = req.training_data as Record<string, unknown>;
    const image = { ...req, training_data: { ...rest, dataset_zip: `${data.url}/imgs.zip`, model_type: 'flux' } };
    expect((await trainer.call('POST', '/v1/trainer/start_training', image)).status).toBe(200);
    const done = await trainer.waitDone('task-image-1', HOTKEY);
    expect(done.status, JSON.stringify(done)).toBe('success');
    const files = await trainer.hub.snapshot(done.hub_repo);
    expect(files?.map((f) => f.path).sort()).toEqual(['checkpoints/config.json', 'checkpoints/last.safetensors']);
    expect(done.output_tail.join('\n')).toContain('"--dataset-zip"');
    expect(done.output_tail.join('\n')).toContain('"--model-type","flux"');
  });

  it('start is idempotent per (task, hotkey) and never hands a busy GPU to another job', async () => {
    const req = textRequest({ repo: slow.path, commit: slow.commit, taskId: 'task-slow', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0, 1] });
    expect((await trainer.call('POST', '/v1/trainer/start_training', req)).status).toBe(200);
    const again = await trainer.call('POST', '/v1/trainer/start_training', req);
    expect(again.body.message).toBe('Started Training!');
    const other = textRequest({ repo: slow.path, commit: slow.commit, taskId: 'task-other', hotkey: HOTKEY2, datasetUrl: `${data.url}/train.json`, gpuIds: [1] });
    const conflict = await trainer.call('POST', '/v1/trainer/start_training', other);
    expect(conflict).toEqual({ status: 409, body: { detail: 'GPUs 1 are in use by a running job' } });
    const gpus = await trainer.call('GET', '/v1/trainer/get_gpu_availability');
    expect(gpus.body).toEqual([
      { gpu_id: 0, gpu_type: 'H100', vram_gb: 80, available: false, used_until: null },
      { gpu_id: 1, gpu_type: 'H100', vram_gb: 80, available: false, used_until: null },
    ]);
    const done = await trainer.waitDone('task-slow', HOTKEY);
    // The slow repo writes nothing: an empty output is a failure (HEAD's uploader rule), and the GPUs are free again.
    expect(done.status).toBe('failure');
    expect(done.error).toContain('the output folder is empty');
    expect(done.attempt).toBe(1);
    const after = await trainer.call('GET', '/v1/trainer/get_gpu_availability');
    expect(after.body.every((g: { available: boolean }) => g.available)).toBe(true);
    expect((await trainer.call('POST', '/v1/trainer/start_training', other)).status).toBe(200);
    await trainer.waitDone('task-other', HOTKEY2);
  });

  it('refuses unsafe repos and commits without retry, and bad GPU ids with 400', async () => {
    const base = textRequest({ repo: good.path, commit: good.commit, taskId: 'task-bad', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0] });
    const cases: [Partial<typeof base>, string][] = [
      [{ github_commit_hash: good.commit.slice(0, 12) }, 'full 40-hex'],
      [{ github_commit_hash: null }, 'required'],
      [{ github_repo: 'https://evil.example.com/a/b' }, 'not allowed'],
      [{ github_repo: 'http://github.com/a/b' }, 'only https'],
      [{ github_repo: 'ext::sh -c touch% /tmp/pwned' }, 'whitespace'],
      [{ github_repo: 'ext::sh' }, 'only https'],
      [{ github_repo: '/etc/../etc' }, '".."'],
      [{ github_repo: '/srv/elsewhere' }, 'outside the allowed folders'],
      [{ github_commit_hash: 'f'.repeat(40) }, 'git'],
    ];
    for (const [patch, message] of cases) {
      const r = await trainer.call('POST', '/v1/trainer/start_training', { ...base, ...patch });
      expect(r.status, JSON.stringify(patch)).toBe(200);
      expect(r.body.success).toBe(false);
      expect(r.body.no_retry).toBe(true);
      expect(r.body.error).toContain(message);
    }
    const unknownGpu = await trainer.call('POST', '/v1/trainer/start_training', { ...base, gpu_ids: [7] });
    expect(unknownGpu).toEqual({ status: 400, body: { detail: 'unknown GPU ids: 7' } });
    const traversal = await trainer.call('POST', '/v1/trainer/start_training', { ...base, training_data: { ...base.training_data, task_id: '../x' } });
    expect(traversal.status).toBe(400);
  });

  it('authenticates every route: token, or a fiber-signed request from an allow-listed validator', async () => {
    expect((await trainer.call('GET', '/v1/trainer/get_gpu_availability', undefined, {})).status).toBe(401);
    expect((await trainer.call('GET', '/v1/trainer/get_gpu_availability', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    const signed = new TrainerClient({ baseUrl: trainer.url, credentials: { kind: 'signed', client: new SignedClient({ keypair: validator }), trainerHotkey: trainerKey.ss58Address } });
    const ok = await signed.gpuAvailability();
    expect(ok.kind).toBe('ok');
    const stranger = new TrainerClient({ baseUrl: trainer.url, credentials: { kind: 'signed', client: new SignedClient({ keypair: Sr25519Keypair.fromUri('//Eve') }), trainerHotkey: trainerKey.ss58Address } });
    expect(await stranger.gpuAvailability()).toMatchObject({ kind: 'http_error', status: 403 });
    const misaddressed = new TrainerClient({ baseUrl: trainer.url, credentials: { kind: 'signed', client: new SignedClient({ keypair: validator }), trainerHotkey: validator.ss58Address } });
    expect(await misaddressed.gpuAvailability()).toMatchObject({ kind: 'http_error', status: 401 });
    const details = await signed.taskDetails('task-text-1', HOTKEY);
    expect(details).toMatchObject({ kind: 'ok', body: { status: 'success' } });
    expect(await signed.taskDetails('nope', HOTKEY)).toMatchObject({ kind: 'http_error', status: 404 });
    const tokenClient = new TrainerClient({ baseUrl: trainer.url, credentials: { kind: 'token', token: trainer.token } });
    expect(await tokenClient.recentTasks(1)).toMatchObject({ kind: 'ok' });
  });
});
