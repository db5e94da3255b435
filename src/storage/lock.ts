/**
 * A lock file shared by processes that open the same directory: created complete (`<pid>` written to a temp
 * file, then hard-linked into place, which fails if the lock exists), removed on release. A lock whose process
 * is gone (kill -9 mid-upload) is broken by the next writer. Waiting uses real time, not a Clock: it bounds how
 * long another process may hold the lock, which a manual or scaled clock says nothing about.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from './errors.ts';
import { pidAlive } from './fsutil.ts';

export interface LockOptions {
  /** Give up after this long (default 30 s) with StorageError `unavailable`. */
  timeoutMs?: number;
  pollMs?: number;
}

async function holder(path: string): Promise<number | undefined | null> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  const tmp = join(dirname(path), `.${process.pid}-${randomBytes(6).toString('hex')}.lock-tmp`);
  await writeFile(tmp, `${process.pid}\n`, { flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Moves a dead holder's lock aside. If someone else broke it and re-took it in the meantime, the file moved
 * aside names a live process and is put back.
 */
async function breakStale(path: string, deadPid: number): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await holder(aside);
  if (moved !== deadPid && moved !== null && moved !== undefined && pidAlive(moved)) {
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

export async function withLockFile<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryCreate(path)) break;
    const pid = await holder(path);
    if (pid !== undefined && pid !== process.pid && (pid === null || !pidAlive(pid))) {
      // null: the file exists but names no process; it cannot come from tryCreate, so it is debris.
      await breakStale(path, pid ?? -1);
      continue;
    }
    if (Date.now() > deadline) throw new StorageError('unavailable', `lock ${path} is held by pid ${String(pid)} for more than ${timeoutMs} ms`);
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
