/**
 * The behaviour every ModelHub must show, as one suite run against the local hub, the HTTP client talking to
 * the hub server, and later the Hugging Face adapter against its recording fake.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../clock/index.ts';
import { isStorageError } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { tempDir } from '../testing.ts';
import { revisionSha } from './commit.ts';
import type { ModelHub } from './types.ts';

export interface HubFixture {
  hub: ModelHub;
  clock: ManualClock;
  close(): Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const code = (c: string) => (e: unknown) => isStorageError(e, c as never);

export function modelHubContract(name: string, setup: () => Promise<HubFixture>): void {
  describe(`ModelHub contract: ${name}`, () => {
    let f: HubFixture;
    let hub: ModelHub;
    let out: { path: string; cleanup: () => Promise<void> };
    beforeEach(async () => {
      f = await setup();
      hub = f.hub;
      out = await tempDir('god-hub-out-');
    });
    afterEach(async () => {
      await f.close();
      await out.cleanup();
    });

    it('creates a repository with an empty first revision; a second create conflicts unless existOk', async () => {
      expect(await hub.exists('alice/m1')).toBe(false);
      expect(await hub.createRepo('alice/m1')).toEqual({ repoId: 'alice/m1', created: true });
      expect(await hub.exists('alice/m1')).toBe(true);
      const info = await hub.repoInfo('alice/m1');
      expect(info).toEqual({ id: 'alice/m1', sha: revisionSha(null, []), lastModified: f.clock.date().toISOString(), createdAt: f.clock.date().toISOString(), files: [] });
      await expect(hub.createRepo('alice/m1')).rejects.toSatisfy(code('conflict'));
      expect(await hub.createRepo('alice/m1', { existOk: true })).toEqual({ repoId: 'alice/m1', created: false });
    });

    it('round-trips files with sizes and sha256, and downloads them', async () => {
      await hub.createRepo('alice/m1');
      const files = [
        { path: 'config.json', bytes: enc('{"n_layer":2}') },
        { path: 'model.safetensors', bytes: new Uint8Array([0, 1, 2, 255, 254]) },
        { path: 'checkpoint/last.safetensors', bytes: enc('ckpt') },
      ];
      const rev = await hub.upload('alice/m1', files, { message: 'Upload model' });
      const info = await hub.repoInfo('alice/m1');
      expect(info.sha).toBe(rev.sha);
      expect(info.files).toEqual([
        { path: 'checkpoint/last.safetensors', size: 4, sha256: sha256Hex('ckpt') },
        { path: 'config.json', size: 13, sha256: sha256Hex('{"n_layer":2}') },
        { path: 'model.safetensors', size: 5, sha256: sha256Hex(new Uint8Array([0, 1, 2, 255, 254])) },
      ]);
      expect(dec(await hub.getFile('alice/m1', 'config.json'))).toBe('{"n_layer":2}');
      const dl = await hub.download('alice/m1', {}, out.path);
      expect(dl.sha).toBe(rev.sha);
      expect(dl.files).toEqual([join(out.path, 'checkpoint/last.safetensors'), join(out.path, 'config.json'), join(out.path, 'model.safetensors')]);
      expect([...(await readFile(join(out.path, 'model.safetensors')))]).toEqual([0, 1, 2, 255, 254]);
      expect((await readdir(out.path)).sort()).toEqual(['checkpoint', 'config.json', 'model.safetensors']);
    });

    it('keeps every revision readable, merges by default, replaces or deletes on request', async () => {
      await hub.createRepo('bob/m');
      const r1 = await hub.upload('bob/m', [{ path: 'a.txt', bytes: enc('a1') }, { path: 'b.txt', bytes: enc('b1') }], { message: 'one' });
      await f.clock.advance(1000);
      const r2 = await hub.upload('bob/m', [{ path: 'a.txt', bytes: enc('a2') }], { message: 'two' });
      await f.clock.advance(1000);
      const r3 = await hub.upload('bob/m', [{ path: 'c.txt', bytes: enc('c3') }], { message: 'three', mode: 'replace' });
      await f.clock.advance(1000);
      const r4 = await hub.upload('bob/m', [], { message: 'four', deletePaths: ['c.txt'] });
      expect(r2.parent).toBe(r1.sha);
      expect(r4.parent).toBe(r3.sha);
      expect((await hub.repoInfo('bob/m', { revision: r2.sha })).files.map((x) => x.path)).toEqual(['a.txt', 'b.txt']);
      expect(dec(await hub.getFile('bob/m', 'a.txt', { revision: r1.sha }))).toBe('a1');
      expect(dec(await hub.getFile('bob/m', 'a.txt', { revision: r2.sha }))).toBe('a2');
      expect((await hub.repoInfo('bob/m', { revision: r3.sha })).files.map((x) => x.path)).toEqual(['c.txt']);
      expect((await hub.repoInfo('bob/m')).files).toEqual([]);
      const history = await hub.listRevisions('bob/m');
      expect(history.map((r) => r.message)).toEqual(['four', 'three', 'two', 'one', 'initial commit']);
      expect(history.map((r) => r.sha).slice(0, 4)).toEqual([r4.sha, r3.sha, r2.sha, r1.sha]);
      expect(history[4]?.parent).toBeNull();
      await expect(hub.getFile('bob/m', 'a.txt')).rejects.toSatisfy(code('not_found'));
      await expect(hub.repoInfo('bob/m', { revision: 'f'.repeat(64) })).rejects.toSatisfy(code('not_found'));
    });

    it('keeps the upload timestamp of a revision however often it is read', async () => {
      await hub.createRepo('carol/m');
      await f.clock.advance(5000);
      const uploadedAt = f.clock.date().toISOString();
      const rev = await hub.upload('carol/m', [{ path: 'model.safetensors', bytes: enc('w') }], { message: 'up' });
      expect(rev.date).toBe(uploadedAt);
      for (let i = 0; i < 3; i++) {
        await f.clock.advance(3_600_000);
        expect((await hub.repoInfo('carol/m')).lastModified).toBe(uploadedAt);
        await hub.getFile('carol/m', 'model.safetensors');
        await hub.download('carol/m', {}, out.path);
        await hub.listRevisions('carol/m');
      }
      expect((await hub.repoInfo('carol/m')).lastModified).toBe(uploadedAt);
      const later = f.clock.date().toISOString();
      await hub.upload('carol/m', [{ path: 'x', bytes: enc('x') }], { message: 'again' });
      expect((await hub.repoInfo('carol/m')).lastModified).toBe(later);
      expect((await hub.repoInfo('carol/m', { revision: rev.sha })).lastModified).toBe(uploadedAt);
    });

    it('orders the upload times of two repos by upload, not by reads (the duplicate rule)', async () => {
      await hub.createRepo('orig/task-1');
      await hub.createRepo('copy/task-1');
      const weights = enc('same weights');
      await hub.upload('orig/task-1', [{ path: 'model.safetensors', bytes: weights }], { message: 'm' });
      await f.clock.advance(60_000);
      await hub.upload('copy/task-1', [{ path: 'model.safetensors', bytes: weights }], { message: 'm' });
      await f.clock.advance(60_000);
      await hub.download('orig/task-1', {}, out.path);
      const [a, b] = await Promise.all([hub.repoInfo('orig/task-1'), hub.repoInfo('copy/task-1')]);
      expect(Date.parse(a.lastModified)).toBeLessThan(Date.parse(b.lastModified));
      expect(a.files).toEqual(b.files);
    });

    it('refuses a stale parent revision (optimistic concurrency)', async () => {
      await hub.createRepo('dave/m');
      const r1 = await hub.upload('dave/m', [{ path: 'a', bytes: enc('1') }], { message: '1' });
      await hub.upload('dave/m', [{ path: 'a', bytes: enc('2') }], { message: '2', parentRevision: r1.sha });
      await expect(hub.upload('dave/m', [{ path: 'a', bytes: enc('3') }], { message: '3', parentRevision: r1.sha })).rejects.toSatisfy(code('conflict'));
      expect(dec(await hub.getFile('dave/m', 'a'))).toBe('2');
    });

    it('runs concurrent uploads to different repositories, and serialises those to one', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `miner${i}/task`);
      await Promise.all(ids.map((id) => hub.createRepo(id)));
      await Promise.all(ids.map((id, i) => hub.upload(id, [{ path: 'model.safetensors', bytes: enc(`weights ${i}`) }], { message: `m${i}` })));
      for (const [i, id] of ids.entries()) expect(dec(await hub.getFile(id, 'model.safetensors'))).toBe(`weights ${i}`);
      await Promise.all(Array.from({ length: 5 }, (_, i) => hub.upload('miner0/task', [{ path: `f${i}`, bytes: enc(String(i)) }], { message: `c${i}` })));
      const info = await hub.repoInfo('miner0/task');
      expect(info.files.map((x) => x.path)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'model.safetensors']);
      expect(await hub.listRevisions('miner0/task')).toHaveLength(7);
    });

    it('refuses bad ids, paths and revisions, and a missing repository', async () => {
      await hub.createRepo('erin/m');
      for (const id of ['noslash', 'a/b/c', '../x', 'a/..', 'a/b--c']) {
        await expect(hub.createRepo(id)).rejects.toSatisfy(code('invalid'));
        await expect(hub.repoInfo(id)).rejects.toSatisfy(code('invalid'));
      }
      for (const path of ['../x', '/abs', 'a/../../b', 'a\0b', '.git/config', 'a//b']) {
        await expect(hub.upload('erin/m', [{ path, bytes: enc('x') }], { message: 'bad' })).rejects.toSatisfy(code('invalid'));
        await expect(hub.getFile('erin/m', path)).rejects.toSatisfy(code('invalid'));
      }
      await expect(hub.upload('erin/m', [{ path: 'a', bytes: enc('1') }, { path: 'a/b', bytes: enc('2') }], { message: 'file and dir' })).rejects.toSatisfy(code('invalid'));
      await expect(hub.upload('erin/m', [{ path: 'a', bytes: enc('1') }, { path: 'a', bytes: enc('2') }], { message: 'twice' })).rejects.toSatisfy(code('invalid'));
      await expect(hub.repoInfo('erin/m', { revision: 'dev' })).rejects.toSatisfy(code('invalid'));
      await expect(hub.repoInfo('nobody/none')).rejects.toSatisfy(code('not_found'));
      await expect(hub.upload('nobody/none', [{ path: 'a', bytes: enc('1') }], { message: 'x' })).rejects.toSatisfy(code('not_found'));
      expect((await hub.listRevisions('erin/m')).length).toBe(1);
    });
  });
}
