/**
 * Every miner endpoint over real loopback HTTP, called with requests signed by a //Alice validator through
 * src/net's client, against a migrated PGlite database, a real worker and an in-memory hub. Datasets are
 * served by a second loopback server (the validator's presigned URLs).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minerRules } from '../core/rules/miner.ts';
import { getMinerJob } from '../db/queries/miner-jobs.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import type { GodServer } from '../http/index.ts';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { SignedClient } from '../net/client.ts';
import { pyFloat } from '../net/python-json.ts';
import { signRequest } from '../net/signing.ts';
import { copyBackend } from './backends/simple.ts';
import { MemoryModelHub } from './memory-hub.ts';
import { calculateModelHash } from './model-hash.ts';
import { createMinerServer } from './server.ts';
import { MinerWorker } from './worker.ts';

let alice: Sr25519Keypair; // validator with stake
let charlie: Sr25519Keypair; // validator with too little stake
let dave: Sr25519Keypair; // not in the metagraph
let bob: Sr25519Keypair; // the miner
let t: TestDb;
let hub: MemoryModelHub;
let worker: MinerWorker;
let miner: GodServer;
let baseUrl: string;
let files: http.Server;
let filesUrl: string;
let dataDir: string;
let client: SignedClient;

const DPO_ROWS = JSON.stringify([{ prompt: 'p', chosen: 'c', rejected: 'r' }]);
const TRAINING_REPO = { text: { githubRepo: 'https://github.com/me/trainer', commitHash: 'abc123' }, image: { githubRepo: 'https://github.com/me/img', commitHash: 'def456' } };

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
  charlie = Sr25519Keypair.fromUri('//Charlie');
  dave = Sr25519Keypair.fromUri('//Dave');
  t = await openTestDb('pglite');
  dataDir = mkdtempSync(join(tmpdir(), 'god-miner-'));
  hub = new MemoryModelHub();
  await hub.upload('base/model', [
    { path: 'adapter_config.json', bytes: Buffer.from('{"r": 8}') },
    { path: 'adapter_model.safetensors', bytes: Buffer.from('weights') },
    { path: 'README.md', bytes: Buffer.from('not hashed') },
  ]);
  files = http.createServer((req, res) => {
    if (req.url?.startsWith('/bucket/dpo_train_data.json')) return res.end(DPO_ROWS);
    if (req.url?.startsWith('/bucket/images.zip')) return res.end(Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'binary'));
    res.statusCode = 404;
    res.end('missing');
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const rules = { ...minerRules, pollSeconds: 0.02, concurrentJobs: 2 };
  worker = new MinerWorker({ db: t.db, backend: copyBackend({ source: 'base/model' }), hub, rules });
  await worker.start();
  const stakes = new Map([
    [alice.ss58Address, 4000],
    [charlie.ss58Address, 10],
  ]);
  miner = createMinerServer({
    db: t.db,
    minerHotkey: bob.ss58Address,
    lookupStake: (hotkey) => (stakes.has(hotkey) ? { found: true, stake: stakes.get(hotkey) as number } : { found: false }),
    minStake: 1000,
    rules,
    hubUsername: 'miner-user',
    dataDir,
    trainingRepo: TRAINING_REPO,
    backendName: 'copy',
    onEnqueued: () => worker.poke(),
    newRepoName: () => 'fresh-uuid',
  });
  baseUrl = await miner.listen();
  client = new SignedClient({ keypair: alice });
});

afterAll(async () => {
  await worker?.stop();
  await miner?.close();
  await new Promise((r) => files?.close(r));
  await t?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (path: string, payload: unknown, keypair?: Sr25519Keypair) =>
  (keypair ? new SignedClient({ keypair }) : client).post({ baseUrl, minerHotkey: bob.ss58Address, path, payload });
const get = (path: string) => client.get({ baseUrl, minerHotkey: bob.ss58Address, path });

async function until<T>(fn: () => Promise<T | null | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function textRequest(taskId: string, over: Record<string, unknown> = {}) {
  return {
    model: 'unsloth/Llama-3.2-1B',
    task_id: taskId,
    hours_to_complete: pyFloat(3),
    expected_repo_name: `repo-${taskId}`,
    dataset: `${filesUrl}/bucket/dpo_train_data.json?X-Amz-Signature=x`,
    dataset_type: { field_prompt: 'prompt', field_system: null, field_chosen: 'chosen', field_rejected: 'rejected', prompt_format: null, chosen_format: null, rejected_format: null },
    file_format: 's3',
    ...over,
  };
}

describe('offers', () => {
  it('answers text and image offers with the reference policy', async () => {
    const offer = { ds_size: 50000, model: 'unsloth/Llama-3.2-1B', hours_to_complete: pyFloat(3), task_id: uuid(1), task_type: 'InstructTextTask', model_params_count: 1235814400 };
    expect(await post('/task_offer/', offer)).toEqual({ kind: 'ok', status: 200, body: { message: 'Yes. I can do InstructTextTask jobs', accepted: true } });
    expect(await post('/task_offer/', { ...offer, model: 'Qwen/Qwen2.5' })).toMatchObject({ status: 200, body: { accepted: false, message: "I'm not yet optimised and only accept llama-type jobs" } });
    expect(await post('/task_offer_image/', { ...offer, task_type: 'ImageTask', hours_to_complete: pyFloat(2) })).toMatchObject({ status: 200, body: { message: 'Yes. I can do image jobs', accepted: true } });
    expect(await post('/task_offer_image/', offer)).toMatchObject({ status: 200, body: { message: 'This endpoint only accepts image tasks', accepted: false } });
  });

  it('refuses bad bodies with 422 naming the field', async () => {
    const res = await post('/task_offer/', { model: 'x', task_id: 't', task_type: 'Nope', hours_to_complete: 1 });
    expect(res.kind).toBe('http_error');
    expect(res).toMatchObject({ status: 422 });
    expect(JSON.stringify((res as { body: unknown }).body)).toContain('task_type');
  });
});

describe('authentication', () => {
  const offer = { model: 'llama', hours_to_complete: 1, task_id: 'x', task_type: 'InstructTextTask' };

  it('refuses unsigned, low-stake, unknown and mis-addressed requests with fiber statuses', async () => {
    const unsigned = await fetch(`${baseUrl}/task_offer/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(offer) });
    expect(unsigned.status).toBe(422);
    expect(await post('/task_offer/', offer, charlie)).toEqual({ kind: 'http_error', status: 403, body: { detail: 'Insufficient stake of 10.0 ' } });
    expect(await post('/task_offer/', offer, dave)).toEqual({ kind: 'http_error', status: 403, body: { detail: 'Hotkey not found in metagraph' } });
    const wrongMiner = await client.post({ baseUrl, minerHotkey: alice.ss58Address, path: '/task_offer/', payload: offer });
    expect(wrongMiner).toEqual({ kind: 'http_error', status: 401, body: { detail: "Oi, invalid miner hotkey - that's not me!" } });
  });

  it('refuses a replayed request and a body that is not what was signed', async () => {
    const body = Buffer.from(JSON.stringify(offer));
    const headers = signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body, nowNs: BigInt(Date.now()) * 1_000_000n });
    const send = (b: Buffer) => fetch(`${baseUrl}/task_offer/`, { method: 'POST', headers: { ...headers }, body: b });
    expect((await send(body)).status).toBe(200);
    expect((await send(body)).status).toBe(401);
    const tampered = signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body, nowNs: BigInt(Date.now()) * 1_000_000n });
    const res = await fetch(`${baseUrl}/task_offer/`, { method: 'POST', headers: { ...tampered }, body: Buffer.from(JSON.stringify({ ...offer, hours_to_complete: 2 })) });
    expect(res.status).toBe(401);
  });

  it('keeps the trailing slashes: /task_offer without one is not a route', async () => {
    expect(await post('/task_offer', offer)).toMatchObject({ kind: 'http_error', status: 404 });
  });

  it('guards GET routes too', async () => {
    const res = await fetch(`${baseUrl}/training_repo/text`);
    expect(res.status).toBe(422);
  });
});

describe('training, submission and progress', () => {
  it('queues a DPO job, trains it, and reports the repo with the model hash', async () => {
    const taskId = uuid(10);
    expect(await post('/start_training/', textRequest(taskId))).toEqual({ kind: 'ok', status: 200, body: { message: 'Training job enqueued.', task_id: taskId } });
    const stored = readFileSync(join(dataDir, 'datasets', taskId, 'dpo_train_data.json'), 'utf8');
    expect(stored).toBe(DPO_ROWS);
    await until(async () => (await getMinerJob(t.db, taskId))?.status === 'completed');
    const expectedHash = calculateModelHash((await hub.snapshot('base/model')) ?? []);
    expect(expectedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await get(`/get_latest_model_submission/${taskId}`)).toEqual({ kind: 'ok', status: 200, body: { repo: `miner-user/repo-${taskId}`, model_hash: expectedHash } });
    const progress = await get(`/training_progress/${taskId}`);
    expect(progress).toMatchObject({ kind: 'ok', status: 200, body: { task_id: taskId, status: 'completed', progress: { phase: 'uploaded', step: 1, totalSteps: 1 } } });
  });

  it('reports GRPO submissions (the reference answered 500), with a fresh repo name when none was sent', async () => {
    const taskId = uuid(11);
    const grpo = textRequest(taskId, {
      expected_repo_name: null,
      dataset_type: { field_prompt: 'prompt', reward_functions: [{ reward_id: null, reward_func: 'def r(completions, **kw):\n    return [1.0]', reward_weight: pyFloat(1), func_hash: null, is_generic: true }], extra_column: null },
    });
    expect(await post('/start_training_grpo/', grpo)).toMatchObject({ kind: 'ok', status: 200 });
    await until(async () => (await getMinerJob(t.db, taskId))?.status === 'completed');
    expect(await get(`/get_latest_model_submission/${taskId}`)).toMatchObject({ kind: 'ok', body: { repo: 'miner-user/fresh-uuid' } });
    expect((await getMinerJob(t.db, taskId))?.task_type).toBe('GrpoTask');
  });

  it('queues an image job from its zip', async () => {
    const taskId = uuid(12);
    const body = { model: 'stabilityai/sdxl', task_id: taskId, hours_to_complete: pyFloat(1), expected_repo_name: 'img-repo', dataset_zip: `${filesUrl}/bucket/images.zip`, model_type: 'sdxl' };
    expect(await post('/start_training_image/', body)).toMatchObject({ kind: 'ok', status: 200, body: { task_id: taskId } });
    await until(async () => (await getMinerJob(t.db, taskId))?.status === 'completed');
    expect(await get(`/get_latest_model_submission/${taskId}`)).toMatchObject({ kind: 'ok', body: { repo: 'miner-user/img-repo' } });
  });

  it('answers 404 for an unknown task, and 400 when the dataset cannot be fetched', async () => {
    expect(await get(`/get_latest_model_submission/${uuid(99)}`)).toEqual({ kind: 'http_error', status: 404, body: { detail: `No model submission found for task ${uuid(99)}` } });
    expect(await get(`/training_progress/${uuid(99)}`)).toMatchObject({ kind: 'http_error', status: 404 });
    const missing = await post('/start_training/', textRequest(uuid(13), { dataset: `${filesUrl}/bucket/nothing.json` }));
    expect(missing).toEqual({ kind: 'http_error', status: 400, body: { detail: 'Failed to download file: 404' } });
    const local = await post('/start_training/', textRequest(uuid(14), { dataset: '/etc/passwd', file_format: 'json' }));
    expect(local).toMatchObject({ kind: 'http_error', status: 400 });
    expect(await getMinerJob(t.db, uuid(13))).toBeNull();
  });

  it('is busy after a long start_training, as the reference is', async () => {
    expect(await post('/start_training/', textRequest(uuid(15), { hours_to_complete: pyFloat(6) }))).toMatchObject({ kind: 'ok' });
    const offer = { model: 'unsloth/Llama-3.2-1B', hours_to_complete: pyFloat(1), task_id: uuid(16), task_type: 'InstructTextTask' };
    const res = await post('/task_offer/', offer);
    expect(res).toMatchObject({ kind: 'ok', body: { accepted: false } });
    expect((res as { body: { message: string } }).body.message).toMatch(/^Currently busy with another job until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  });
});

describe('training repo', () => {
  it('returns the configured repo per type and refuses other types with 422', async () => {
    expect(await get('/training_repo/text')).toEqual({ kind: 'ok', status: 200, body: { github_repo: 'https://github.com/me/trainer', commit_hash: 'abc123' } });
    expect(await get('/training_repo/image')).toEqual({ kind: 'ok', status: 200, body: { github_repo: 'https://github.com/me/img', commit_hash: 'def456' } });
    expect(await get('/training_repo/audio')).toMatchObject({ kind: 'http_error', status: 422 });
  });
});
