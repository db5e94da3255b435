/**
 * Crash-safe file writes: bytes go to a temporary file in the same filesystem, are fsynced, then renamed over
 * the target, and the directory is fsynced. A reader (or a process restarted after kill -9) sees the old file or
 * the new one, never a torn one. Temporary names carry the writer's pid, so leftovers of dead writers can be
 * told apart from files another live process is still writing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { StorageError } from './errors.ts';

export type ByteSource = Uint8Array | Readable | AsyncIterable<Uint8Array>;

export function tmpName(dir: string): string {
  return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Opens a new file, creating its directory when it is missing. The directory is made only on ENOENT, not before
 * every write: each file-system call is a trip through the thread pool, and writers call this once per file.
 */
async function openNew(path: string, mode?: number): Promise<FileHandle> {
  try {
    return await open(path, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return open(path, 'wx', mode);
  }
}

/** rename, creating the target's directory when it is missing. */
async function renameInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
}

/** Writes `data` to `target` atomically (temporary file in `tmpDir`, which must be on the same filesystem). */
export async function writeFileAtomic(target: string, data: Uint8Array | string, tmpDir: string, mode = 0o644): Promise<void> {
  const tmp = tmpName(tmpDir);
  const handle = await openNew(tmp, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await renameInto(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}

export async function writeJsonAtomic(target: string, value: unknown, tmpDir: string, mode = 0o644): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, tmpDir, mode);
}

export async function readJsonFile(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface SpooledFile {
  /** The temporary file holding the bytes; the caller renames it into place or removes it. */
  path: string;
  size: number;
  sha256: string;
}

export interface SpoolOptions {
  /** Where the bytes start in the file (default 0); `header` fills what comes before. */
  offset?: number;
  /** The bytes before `offset`, from the content's size and sha256 once all of it is written; exactly `offset` long. */
  header?: (size: number, sha256: string) => Buffer;
}

function toReadable(source: ByteSource): Readable {
  if (source instanceof Readable) return source;
  if (source instanceof Uint8Array) return Readable.from([source]);
  return Readable.from(source);
}

/** Writes all of `bytes` at `position` (a single write may be partial). */
async function writeAllAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Streams `source` into a new temporary file, hashing it on the way and refusing more than `maxBytes`
 * (the partial file is removed). The file is fsynced before this resolves. With `options.offset` the content starts
 * there and `options.header` supplies the bytes before it.
 */
export async function spoolToTemp(source: ByteSource, tmpDir: string, maxBytes: number, options: SpoolOptions = {}): Promise<SpooledFile> {
  const path = tmpName(tmpDir);
  const hash = createHash('sha256');
  const offset = options.offset ?? 0;
  let size = 0;
  // Written through one handle that we open and close ourselves, so removing a partial file cannot race a
  // lazily opened stream that would create it again.
  const handle = await openNew(path);
  try {
    const write = async (bytes: Uint8Array): Promise<void> => {
      if (size + bytes.length > maxBytes) throw new StorageError('too_large', `more than ${maxBytes} bytes`);
      hash.update(bytes);
      await writeAllAt(handle, bytes, offset + size);
      size += bytes.length;
    };
    // Bytes in memory are written as they are; only streams go through the chunk loop.
    if (source instanceof Uint8Array) await write(source);
    else for await (const chunk of toReadable(source) as AsyncIterable<Buffer | Uint8Array | string>) await write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const sha256 = hash.digest('hex');
    if (options.header) {
      const header = options.header(size, sha256);
      if (header.length !== offset) throw new Error(`spoolToTemp: a header of ${header.length} bytes for an offset of ${offset}`);
      await writeAllAt(handle, header, 0);
    }
    await handle.sync();
    await handle.close();
    return { path, size, sha256 };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<pid>-….tmp` files in `dir` whose writer is no longer running. Returns how many were removed. */
export async function sweepDeadTemps(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const match = /^(\d+)-[0-9a-f]+\.tmp$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !pidAlive(pid)) {
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

export { pidAlive };
