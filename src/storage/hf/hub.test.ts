import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { isStorageError } from '../errors.ts';
import type { StorageErrorCode } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { modelHubContract } from '../hub/contract.ts';
import { retryAfterMs } from './http.ts';
import { gitBlobId, HuggingFaceHub, parseHfRevision } from './hub.ts';
import { FakeHfHub } from './recording-fake.ts';

const code = (c: StorageErrorCode) => (e: unknown) => isStorageError(e, c);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

// The shared contract pins the local hub's revision ids, an empty first revision and a sha256 for every file,
// so the fake runs with sha256 revision ids, no .gitattributes and every file through LFS. The Hub-like
// defaults (40-hex ids, regular files, .gitattributes) are covered below.
const owners = ['alice', 'bob', 'carol', 'dave', 'erin', 'orig', 'copy', 'nobody', ...Array.from({ length: 6 }, (_, i) => `miner${i}`)];
modelHubContract('Hugging Face adapter against the recording fake', async () => {
  const clock = new ManualClock(Date.UTC(2025, 7, 1, 12));
  const fake = await FakeHfHub.start({ clock, commitIds: 'tree', lfsThresholdBytes: 0, createGitattributes: false, tokens: Object.fromEntries(owners.map((o) => [`hf_${o}`, o])) });
  // One token per namespace, as on the Hub; the hub picks the token of the repository's owner.
  const hubs = new Map(owners.map((o) => [o, new HuggingFaceHub({ endpoint: fake.url, token: `hf_${o}`, retryBaseMs: 1 })]));
  const byOwner = (repoId: string) => hubs.get(repoId.split('/')[0] ?? '') ?? (hubs.get('alice') as HuggingFaceHub);
  const hub = new Proxy({} as HuggingFaceHub, {
    get: (_t, prop: keyof HuggingFaceHub) => (repoId: string, ...rest: unknown[]) => (byOwner(String(repoId))[prop] as (...a: unknown[]) => unknown)(repoId, ...rest),
  });
  return { hub, clock, close: () => fake.close() };
});

