import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { createServer } from '../../http/index.ts';
import type { GodServer } from '../../http/index.ts';
import { isStorageError } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { rawRequest, tempDir } from '../testing.ts';
import { HttpModelHub } from './client.ts';
import { modelHubContract } from './contract.ts';
import { LocalModelHub } from './local.ts';
import { registerHubRoutes } from './server.ts';
import { HubTokenStore } from './tokens.ts';
import type { ModelHub } from './types.ts';

const start = Date.UTC(2025, 7, 1, 12);

async function startHub(options: { maxCommitBytes?: number; maxFileBytes?: number } = {}) {
  const dir = await tempDir();
  const clock = new ManualClock(start);
  const local = await LocalModelHub.open({ root: join(dir.path, 'hub'), clock, ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}) });
  const tokens = new HubTokenStore(join(local.root, 'tokens.json'), clock);
  const server: GodServer = createServer({ logRequests: false, bodyLimit: 1 << 20 });
  registerHubRoutes(server, local, { tokens, ...(options.maxCommitBytes ? { maxCommitBytes: options.maxCommitBytes } : {}) });
  const baseUrl = await server.listen();
  return {
    dir,
    clock,
    local,
    tokens,
    server,
    baseUrl,
    async close() {
      await server.close();
      await dir.cleanup();
    },
  };
}

/**
 * A ModelHub that writes to each namespace through an HTTP client holding that owner's token, as separate
 * miners would (the contract uses many owners).
 */
function perOwnerClient(baseUrl: string, tokens: HubTokenStore): ModelHub {
  const clients = new Map<string, Promise<HttpModelHub>>();
  const reader = new HttpModelHub({ baseUrl });
  const forRepo = (repoId: string): Promise<ModelHub> => {
    const owner = repoId.split('/')[0] ?? '';
    if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(owner) || repoId.split('/').length !== 2) return Promise.resolve(reader);
    let client = clients.get(owner);
    if (!client) {
      client = tokens.issue(owner).then((t) => new HttpModelHub({ baseUrl, token: t.token }));
      clients.set(owner, client);
    }
    return client;
  };
  return {
    createRepo: async (id, o) => (await forRepo(id)).createRepo(id, o),
    upload: async (id, files, o) => (await forRepo(id)).upload(id, files, o),
    exists: (id) => reader.exists(id),
    repoInfo: (id, o) => reader.repoInfo(id, o),
    listRevisions: (id) => reader.listRevisions(id),
    getFile: (id, p, o) => reader.getFile(id, p, o),
    download: (id, o, d) => reader.download(id, o, d),
  };
}

modelHubContract('HTTP client ↔ hub server on loopback', async () => {
  const h = await startHub();
  return { hub: perOwnerClient(h.baseUrl, h.tokens), clock: h.clock, close: h.close };
});

