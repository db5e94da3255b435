import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { isStorageError } from '../errors.ts';
import { deadPid, tempDir } from '../testing.ts';
import { modelHubContract } from './contract.ts';
import { LocalModelHub } from './local.ts';

const start = Date.UTC(2025, 7, 1, 12);

modelHubContract('local directory', async () => {
  const dir = await tempDir();
  const clock = new ManualClock(start);
  const hub = await LocalModelHub.open({ root: join(dir.path, 'hub'), clock });
  return { hub, clock, close: dir.cleanup };
});

describe('LocalModelHub on disk', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let clock: ManualClock;
  let hub: LocalModelHub;
  beforeEach(async () => {
    dir = await tempDir();
    clock = new ManualClock(start);
    hub = await LocalModelHub.open({ root: join(dir.path, 'hub'), clock });
  });
  afterEach(() => dir.cleanup());
  const enc = (s: string) => new TextEncoder().encode(s);

  it('stores identical contents once across repositories', async () => {
    await hub.createRepo('a/m');
    await hub.createRepo('b/m');
    const weights = new Uint8Array(4096).fill(42);
    await hub.upload('a/m', [{ path: 'model.safetensors', bytes: weights }], { message: 'a' });
    await hub.upload('b/m', [{ path: 'model.safetensors', bytes: weights }, { path: 'copy.bin', bytes: weights }], { message: 'b' });
    const shards = await readdir(join(hub.root, 'objects'));
    const objects = (await Promise.all(shards.map((s) => readdir(join(hub.root, 'objects', s))))).flat();
    expect(objects).toHaveLength(1);
  });

  it('makes upload times strictly increase along a history even when the clock stands still', async () => {
    await hub.createRepo('a/m');
    const r1 = await hub.upload('a/m', [{ path: 'x', bytes: enc('1') }], { message: '1' });
    const r2 = await hub.upload('a/m', [{ path: 'x', bytes: enc('2') }], { message: '2' });
    expect(Date.parse(r2.date)).toBeGreaterThan(Date.parse(r1.date));
  });

  it('reports stored bytes that no longer match their sha256 as corrupt', async () => {
    await hub.createRepo('a/m');
    await hub.upload('a/m', [{ path: 'x', bytes: enc('good') }], { message: '1' });
    const [file] = (await hub.repoInfo('a/m')).files;
    await writeFile(hub.objectPath(file?.sha256 as string), 'evil');
    await expect(hub.getFile('a/m', 'x')).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
    await expect(hub.download('a/m', {}, join(dir.path, 'out'))).rejects.toSatisfy((e) => isStorageError(e, 'corrupt'));
  });

  it('reserves the owners that would shadow server routes', async () => {
    await expect(hub.createRepo('api/models')).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    await expect(hub.createRepo('blobs/x')).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
  });

  it('shares a repository safely between two hub instances (the lock file, not the in-process mutex)', async () => {
    const other = await LocalModelHub.open({ root: hub.root, clock });
    await hub.createRepo('a/m');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? hub : other).upload('a/m', [{ path: `f${i}`, bytes: enc(String(i)) }], { message: `c${i}` })),
    );
    const info = await other.repoInfo('a/m');
    expect(info.files).toHaveLength(8);
    expect(await hub.listRevisions('a/m')).toHaveLength(9);
    expect(await readdir(join(hub.root, 'repos', 'a', 'm'))).not.toContain('.lock');
  });

  it('breaks a lock left by a dead process', async () => {
    await hub.createRepo('a/m');
    await writeFile(join(hub.root, 'repos', 'a', 'm', '.lock'), `${deadPid()}\n`);
    await hub.upload('a/m', [{ path: 'x', bytes: enc('1') }], { message: 'after crash' });
    expect((await hub.repoInfo('a/m')).files).toHaveLength(1);
  });

  it('waits for a live lock and gives up with unavailable', async () => {
    const impatient = await LocalModelHub.open({ root: hub.root, clock, lockTimeoutMs: 100 });
    await hub.createRepo('a/m');
    // The parent process of this test is alive, so its pid makes a live foreign lock.
    await writeFile(join(hub.root, 'repos', 'a', 'm', '.lock'), `${process.ppid}\n`);
    await expect(impatient.upload('a/m', [{ path: 'x', bytes: enc('1') }], { message: 'blocked' })).rejects.toSatisfy((e) => isStorageError(e, 'unavailable'));
  });

  it('downloads only inside the destination directory', async () => {
    await hub.createRepo('a/m');
    await hub.upload('a/m', [{ path: 'sub/deep/file.bin', bytes: enc('deep') }], { message: 'x' });
    const dest = join(dir.path, 'dest');
    const res = await hub.download('a/m', {}, dest);
    expect(res.files).toEqual([join(dest, 'sub/deep/file.bin')]);
    expect(await readFile(join(dest, 'sub/deep/file.bin'), 'utf8')).toBe('deep');
    expect(await readdir(dir.path)).toEqual(['dest', 'hub']);
  });
});
