import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { isStorageError } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { deadPid, tempDir } from '../testing.ts';
import { BLOB_HEADER_BYTES, LocalBlobStore } from './local.ts';
import { loadOrCreateSecret } from './signing.ts';

const secret = new Uint8Array(32).fill(7);
let dir: { path: string; cleanup: () => Promise<void> };
let clock: ManualClock;
let store: LocalBlobStore;

beforeEach(async () => {
  dir = await tempDir();
  clock = new ManualClock(Date.UTC(2025, 7, 1, 12));
  store = await LocalBlobStore.open({ root: join(dir.path, 'blobs'), secret, clock, baseUrl: 'http://blobs.test' });
});
afterEach(() => dir.cleanup());

const text = (s: string) => new TextEncoder().encode(s);

describe('LocalBlobStore', () => {
  it('round-trips bytes with size, sha256, content type and upload time', async () => {
    const info = await store.put('abc_train_data.json', text('[{"a":1}]'), 'application/json');
    expect(info).toEqual({
      key: 'abc_train_data.json',
      size: 9,
      sha256: sha256Hex('[{"a":1}]'),
      contentType: 'application/json',
      lastModified: '2025-08-01T12:00:00.000Z',
    });
    expect(new TextDecoder().decode(await store.get('abc_train_data.json'))).toBe('[{"a":1}]');
    expect(await store.head('abc_train_data.json')).toEqual(info);
    expect(await store.head('missing')).toBeNull();
  });

  it('accepts streams and async iterables', async () => {
    const chunks = [text('hello '), text('stream')];
    await store.put('s1', Readable.from(chunks));
    await store.put('s2', (async function* () {
      yield* chunks;
    })());
    expect(new TextDecoder().decode(await store.get('s1'))).toBe('hello stream');
    expect((await store.head('s2'))?.sha256).toBe(sha256Hex('hello stream'));
    const { info, stream } = await store.getStream('s1');
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('hello stream');
    expect(info.size).toBe(12);
  });

  it('overwrites, deletes and leaves exactly one file per key: a header, then the bytes', async () => {
    await store.put('k', text('one'));
    await clock.advance(1000);
    const second = await store.put('k', text('two'));
    expect(second.lastModified).toBe('2025-08-01T12:00:01.000Z');
    expect(new TextDecoder().decode(await store.get('k'))).toBe('two');
    expect(await readdir(join(store.root, 'files'))).toEqual([sha256Hex('k')]);
    const file = await readFile(join(store.root, 'files', sha256Hex('k')));
    expect(file).toHaveLength(BLOB_HEADER_BYTES + 3);
    expect(JSON.parse(file.subarray(0, BLOB_HEADER_BYTES).toString())).toEqual({ key: 'k', size: 3, sha256: sha256Hex('two'), content_type: 'application/octet-stream', last_modified: '2025-08-01T12:00:01.000Z' });
    expect(file.subarray(BLOB_HEADER_BYTES).toString()).toBe('two');
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    await expect(store.get('k')).rejects.toSatisfy((e) => isStorageError(e, 'not_found'));
    await expect(store.getStream('k')).rejects.toSatisfy((e) => isStorageError(e, 'not_found'));
    expect(await readdir(join(store.root, 'files'))).toHaveLength(0);
  });

  it('stores empty blobs and keys at the length limit with the longest content type', async () => {
    const key = `${'k'.repeat(127)}/`.repeat(4).slice(0, 511) + 'z';
    const type = `x/${'"\\'.repeat(84)}`;
    await store.put(key, new Uint8Array(0), type);
    expect(await store.head(key)).toMatchObject({ key, size: 0, contentType: type });
    expect(await store.get(key)).toHaveLength(0);
  });

  it('streams from the file it read the header from, even when a put replaces the blob meanwhile', async () => {
    await store.put('k', text('first version'));
    const { info, stream } = await store.getStream('k');
    await store.put('k', text('second'));
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('first version');
    expect(info.size).toBe(13);
    expect(new TextDecoder().decode(await store.get('k'))).toBe('second');
  });

  it('lists by prefix in key order', async () => {
    for (const key of ['tasks/b/test.json', 'tasks/a/train.json', 'tasks/a/test.json', 'scores/1.json', 'tasks']) await store.put(key, text(key));
    expect((await store.list('tasks/a/')).map((b) => b.key)).toEqual(['tasks/a/test.json', 'tasks/a/train.json']);
    expect((await store.list('tasks')).map((b) => b.key)).toEqual(['tasks', 'tasks/a/test.json', 'tasks/a/train.json', 'tasks/b/test.json']);
    expect(await store.list()).toHaveLength(5);
    await expect(store.list('../')).resolves.toEqual([]);
    await expect(store.list('a b')).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
  });

  it('refuses invalid keys before touching the disk', async () => {
    for (const key of ['../escape', '/etc/passwd', 'a/../../b', 'a\0b', '%2e%2e/x', '']) {
      await expect(store.put(key, text('x'))).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
      await expect(store.get(key)).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
      await expect(store.signedUrl(key, { method: 'GET', expiresInSeconds: 60 })).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    }
    expect(await readdir(dir.path)).toEqual(['blobs']);
  });

  it('refuses a blob over the size limit and leaves nothing behind', async () => {
    const small = await LocalBlobStore.open({ root: store.root, secret, clock, maxBytes: 10 });
    await expect(small.put('big', Readable.from([text('123456'), text('789012')]))).rejects.toSatisfy((e) => isStorageError(e, 'too_large'));
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
    expect(await small.head('big')).toBeNull();
    await small.put('fits', text('1234567890'));
  });

  it('detects content that no longer matches its recorded size or sha256, and a damaged header', async () => {
    await store.put('k', text('original'));
    const path = join(store.root, 'files', sha256Hex('k'));
    const file = await readFile(path);
    await writeFile(path, Buffer.concat([file.subarray(0, BLOB_HEADER_BYTES), Buffer.from('tampered')]));
    await expect(store.get('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    await writeFile(path, Buffer.concat([file.subarray(0, BLOB_HEADER_BYTES), Buffer.from('orig')]));
    await expect(store.get('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    await expect(store.getStream('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    await writeFile(path, file.subarray(0, 100));
    await expect(store.head('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    await expect(store.get('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    // A header that names another key is damage too (a file renamed by hand).
    await store.put('other', text('x'));
    await rm(path);
    await rename(join(store.root, 'files', sha256Hex('other')), path);
    await expect(store.get('k')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    expect(await store.list()).toEqual([expect.objectContaining({ key: 'other' })]);
  });

  it('removes leftovers of dead writers on open, and keeps those of live ones', async () => {
    await store.put('kept', text('x'));
    const dead = deadPid();
    await writeFile(join(store.root, 'tmp', `${dead}-abcd.tmp`), 'partial');
    await writeFile(join(store.root, 'tmp', `${process.pid}-beef.tmp`), 'in flight');
    const reopened = await LocalBlobStore.open({ root: store.root, secret, clock });
    expect(await readdir(join(store.root, 'tmp'))).toEqual([`${process.pid}-beef.tmp`]);
    expect(new TextDecoder().decode(await reopened.get('kept'))).toBe('x');
  });

  it('moves a store of the earlier layout (records naming objects) to one file per blob', async () => {
    const root = join(dir.path, 'old');
    const legacy = async (key: string, content: string, object: string) => {
      await writeFile(join(root, 'objects', object), content);
      const record = { key, object, size: content.length, sha256: sha256Hex(content), content_type: 'application/json', last_modified: '2025-07-01T00:00:00.000Z' };
      await writeFile(join(root, 'records', `${sha256Hex(key)}.json`), JSON.stringify(record, null, 2));
    };
    await mkdir(join(root, 'records'), { recursive: true });
    await mkdir(join(root, 'objects'), { recursive: true });
    await legacy('tasks/a/train.json', '[1,2,3]', `${sha256Hex('tasks/a/train.json')}-${deadPid()}-${'1'.repeat(16)}`);
    await legacy('damaged', 'abc', `${sha256Hex('damaged')}-1-${'2'.repeat(16)}`);
    await writeFile(join(root, 'objects', `${sha256Hex('damaged')}-1-${'2'.repeat(16)}`), 'changed');
    await writeFile(join(root, 'records', 'junk.json'), '{');
    const migrated = await LocalBlobStore.open({ root, secret, clock });
    expect((await readdir(root)).sort()).toEqual(['files', 'tmp']);
    expect(new TextDecoder().decode(await migrated.get('tasks/a/train.json'))).toBe('[1,2,3]');
    expect(await migrated.head('tasks/a/train.json')).toEqual({ key: 'tasks/a/train.json', size: 7, sha256: sha256Hex('[1,2,3]'), contentType: 'application/json', lastModified: '2025-07-01T00:00:00.000Z' });
    expect(await migrated.head('damaged')).toBeNull();
    // Opening again finds nothing to move.
    await LocalBlobStore.open({ root, secret, clock });
    expect(await migrated.list()).toHaveLength(1);
  });

  it('signs URLs only for GET/PUT and lifetimes within the maximum', async () => {
    const url = new URL(await store.signedUrl('tasks/a.json', { method: 'GET', expiresInSeconds: 604_800 }));
    expect(url.origin + url.pathname).toBe('http://blobs.test/blobs/tasks/a.json');
    expect(Number(url.searchParams.get('expires'))).toBe(Date.UTC(2025, 7, 1, 12) / 1000 + 604_800);
    for (const expiresInSeconds of [0, -1, 604_801, 1.5]) {
      await expect(store.signedUrl('k', { method: 'GET', expiresInSeconds })).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    }
    await expect(store.signedUrl('k', { method: 'DELETE' as 'GET', expiresInSeconds: 5 })).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    const noBase = await LocalBlobStore.open({ root: store.root, secret, clock });
    await expect(noBase.signedUrl('k', { method: 'GET', expiresInSeconds: 5 })).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
  });
});

describe('signing secret', () => {
  it('is created once, 0600, and reused', async () => {
    const path = join(dir.path, 'home', 'blob-signing.key');
    const first = await loadOrCreateSecret(path);
    expect(first).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await loadOrCreateSecret(path)).equals(Buffer.from(first))).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(join(dir.path, 'home'))).toEqual(['blob-signing.key']);
  });

  it('gives every concurrent opener the same secret', async () => {
    const path = join(dir.path, 'race', 'blob-signing.key');
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(path)));
    for (const s of all) expect(Buffer.from(s).equals(Buffer.from(all[0] as Uint8Array))).toBe(true);
  });

  it('refuses a damaged secret file', async () => {
    const path = join(dir.path, 'bad.key');
    await writeFile(path, 'short');
    await expect(loadOrCreateSecret(path)).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
  });
});
