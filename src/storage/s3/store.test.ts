import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { blobStoreContract } from '../blob/contract.ts';
import { isStorageError } from '../errors.ts';
import type { StorageErrorCode } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { TestS3Server } from './local-server.ts';
import { S3BlobStore } from './store.ts';
import type { S3BlobStoreOptions } from './store.ts';

const BUCKET = 'god-test';
const code = (c: StorageErrorCode) => (e: unknown) => isStorageError(e, c);
const enc = (s: string) => new TextEncoder().encode(s);

/** A manual clock on the current whole second: the server checks SigV4 request dates against it (15 min skew). */
const nowClock = () => new ManualClock(Math.floor(Date.now() / 1000) * 1000);

function storeFor(server: TestS3Server, extra: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  return new S3BlobStore({
    endpoint: server.endpoint,
    bucket: BUCKET,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    // Small parts so the 3 MiB contract blob goes through multipart upload.
    multipartThresholdBytes: 1024 * 1024,
    partBytes: 1024 * 1024,
    retryBaseMs: 5,
    ...extra,
  });
}

blobStoreContract('S3 adapter against the test S3 server', async () => {
  const clock = nowClock();
  const server = await TestS3Server.start({ clock, minPartSize: 1024 * 1024 });
  const stores: S3BlobStore[] = [storeFor(server, { clock })];
  return {
    store: stores[0] as S3BlobStore,
    clock,
    withMaxBytes: async (maxBytes) => {
      const s = storeFor(server, { clock, maxBytes });
      stores.push(s);
      return s;
    },
    tamper: async (key, bytes) => server.tamper(BUCKET, key, bytes),
    close: async () => {
      for (const s of stores) s.close();
      await server.close();
    },
  };
});

