/**
 * The behaviour every BlobStore must show, as one suite run against the local store (served by its signed-URL
 * routes) and the S3 adapter (against the test S3 server). Layout-specific checks (record files, sweeping dead
 * writers' leftovers) stay in the local store's own tests.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../clock/index.ts';
import { isStorageError } from '../errors.ts';
import type { StorageErrorCode } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import type { BlobStore } from './types.ts';

export interface BlobFixture {
  store: BlobStore;
  /** The clock the store (and its server) judge times and expiry by; starts on a whole second. */
  clock: ManualClock;
  /** Another store on the same backend with a smaller size limit. */
  withMaxBytes(maxBytes: number): Promise<BlobStore>;
  /** Replaces the stored bytes of `key` behind the store's back. */
  tamper(key: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const code = (c: StorageErrorCode) => (e: unknown) => isStorageError(e, c);

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

export function blobStoreContract(name: string, setup: () => Promise<BlobFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let f: BlobFixture;
    let store: BlobStore;
    beforeEach(async () => {
      f = await setup();
      store = f.store;
    });
    afterEach(() => f.close());

    it('round-trips bytes with size, sha256, content type and upload time', async () => {
      const info = await store.put('abc_train_data.json', enc('[{"a":1}]'), 'application/json');
      expect(info).toEqual({ key: 'abc_train_data.json', size: 9, sha256: sha256Hex('[{"a":1}]'), contentType: 'application/json', lastModified: f.clock.date().toISOString() });
      expect(dec(await store.get('abc_train_data.json'))).toBe('[{"a":1}]');
      expect(await store.head('abc_train_data.json')).toEqual(info);
      expect(await store.head('missing')).toBeNull();
      await expect(store.get('missing')).rejects.toSatisfy(code('not_found'));
      await expect(store.getStream('missing')).rejects.toSatisfy(code('not_found'));
      expect((await store.put('untyped', enc('x'))).contentType).toBe('application/octet-stream');
      expect((await store.put('empty', new Uint8Array(0))).size).toBe(0);
      expect(await store.get('empty')).toHaveLength(0);
    });

    it('accepts streams and async iterables, and streams back', async () => {
      const chunks = [enc('hello '), enc('stream')];
      await store.put('s1', Readable.from(chunks));
      await store.put('s2', (async function* () {
        yield* chunks;
      })());
      expect(dec(await store.get('s1'))).toBe('hello stream');
      expect((await store.head('s2'))?.sha256).toBe(sha256Hex('hello stream'));
      const { info, stream } = await store.getStream('s1');
      expect((await readAll(stream)).toString()).toBe('hello stream');
      expect(info.size).toBe(12);
    });

    it('round-trips a 3 MiB random blob from a stream of odd-sized chunks', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const chunks = Array.from({ length: Math.ceil(bytes.length / 65_537) }, (_, i) => bytes.subarray(i * 65_537, (i + 1) * 65_537));
      const info = await store.put('big/blob.bin', Readable.from(chunks));
      expect(info.size).toBe(bytes.length);
      expect(info.sha256).toBe(sha256Hex(bytes));
      expect(Buffer.from(await store.get('big/blob.bin')).equals(bytes)).toBe(true);
      expect((await readAll((await store.getStream('big/blob.bin')).stream)).equals(bytes)).toBe(true);
    });

    it('overwrites with a new upload time, and deletes', async () => {
      await store.put('k', enc('one'));
      await f.clock.advance(1000);
      const second = await store.put('k', enc('two'));
      expect(second.lastModified).toBe(f.clock.date().toISOString());
      expect(dec(await store.get('k'))).toBe('two');
      expect(await store.delete('k')).toBe(true);
      expect(await store.delete('k')).toBe(false);
      await expect(store.get('k')).rejects.toSatisfy(code('not_found'));
      expect(await store.head('k')).toBeNull();
    });

    it('lists by prefix in key order', async () => {
      for (const key of ['tasks/b/test.json', 'tasks/a/train.json', 'tasks/a/test.json', 'scores/1.json', 'tasks']) await store.put(key, enc(key), 'application/json');
      const a = await store.list('tasks/a/');
      expect(a.map((b) => b.key)).toEqual(['tasks/a/test.json', 'tasks/a/train.json']);
      expect(a[0]).toMatchObject({ size: 17, sha256: sha256Hex('tasks/a/test.json'), contentType: 'application/json' });
      expect((await store.list('tasks')).map((b) => b.key)).toEqual(['tasks', 'tasks/a/test.json', 'tasks/a/train.json', 'tasks/b/test.json']);
      expect(await store.list()).toHaveLength(5);
      await expect(store.list('../')).resolves.toEqual([]);
      await expect(store.list('a b')).rejects.toSatisfy(code('invalid'));
    });

    it('refuses invalid keys before sending anything', async () => {
      for (const key of ['../escape', '/etc/passwd', 'a/../../b', 'a\0b', '%2e%2e/x', '', 'a//b', '.hidden']) {
        await expect(store.put(key, enc('x'))).rejects.toSatisfy(code('invalid'));
        await expect(store.get(key)).rejects.toSatisfy(code('invalid'));
        await expect(store.head(key)).rejects.toSatisfy(code('invalid'));
        await expect(store.signedUrl(key, { method: 'GET', expiresInSeconds: 60 })).rejects.toSatisfy(code('invalid'));
      }
      await expect(store.put('k', enc('x'), 'bad\ntype')).rejects.toSatisfy(code('invalid'));
      expect(await store.list()).toEqual([]);
    });

    it('refuses a blob over the size limit, from bytes or a stream, and stores nothing', async () => {
      const small = await f.withMaxBytes(10);
      await expect(small.put('big', Readable.from([enc('123456'), enc('789012')]))).rejects.toSatisfy(code('too_large'));
      await expect(small.put('big', enc('12345678901'))).rejects.toSatisfy(code('too_large'));
      expect(await small.head('big')).toBeNull();
      await small.put('fits', enc('1234567890'));
      expect(dec(await store.get('fits'))).toBe('1234567890');
    });

    it('detects stored bytes that no longer match their sha256', async () => {
      await store.put('k', enc('original'));
      await f.tamper('k', enc('tampered'));
      await expect(store.get('k')).rejects.toSatisfy(code('corrupt'));
    });

    it('signs GET and PUT URLs that work with plain fetch until they expire', async () => {
      await store.put('tasks/x_test_data.json', enc('[1,2,3]'), 'application/json');
      const get = await store.signedUrl('tasks/x_test_data.json', { method: 'GET', expiresInSeconds: 60 });
      const res = await fetch(get);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('[1,2,3]');

      const put = await store.signedUrl('uploads/scores.json', { method: 'PUT', expiresInSeconds: 60 });
      expect((await fetch(put, { method: 'PUT', body: enc('{"ok":true}') })).status).toBe(200);
      expect(dec(await store.get('uploads/scores.json'))).toBe('{"ok":true}');
      const putInfo = await store.head('uploads/scores.json');
      expect(putInfo?.size).toBe(11);
      // A backend that cannot see the bytes of a presigned upload may not know their sha256; if it says one, it is right.
      expect([null, sha256Hex('{"ok":true}')]).toContain(putInfo?.sha256);

      // A GET URL does not allow PUT, and a changed key breaks the signature.
      expect((await fetch(get, { method: 'PUT', body: enc('x') })).status).toBe(403);
      expect((await fetch(get.replace('x_test_data', 'y_test_data'))).status).toBe(403);

      await f.clock.advance(61_000);
      const expired = await fetch(get);
      expect(expired.status).toBe(403);
      await expired.arrayBuffer();
      expect((await fetch(put, { method: 'PUT', body: enc('late') })).status).toBe(403);
      expect(dec(await store.get('uploads/scores.json'))).toBe('{"ok":true}');
    });

    it('signs URLs only for GET/PUT and lifetimes from 1 s to 7 days', async () => {
      await store.signedUrl('k', { method: 'GET', expiresInSeconds: 604_800 });
      for (const expiresInSeconds of [0, -1, 604_801, 1.5]) {
        await expect(store.signedUrl('k', { method: 'GET', expiresInSeconds })).rejects.toSatisfy(code('invalid'));
      }
      await expect(store.signedUrl('k', { method: 'DELETE' as 'GET', expiresInSeconds: 5 })).rejects.toSatisfy(code('invalid'));
    });
  });
}