describe('hub server', () => {
  let h: Awaited<ReturnType<typeof startHub>>;
  let alice: HttpModelHub;
  let aliceToken: string;
  beforeEach(async () => {
    h = await startHub({ maxCommitBytes: 4096, maxFileBytes: 100_000 });
    aliceToken = (await h.tokens.issue('alice')).token;
    alice = new HttpModelHub({ baseUrl: h.baseUrl, token: aliceToken });
    await alice.createRepo('alice/m');
  });
  afterEach(() => h.close());
  const enc = (s: string) => new TextEncoder().encode(s);
  const post = (path: string, body: string, token?: string, type = 'application/json') =>
    fetch(h.baseUrl + path, { method: 'POST', body, headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  it('answers repo info shaped like the Hugging Face API', async () => {
    await h.clock.advance(1000);
    const rev = await alice.upload('alice/m', [{ path: 'adapter_config.json', bytes: enc('{}') }], { message: 'up' });
    const res = await fetch(`${h.baseUrl}/api/models/alice/m`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: 'alice/m',
      modelId: 'alice/m',
      author: 'alice',
      sha: rev.sha,
      lastModified: '2025-08-01T12:00:01.000Z',
      createdAt: '2025-08-01T12:00:00.000Z',
      private: false,
      siblings: [{ rfilename: 'adapter_config.json', size: 2, lfs: { sha256: sha256Hex('{}'), size: 2 } }],
    });
    const commits = (await (await fetch(`${h.baseUrl}/api/models/alice/m/commits/main`)).json()) as { id: string; title: string }[];
    expect(commits.map((c) => c.title)).toEqual(['up', 'initial commit']);
    expect((await fetch(`${h.baseUrl}/api/models/alice/none`)).status).toBe(404);
  });

  it('serves files at resolve URLs with the commit and sha256 in headers, by main or by sha', async () => {
    const rev = await alice.upload('alice/m', [{ path: 'unet/diffusion_pytorch_model.safetensors', bytes: enc('unet') }], { message: 'up' });
    for (const revision of ['main', rev.sha]) {
      const res = await fetch(`${h.baseUrl}/alice/m/resolve/${revision}/unet/diffusion_pytorch_model.safetensors`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('unet');
      expect(res.headers.get('x-repo-commit')).toBe(rev.sha);
      expect(res.headers.get('etag')).toBe(`"${sha256Hex('unet')}"`);
    }
    expect((await fetch(`${h.baseUrl}/alice/m/resolve/main/missing.bin`)).status).toBe(404);
  });

  it('needs the owner\'s token to create and upload', async () => {
    const bobToken = (await h.tokens.issue('bob')).token;
    const create = (token?: string) => post('/api/repos/create', JSON.stringify({ name: 'x', organization: 'alice' }), token);
    expect((await create()).status).toBe(401);
    expect((await create('hub_forged')).status).toBe(401);
    expect((await create(`${aliceToken.slice(0, -1)}${aliceToken.endsWith('A') ? 'B' : 'A'}`)).status).toBe(401);
    const wrongOwner = await create(bobToken);
    expect(wrongOwner.status).toBe(403);
    expect(await wrongOwner.json()).toEqual({ detail: 'This token may write to bob/*, not alice/*' });
    expect((await create(aliceToken)).status).toBe(200);
    const bob = new HttpModelHub({ baseUrl: h.baseUrl, token: bobToken });
    await expect(bob.upload('alice/m', [{ path: 'a', bytes: enc('x') }], { message: 'intrude' })).rejects.toSatisfy((e) => isStorageError(e, 'forbidden'));
    await expect(new HttpModelHub({ baseUrl: h.baseUrl }).createRepo('alice/y')).rejects.toSatisfy((e) => isStorageError(e, 'forbidden'));
    // Hugging Face's older form: the namespace inside name.
    expect((await post('/api/repos/create', JSON.stringify({ name: 'alice/z' }), aliceToken)).status).toBe(200);
    expect((await post('/api/repos/create', JSON.stringify({ name: 'p', private: true }), aliceToken)).status).toBe(400);
    // A revoked token stops working at once, without restarting the server.
    await h.tokens.revoke(aliceToken.slice(0, 12));
    expect((await create(aliceToken)).status).toBe(401);
  });

  it('accepts Hugging Face style inline base64 files and refuses malformed commits', async () => {
    const ndjson = (...lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n');
    const commit = (body: string) => post('/api/models/alice/m/commit/main', body, aliceToken, 'application/x-ndjson');
    const ok = await commit(ndjson({ key: 'header', value: { summary: 'inline', description: 'body' } }, { key: 'file', value: { path: 'README.md', content: Buffer.from('# hi').toString('base64'), encoding: 'base64' } }));
    expect(ok.status).toBe(200);
    const okBody = (await ok.json()) as { commitOid: string; success: boolean };
    expect(okBody.success).toBe(true);
    expect(new TextDecoder().decode(await alice.getFile('alice/m', 'README.md'))).toBe('# hi');
    expect((await alice.listRevisions('alice/m'))[0]?.message).toBe('inline\n\nbody');

    const bad: [string, number][] = [
      [ndjson({ key: 'file', value: { path: 'a', content: '', encoding: 'base64' } }), 400],
      ['not json', 400],
      [ndjson({ key: 'header', value: { summary: 's' } }, { key: 'lfsFile', value: { path: 'a', algo: 'sha256', oid: 'f'.repeat(64) } }), 400],
      [ndjson({ key: 'header', value: { summary: 's' } }, { key: 'file', value: { path: '../escape', content: '', encoding: 'base64' } }), 400],
      [ndjson({ key: 'header', value: { summary: 's' } }, { key: 'deletedFile', value: { path: 'never-there' } }), 400],
      [ndjson({ key: 'header', value: { summary: 's', parentCommit: '0'.repeat(64) } }), 409],
      [ndjson({ key: 'header', value: { summary: 'x'.repeat(5000) } }), 413],
    ];
    for (const [body, status] of bad) expect((await commit(body)).status, body.slice(0, 80)).toBe(status);
    expect((await alice.listRevisions('alice/m')).length).toBe(2);
  });

  it('verifies uploaded objects against the sha256 in their URL and enforces the file limit', async () => {
    const put = (oid: string, body: Uint8Array) =>
      fetch(`${h.baseUrl}/api/models/alice/m/objects/${oid}`, { method: 'PUT', body, headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/octet-stream' } });
    expect((await put(sha256Hex('abc'), enc('abc'))).status).toBe(200);
    expect((await put(sha256Hex('abc'), enc('abd'))).status).toBe(400);
    expect((await put('nothex', enc('abc'))).status).toBe(400);
    expect((await put(sha256Hex('x'), new Uint8Array(100_001))).status).toBe(413);
    await expect(alice.upload('alice/m', [{ path: 'big', bytes: new Uint8Array(100_001) }], { message: 'too big' })).rejects.toSatisfy((e) => isStorageError(e, 'too_large'));
    // Refused uploads close their connection, so nothing keeps the server from closing (it used to wait ~70 s).
    const t0 = Date.now();
    await h.server.close();
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('never serves anything outside the hub, however the path is spelt', async () => {
    await writeFile(join(h.dir.path, 'outside.txt'), 'outside the hub');
    await alice.upload('alice/m', [{ path: 'a.txt', bytes: enc('inside') }], { message: 'x' });
    const paths = [
      '/alice/m/resolve/main/../../../../outside.txt',
      '/alice/m/resolve/main/%2e%2e/%2e%2e/%2e%2e/outside.txt',
      '/alice/m/resolve/main/..%2F..%2F..%2Foutside.txt',
      '/alice/m/resolve/main//etc/passwd',
      '/alice/m/resolve/main/%2Fetc%2Fpasswd',
      '/alice/m/resolve/main/a.txt%00.png',
      '/alice/m/resolve/../../outside.txt',
      '/alice/..%2F..%2F/resolve/main/a.txt',
      '/../outside.txt',
    ];
    for (const path of paths) {
      const res = await rawRequest(h.baseUrl, 'GET', path);
      expect([400, 404], `${path} → ${res.status}`).toContain(res.status);
      expect(res.body.toString()).not.toContain('outside the hub');
    }
  });

  it('turns an unreachable server into unavailable', async () => {
    const gone = new HttpModelHub({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(gone.repoInfo('alice/m')).rejects.toSatisfy((e) => isStorageError(e, 'unavailable'));
  });
});