describe('S3BlobStore', () => {
  let clock: ManualClock;
  let server: TestS3Server;
  let store: S3BlobStore;
  beforeEach(async () => {
    clock = nowClock();
    server = await TestS3Server.start({ clock, minPartSize: 1024 * 1024 });
    store = storeFor(server, { clock });
  });
  afterEach(async () => {
    store.close();
    await server.close();
  });

  it('signs every request (SigV4 in headers) and records sha256 as metadata and as a verified checksum', async () => {
    await store.put('a.json', enc('{}'), 'application/json');
    const put = server.requests.find((r) => r.method === 'PUT');
    expect(put).toMatchObject({ path: `/${BUCKET}/a.json`, auth: 'header', status: 200 });
    expect(server.requests.every((r) => r.auth === 'header')).toBe(true);
    const obj = server.buckets.get(BUCKET)?.get('a.json');
    expect(obj?.metadata).toEqual({ sha256: sha256Hex('{}') });
    expect(obj?.checksumSha256).toBe(Buffer.from(sha256Hex('{}'), 'hex').toString('base64'));
  });

  it('uploads large streams in parts with per-part checksums, in order', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    await store.put('big.bin', Readable.from([bytes]));
    const parts = server.requests.filter((r) => r.method === 'PUT' && r.query.partNumber !== undefined).map((r) => Number(r.query.partNumber)).sort();
    expect(parts).toEqual([1, 2, 3, 4]);
    expect(server.requests.filter((r) => r.method === 'POST').map((r) => Object.keys(r.query).filter((k) => k !== 'x-id'))).toEqual([['uploads'], ['uploadId']]);
    expect(server.buckets.get(BUCKET)?.get('big.bin')?.checksumSha256).toMatch(/-4$/);
    expect(server.uploads.size).toBe(0);
    const { stream } = await store.getStream('big.bin', { start: 10, end: 19 });
    const got: Buffer[] = [];
    for await (const c of stream) got.push(c as Buffer);
    expect(Buffer.concat(got).equals(bytes.subarray(10, 20))).toBe(true);
  });

  it('pages through ListObjectsV2', async () => {
    const paged = storeFor(server, { clock, listPageSize: 2 });
    const keys = Array.from({ length: 5 }, (_, i) => `p/${String(i).padStart(4, '0')}`);
    for (const k of keys) server.buckets.get(BUCKET)?.set(k, { body: Buffer.from(k), contentType: 'text/plain', metadata: {}, lastModified: clock.date(), etag: '"x"' });
    server.buckets.get(BUCKET)?.set('q', { body: Buffer.from('q'), contentType: 'text/plain', metadata: {}, lastModified: clock.date(), etag: '"x"' });
    const listed = await paged.list('p/');
    paged.close();
    expect(listed.map((b) => b.key)).toEqual(keys);
    expect(listed[0]).toMatchObject({ size: 6, sha256: null, contentType: 'text/plain' });
    expect(server.requests.filter((r) => r.query['list-type'] === '2').map((r) => r.query['max-keys'])).toEqual(['2', '2', '2']);
  });

  it('retries 503 SlowDown and succeeds, then gives up as unavailable', async () => {
    server.faults.slowDown = 2;
    await store.put('t', enc('throttled'));
    expect(server.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 200]);
    server.faults.slowDown = 100;
    await expect(store.get('t')).rejects.toSatisfy((e) => code('unavailable')(e) && /SlowDown.*after 4 attempts/.test((e as Error).message));
    expect(100 - server.faults.slowDown).toBe(4);
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    const gone = await TestS3Server.start();
    const endpoint = gone.endpoint;
    await gone.close();
    const dead = new S3BlobStore({ endpoint, bucket: BUCKET, accessKeyId: 'a', secretAccessKey: 'b', maxAttempts: 2, retryBaseMs: 1 });
    await expect(dead.put('k', enc('x'))).rejects.toSatisfy(code('unavailable'));
    await expect(dead.head('k')).rejects.toSatisfy(code('unavailable'));
    dead.close();
  });

  it('reports bytes damaged on the way up as corrupt and stores nothing (single and multipart)', async () => {
    server.faults.corruptUploads = 1;
    await expect(store.put('c1', enc('some task data'))).rejects.toSatisfy(code('corrupt'));
    expect(await store.head('c1')).toBeNull();
    server.faults.corruptUploads = 1;
    await expect(store.put('c2', Readable.from([randomBytes(2 * 1024 * 1024 + 1)]))).rejects.toSatisfy(code('corrupt'));
    expect(await store.head('c2')).toBeNull();
    expect(server.uploads.size).toBe(0); // the failed multipart upload was aborted
    expect(server.requests.some((r) => r.method === 'DELETE' && r.query.uploadId !== undefined)).toBe(true);
  });

  it('refuses wrong credentials as forbidden', async () => {
    const wrong = storeFor(server, { secretAccessKey: 'not-the-secret', maxAttempts: 1 });
    await expect(wrong.put('k', enc('x'))).rejects.toSatisfy(code('forbidden'));
    await expect(wrong.get('k')).rejects.toSatisfy(code('forbidden'));
    wrong.close();
    expect(server.requests.filter((r) => r.status === 403)).toHaveLength(2);
  });

  it('makes presigned URLs the server verifies, expiring at the second', async () => {
    await store.put('d.json', enc('[]'));
    const url = new URL(await store.signedUrl('d.json', { method: 'GET', expiresInSeconds: 30 }));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('30');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect([...url.searchParams.keys()].some((k) => k.toLowerCase().includes('checksum'))).toBe(false);
    await clock.advance(30_000);
    expect((await fetch(url)).status).toBe(200);
    await clock.advance(1000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    // Tampering with the lifetime breaks the signature.
    url.searchParams.set('X-Amz-Expires', '3600');
    const forged = await fetch(url);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('SignatureDoesNotMatch');
    expect(server.requests.filter((r) => r.auth === 'presigned')).toHaveLength(1);
  });

  it('creates its bucket when asked', async () => {
    const other = storeFor(server, { bucket: 'fresh-bucket' });
    await expect(other.put('k', enc('x'))).rejects.toSatisfy(code('not_found'));
    await other.ensureBucket();
    await other.ensureBucket();
    await other.put('k', enc('x'));
    expect(server.buckets.get('fresh-bucket')?.has('k')).toBe(true);
    other.close();
  });
});
