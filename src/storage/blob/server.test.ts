import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { createServer } from '../../http/index.ts';
import type { GodServer } from '../../http/index.ts';
import { sha256Hex } from '../fsutil.ts';
import { rawRequest, tempDir } from '../testing.ts';
import { LocalBlobStore } from './local.ts';
import { registerBlobRoutes } from './server.ts';
import { signBlobRequest } from './signing.ts';

const secret = new Uint8Array(32).fill(3);
const start = Date.UTC(2025, 7, 1, 12);
let dir: { path: string; cleanup: () => Promise<void> };
let clock: ManualClock;
let store: LocalBlobStore;
let server: GodServer;
let base: string;

beforeEach(async () => {
  dir = await tempDir();
  clock = new ManualClock(start);
  store = await LocalBlobStore.open({ root: join(dir.path, 'blobs'), secret, clock, maxBytes: 1000 });
  server = createServer({ logRequests: false });
  registerBlobRoutes(server, store);
  base = await server.listen();
  store.setBaseUrl(base);
});
afterEach(async () => {
  await server.close();
  await dir.cleanup();
});

const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const detail = async (res: Response) => ((await res.json()) as { detail: unknown }).detail;

describe('blob routes', () => {
  it('serves a blob by signed GET URL with its headers, and HEAD with the same URL', async () => {
    await store.put('abc_test_data.json', new TextEncoder().encode('[1,2,3]'), 'application/json');
    const url = await store.signedUrl('abc_test_data.json', { method: 'GET', expiresInSeconds: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('[1,2,3]');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('etag')).toBe(`"${sha256Hex('[1,2,3]')}"`);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('7');
  });

  it('accepts a URL until its expiry second and refuses it after (403 {detail})', async () => {
    await store.put('k', new Uint8Array([1]));
    const url = await store.signedUrl('k', { method: 'GET', expiresInSeconds: 60 });
    await clock.advance(60_000);
    expect((await fetch(url)).status).toBe(200);
    await clock.advance(1000);
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await detail(res)).toBe('Signature expired');
  });

  it('refuses forged, missing, swapped and wrong-method signatures', async () => {
    await store.put('a', new Uint8Array([1]));
    await store.put('b', new Uint8Array([2]));
    const url = new URL(await store.signedUrl('a', { method: 'GET', expiresInSeconds: 60 }));
    const sig = url.searchParams.get('signature') as string;
    const expires = url.searchParams.get('expires') as string;
    const cases: [string, string][] = [
      [`/blobs/a?expires=${expires}&signature=${sig.slice(0, -2)}AA`, 'Invalid signature'],
      [`/blobs/a?expires=${Number(expires) + 3600}&signature=${sig}`, 'Invalid signature'],
      [`/blobs/b?expires=${expires}&signature=${sig}`, 'Invalid signature'],
      [`/blobs/a?expires=${expires}`, 'Missing signature'],
      ['/blobs/a', 'Missing signature'],
      [`/blobs/a?expires=soon&signature=${sig}`, 'Invalid signature'],
      // Signed by someone with another secret.
      [`/blobs/a?expires=${expires}&signature=${signBlobRequest(new Uint8Array(32).fill(9), 'GET', 'a', Number(expires))}`, 'Invalid signature'],
    ];
    for (const [path, reason] of cases) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(403);
      expect(await detail(res)).toBe(reason);
    }
    // A GET signature does not allow a PUT.
    const put = await fetch(url, { method: 'PUT', body: 'overwrite' });
    expect(put.status).toBe(403);
    expect(new TextDecoder().decode(await store.get('a'))).toBe('\u0001');
  });

  it('stores an upload by signed PUT URL, streamed, and refuses bodies over the limit', async () => {
    const putUrl = await store.signedUrl('uploads/data.json', { method: 'PUT', expiresInSeconds: 60 });
    const res = await fetch(putUrl, { method: 'PUT', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ key: 'uploads/data.json', size: 7, sha256: sha256Hex('{"x":1}'), content_type: 'application/json' });
    expect((await store.head('uploads/data.json'))?.contentType).toBe('application/json');

    const tooBig = await fetch(putUrl, { method: 'PUT', body: 'x'.repeat(1001) });
    expect(tooBig.status).toBe(413);
    // Without a content-length the limit is enforced while streaming.
    const chunked = await fetch(putUrl, {
      method: 'PUT',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 11; i++) c.enqueue(new Uint8Array(100));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
    expect((await store.head('uploads/data.json'))?.size).toBe(7);
  });

  it('refuses traversal in every spelling, even when signed with the real secret', async () => {
    await writeFile(join(dir.path, 'outside.txt'), 'secret outside the root');
    const expires = start / 1000 + 600;
    const attempts = ['../outside.txt', '../../outside.txt', '/etc/passwd', 'a/../../outside.txt', 'a\0b', '..', '.'];
    const spellings = (key: string) => [
      key,
      encodeURIComponent(key),
      key.replaceAll('.', '%2e'),
      key.replaceAll('/', '%2F'),
      key.replaceAll('.', '%2E').replaceAll('/', '%2f'),
    ];
    for (const key of attempts) {
      const signature = signBlobRequest(secret, 'GET', key, expires);
      for (const spelled of spellings(key)) {
        const path = `/blobs/${spelled.replaceAll('\0', '%00')}?expires=${expires}&signature=${signature}`;
        const res = await rawRequest(base, 'GET', path);
        // The signature is valid for the decoded key, so what refuses it is the key check itself.
        expect(res.status, path).toBe(400);
        expect(res.body.toString()).not.toContain('secret outside');
        const put = await rawRequest(base, 'PUT', path.replace(signature, signBlobRequest(secret, 'PUT', key, expires)), Buffer.from('pwned'));
        expect(put.status, `PUT ${path}`).toBe(400);
      }
    }
    expect((await readdir(dir.path)).sort()).toEqual(['blobs', 'outside.txt']);
    expect(await store.list()).toEqual([]);
  });

  it('answers 404 {detail} for a signed URL of a missing blob', async () => {
    const res = await rawRequest(base, 'GET', pathOf(await store.signedUrl('nothing/here', { method: 'GET', expiresInSeconds: 5 })));
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toEqual({ detail: 'blob nothing/here not found' });
  });
});