describe('HuggingFaceHub request building', () => {
  let clock: ManualClock;
  let fake: FakeHfHub;
  let hub: HuggingFaceHub;
  let out: string;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 7, 1, 12));
    fake = await FakeHfHub.start({ clock, lfsThresholdBytes: 1024 });
    hub = new HuggingFaceHub({ endpoint: fake.url, token: 'hf_fake_alice', retryBaseMs: 1 });
    out = await mkdtemp(join(tmpdir(), 'god-hf-'));
  });
  afterEach(async () => {
    await fake.close();
    await rm(out, { recursive: true, force: true });
  });

  it('creates a repo with the documented body and the token as a bearer', async () => {
    expect(await hub.createRepo('alice/task-1')).toEqual({ repoId: 'alice/task-1', created: true });
    const [create] = fake.sent('POST', /^\/api\/repos\/create$/);
    expect(JSON.parse(create?.body.toString() ?? '')).toEqual({ name: 'task-1', organization: 'alice', type: 'model', private: false });
    expect(create?.headers.authorization).toBe('Bearer hf_fake_alice');
    expect(create?.headers['content-type']).toBe('application/json');
    await expect(hub.createRepo('alice/task-1')).rejects.toSatisfy(code('conflict'));
    expect(await hub.createRepo('alice/task-1', { existOk: true })).toEqual({ repoId: 'alice/task-1', created: false });
    const info = await hub.repoInfo('alice/task-1');
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.files).toEqual([{ path: '.gitattributes', size: expect.any(Number), sha256: null }]);
    expect(fake.sent('GET', /^\/api\/models\/alice\/task-1$/)[0]?.query).toEqual({ blobs: 'true' });
  });

  it('uploads: preupload decides, LFS objects go to the upload href without the token, then one NDJSON commit', async () => {
    await hub.createRepo('alice/m');
    await clock.advance(1000);
    const weights = new Uint8Array(4096).map((_, i) => i % 251);
    const rev = await hub.upload('alice/m', [{ path: 'config.json', bytes: enc('{"a":1}') }, { path: 'model.safetensors', bytes: weights }], { message: 'Upload model' });

    const [pre] = fake.sent('POST', /^\/api\/models\/alice\/m\/preupload\/main$/);
    expect(JSON.parse(pre?.body.toString() ?? '')).toEqual({
      files: [
        { path: 'config.json', sample: Buffer.from('{"a":1}').toString('base64'), size: 7 },
        { path: 'model.safetensors', sample: Buffer.from(weights.subarray(0, 512)).toString('base64'), size: 4096 },
      ],
    });
    const [batch] = fake.sent('POST', /^\/alice\/m\.git\/info\/lfs\/objects\/batch$/);
    expect(batch?.headers.accept).toBe('application/vnd.git-lfs+json');
    expect(JSON.parse(batch?.body.toString() ?? '')).toEqual({ operation: 'upload', transfers: ['basic'], objects: [{ oid: sha256Hex(weights), size: 4096 }], hash_algo: 'sha256', ref: { name: 'main' } });
    const [put] = fake.sent('PUT', /^\/__lfs\/upload\//);
    expect(put?.headers.authorization).toBeUndefined();
    expect(put?.headers['x-fake-upload']).toBe(sha256Hex(weights));
    expect(fake.sent('POST', /^\/__lfs\/verify\//)).toHaveLength(1);

    const [commit] = fake.sent('POST', /^\/api\/models\/alice\/m\/commit\/main$/);
    expect(commit?.headers['content-type']).toBe('application/x-ndjson');
    expect(commit?.body.toString().split('\n').map((l) => JSON.parse(l))).toEqual([
      { key: 'header', value: { summary: 'Upload model', description: '' } },
      { key: 'file', value: { path: 'config.json', content: Buffer.from('{"a":1}').toString('base64'), encoding: 'base64' } },
      { key: 'lfsFile', value: { path: 'model.safetensors', algo: 'sha256', oid: sha256Hex(weights), size: 4096 } },
    ]);
    expect(rev.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(rev.date).toBe(clock.date().toISOString());
    const info = await hub.repoInfo('alice/m');
    expect(rev.parent).toBe((await hub.listRevisions('alice/m'))[1]?.sha);
    expect(info.files).toEqual([
      { path: '.gitattributes', size: expect.any(Number), sha256: null },
      { path: 'config.json', size: 7, sha256: null },
      { path: 'model.safetensors', size: 4096, sha256: sha256Hex(weights) },
    ]);

    // The same object again is not re-uploaded (the batch answers without actions).
    await hub.upload('alice/m', [{ path: 'copy.safetensors', bytes: weights }], { message: 'again' });
    expect(fake.sent('PUT', /^\/__lfs\/upload\//)).toHaveLength(1);
  });

  it('downloads through resolve (LFS by redirect to the CDN without the token) and verifies sha256 and git blob ids', async () => {
    await hub.createRepo('alice/m');
    const weights = new Uint8Array(2048).fill(7);
    await hub.upload('alice/m', [{ path: 'config.json', bytes: enc('{}') }, { path: 'model.safetensors', bytes: weights }], { message: 'm' });
    const dl = await hub.download('alice/m', {}, out);
    expect(dl.files.map((f) => f.slice(out.length + 1))).toEqual(['.gitattributes', 'config.json', 'model.safetensors']);
    expect(await readFile(join(out, 'model.safetensors'))).toEqual(Buffer.from(weights));
    const sha = dl.sha;
    expect(fake.sent('GET', /^\/alice\/m\/resolve\//).every((r) => r.path.startsWith(`/alice/m/resolve/${sha}/`))).toBe(true);
    const cdn = fake.sent('GET', /^\/__cdn\//);
    expect(cdn).toHaveLength(1);
    expect(cdn[0]?.headers.authorization).toBeUndefined();

    // Damaged storage behind the Hub: the bytes no longer match what the Hub announces.
    fake.lfsObjects.set(sha256Hex(weights), Buffer.alloc(2048, 8));
    await expect(hub.getFile('alice/m', 'model.safetensors')).rejects.toSatisfy(code('corrupt'));
    const head = fake.repos.get('model:alice/m')?.commits.at(-1);
    const cfg = head?.files.get('config.json');
    if (cfg) cfg.content = Buffer.from('{"x":1}');
    expect(dec(await hub.getFile('alice/m', 'config.json'))).toBe('{"x":1}'); // the fake now announces the new blob id
  });

  it('maps 401/403/404 to typed errors, and says not_found for the Hub\'s 401 RepoNotFound', async () => {
    const anonymous = new HuggingFaceHub({ endpoint: fake.url, retryBaseMs: 1 });
    await expect(anonymous.repoInfo('ghost/none')).rejects.toSatisfy(code('not_found'));
    expect(fake.requests.at(-1)?.status).toBe(401);
    expect(await anonymous.exists('ghost/none')).toBe(false);
    await expect(anonymous.createRepo('alice/x')).rejects.toSatisfy(code('forbidden'));
    expect(fake.requests).toHaveLength(2); // refused before sending: no token

    const wrongToken = new HuggingFaceHub({ endpoint: fake.url, token: 'hf_wrong', retryBaseMs: 1 });
    await expect(wrongToken.createRepo('alice/x')).rejects.toSatisfy((e) => code('forbidden')(e) && /401/.test((e as Error).message));
    await expect(hub.createRepo('bob/x')).rejects.toSatisfy((e) => code('forbidden')(e) && /403/.test((e as Error).message));
    await hub.createRepo('alice/x');
    await expect(hub.getFile('alice/x', 'missing.bin')).rejects.toSatisfy(code('not_found'));
    await expect(hub.repoInfo('alice/x', { revision: 'a'.repeat(40) })).rejects.toSatisfy(code('not_found'));
    await expect(hub.repoInfo('alice/x', { revision: 'refs/pr/1' })).rejects.toSatisfy(code('invalid'));
  });

  it('retries 429 after Retry-After and 5xx with backoff, then gives up as unavailable', async () => {
    await hub.createRepo('alice/r');
    const before = fake.requests.length;
    fake.faults.rateLimited = 2;
    fake.faults.retryAfterSeconds = 1;
    const t0 = Date.now();
    await hub.repoInfo('alice/r');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([429, 429, 200]);

    fake.faults.serverErrors = 2;
    expect((await hub.repoInfo('alice/r')).id).toBe('alice/r');
    fake.faults.serverErrors = 10;
    await expect(hub.repoInfo('alice/r')).rejects.toSatisfy((e) => code('unavailable')(e) && /503.*after 4 attempts/.test((e as Error).message));

    fake.faults.serverErrors = 0;
    fake.faults.rateLimited = 1;
    fake.faults.retryAfterSeconds = 3600;
    await expect(hub.repoInfo('alice/r')).rejects.toSatisfy((e) => code('unavailable')(e) && /Retry-After 3600 s/.test((e as Error).message));
  });

  it('reports an unreachable Hub as unavailable', async () => {
    const url = fake.url;
    await fake.close();
    const dead = new HuggingFaceHub({ endpoint: url, token: 'x', maxAttempts: 2, retryBaseMs: 1 });
    await expect(dead.repoInfo('alice/m')).rejects.toSatisfy(code('unavailable'));
    fake = await FakeHfHub.start();
  });

  it('follows commit-list pagination and a stale parentCommit is a conflict', async () => {
    const small = await FakeHfHub.start({ clock, pageSize: 2 });
    const h = new HuggingFaceHub({ endpoint: small.url, token: 'hf_fake_alice', retryBaseMs: 1 });
    await h.createRepo('alice/p');
    const first = await h.upload('alice/p', [{ path: 'a', bytes: enc('1') }], { message: 'one' });
    for (const m of ['two', 'three', 'four']) await h.upload('alice/p', [{ path: 'a', bytes: enc(m) }], { message: m });
    expect((await h.listRevisions('alice/p')).map((r) => r.message)).toEqual(['four', 'three', 'two', 'one', 'initial commit']);
    expect(small.sent('GET', /\/commits\/main$/).map((r) => r.query.p ?? '0')).toEqual(['0', '1', '2']);
    await expect(h.upload('alice/p', [{ path: 'a', bytes: enc('x') }], { message: 'stale', parentRevision: first.sha })).rejects.toSatisfy(code('conflict'));
    expect(small.requests.at(-1)?.status).toBe(412);
    await small.close();
  });

  it('parses revisions and Retry-After, and computes git blob ids', () => {
    expect(parseHfRevision('main')).toBe('main');
    expect(() => parseHfRevision('dev')).toThrow();
    expect(gitBlobId(new Uint8Array(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobId(enc('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
