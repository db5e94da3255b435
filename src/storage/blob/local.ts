/**
 * The embedded blob store: one directory, served over HTTP by signed URL (`blob/server.ts`).
 *
 *   <root>/records/<sha256(key)>.json   {key, object, size, sha256, content_type, last_modified}
 *   <root>/objects/<sha256(key)>-<pid>-<random>   the bytes
 *   <root>/tmp/                          partial writes
 *
 * The record is the commit point: a put writes a fresh object file, then atomically replaces the record, then
 * removes the object the old record named. A crash at any point leaves the old or the new blob readable and at
 * worst an unreferenced object file, which `open` removes once its writer is dead. Hashing the key for file
 * names keeps every key (`a` and `a/b` alike) a flat, fixed-length name, so no key can reach the directory
 * structure at all.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { silentLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { StorageError } from '../errors.ts';
import { fsyncDir, pidAlive, readJsonFile, sha256Hex, spoolToTemp, sweepDeadTemps, writeJsonAtomic } from '../fsutil.ts';
import type { ByteSource } from '../fsutil.ts';
import { KeyedMutex } from '../mutex.ts';
import { BlobPrefix, parseBlobKey, resolveInside } from '../names.ts';
import { loadOrCreateSecret, signBlobRequest, verifyBlobSignature } from './signing.ts';
import type { SignatureCheck } from './signing.ts';
import type { BlobInfo, BlobStore, SignedMethod, SignedUrlOptions } from './types.ts';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** The original's cap on dataset files (validator.md §5.1). */
export const DEFAULT_BLOB_MAX_BYTES = 2_147_483_646;
/** S3's longest presigned lifetime, which the original uses for every data URL. */
export const DEFAULT_MAX_URL_SECONDS = 604_800;

const ContentType = z.string().min(1).max(255).regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'a content type is printable ASCII');

const BlobRecord = z.object({
  key: z.string(),
  object: z.string().regex(/^[0-9a-f]{64}-\d+-[0-9a-f]{16}$/),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  content_type: z.string(),
  last_modified: z.string(),
});
type BlobRecord = z.infer<typeof BlobRecord>;

export interface LocalBlobStoreOptions {
  root: string;
  /** HMAC key of the signed URLs (see `loadOrCreateSecret`). */
  secret: Uint8Array;
  clock?: Clock;
  logger?: Logger;
  /** Where the blob routes are reachable, e.g. `http://127.0.0.1:8600`; needed by `signedUrl`. */
  baseUrl?: string;
  maxBytes?: number;
  maxUrlSeconds?: number;
}

export class LocalBlobStore implements BlobStore {
  readonly root: string;
  readonly maxBytes: number;
  readonly maxUrlSeconds: number;
  private readonly secret: Uint8Array;
  private readonly clock: Clock;
  private readonly log: Logger;
  private baseUrl: string | undefined;
  private readonly mutex = new KeyedMutex();

  private constructor(options: LocalBlobStoreOptions) {
    this.root = options.root;
    this.secret = options.secret;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
    this.baseUrl = options.baseUrl?.replace(/\/+$/, '');
    this.maxBytes = options.maxBytes ?? DEFAULT_BLOB_MAX_BYTES;
    this.maxUrlSeconds = options.maxUrlSeconds ?? DEFAULT_MAX_URL_SECONDS;
  }

  /**
   * Opens (creating) the store and removes what crashed writers left behind. Pass `secret`, or `secretFile` to
   * load the installation's secret (created 0600 on first use).
   */
  static async open(options: Omit<LocalBlobStoreOptions, 'secret'> & ({ secret: Uint8Array } | { secretFile: string })): Promise<LocalBlobStore> {
    const secret = 'secret' in options ? options.secret : await loadOrCreateSecret(options.secretFile);
    const store = new LocalBlobStore({ ...options, secret });
    await Promise.all(['records', 'objects', 'tmp'].map((d) => mkdir(join(store.root, d), { recursive: true })));
    await store.sweep();
    return store;
  }

  /** Sets where signed URLs point (once the server knows its port). */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private recordPath(key: string): string {
    return resolveInside(join(this.root, 'records'), `${sha256Hex(key)}.json`);
  }

  private objectPath(object: string): string {
    return resolveInside(join(this.root, 'objects'), object);
  }

  private async readRecord(key: string): Promise<BlobRecord | undefined> {
    const raw = await readJsonFile(this.recordPath(key));
    if (raw === undefined) return undefined;
    const parsed = BlobRecord.safeParse(raw);
    if (!parsed.success || parsed.data.key !== key) throw new StorageError('corrupt', `blob record of ${JSON.stringify(key)} is damaged`);
    return parsed.data;
  }

  private static info(record: BlobRecord): BlobInfo {
    return { key: record.key, size: record.size, sha256: record.sha256, contentType: record.content_type, lastModified: record.last_modified };
  }

  async put(key: string, body: ByteSource, contentType: string = DEFAULT_CONTENT_TYPE): Promise<BlobInfo> {
    parseBlobKey(key);
    const type = ContentType.safeParse(contentType);
    if (!type.success) throw new StorageError('invalid', `content type ${JSON.stringify(contentType)}: ${type.error.issues[0]?.message ?? 'invalid'}`);
    const spooled = await spoolToTemp(body, join(this.root, 'tmp'), this.maxBytes).catch((err: unknown) => {
      if (err instanceof StorageError && err.code === 'too_large') throw new StorageError('too_large', `blob ${key}: ${err.message} (limit ${this.maxBytes})`);
      throw err;
    });
    return this.mutex.run(key, async () => {
      const object = `${sha256Hex(key)}-${process.pid}-${randomBytes(8).toString('hex')}`;
      try {
        await rename(spooled.path, this.objectPath(object));
      } catch (err) {
        await rm(spooled.path, { force: true });
        throw err;
      }
      await fsyncDir(join(this.root, 'objects'));
      const previous = await this.readRecord(key).catch(() => undefined);
      const record: BlobRecord = {
        key,
        object,
        size: spooled.size,
        sha256: spooled.sha256,
        content_type: type.data,
        last_modified: this.clock.date().toISOString(),
      };
      await writeJsonAtomic(this.recordPath(key), record, join(this.root, 'tmp'));
      if (previous && previous.object !== object) await rm(this.objectPath(previous.object), { force: true });
      this.log.debug({ key, size: record.size }, 'blob stored');
      return LocalBlobStore.info(record);
    });
  }

  async head(key: string): Promise<BlobInfo | null> {
    parseBlobKey(key);
    const record = await this.readRecord(key);
    return record ? LocalBlobStore.info(record) : null;
  }

  private async requireRecord(key: string): Promise<BlobRecord> {
    parseBlobKey(key);
    const record = await this.readRecord(key);
    if (!record) throw new StorageError('not_found', `blob ${key} not found`);
    return record;
  }

  /** Reads and checks the content against its recorded sha256. */
  async get(key: string): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const record = await this.requireRecord(key);
      let bytes: Buffer;
      try {
        bytes = await readFile(this.objectPath(record.object));
      } catch (err) {
        // The record may have been replaced between our read and the open: read it again, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (attempt === 0) continue;
        throw new StorageError('corrupt', `blob ${key} has a record but no content`);
      }
      if (sha256Hex(bytes) !== record.sha256) throw new StorageError('corrupt', `blob ${key} does not match its recorded sha256`);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }

  /** Streams the content (not re-hashed: the bytes are on their way before the end is known). */
  async getStream(key: string): Promise<{ info: BlobInfo; stream: NodeJS.ReadableStream }> {
    const record = await this.requireRecord(key);
    const path = this.objectPath(record.object);
    // Open before answering, so a missing object surfaces here rather than mid-response.
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new StorageError('corrupt', `blob ${key} has a record but no content`) : err),
      );
    });
    return { info: LocalBlobStore.info(record), stream };
  }

  async delete(key: string): Promise<boolean> {
    parseBlobKey(key);
    return this.mutex.run(key, async () => {
      const record = await this.readRecord(key).catch(() => undefined);
      const path = this.recordPath(key);
      try {
        await rm(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      await fsyncDir(join(this.root, 'records'));
      if (record) await rm(this.objectPath(record.object), { force: true });
      return true;
    });
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    const checked = BlobPrefix.safeParse(prefix);
    if (!checked.success) throw new StorageError('invalid', `prefix ${JSON.stringify(prefix)}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    const out: BlobInfo[] = [];
    for (const record of await this.allRecords()) if (record.key.startsWith(prefix)) out.push(LocalBlobStore.info(record));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async allRecords(): Promise<BlobRecord[]> {
    const names = await readdir(join(this.root, 'records'));
    const out: BlobRecord[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      const parsed = BlobRecord.safeParse(await readJsonFile(join(this.root, 'records', name)));
      if (parsed.success) out.push(parsed.data);
      else this.log.warn({ file: name }, 'skipping a damaged blob record');
    }
    return out;
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    parseBlobKey(key);
    const { expiresInSeconds, method } = options;
    if (method !== 'GET' && method !== 'PUT') throw new StorageError('invalid', `signed URLs are for GET or PUT, not ${String(method)}`);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > this.maxUrlSeconds) {
      throw new StorageError('invalid', `expiresInSeconds must be a whole number between 1 and ${this.maxUrlSeconds}, got ${expiresInSeconds}`);
    }
    if (this.baseUrl === undefined) throw new StorageError('invalid', 'the blob store has no base URL yet (start the storage server or pass baseUrl)');
    const expires = Math.floor(this.clock.now() / 1000) + expiresInSeconds;
    const signature = signBlobRequest(this.secret, method, key, expires);
    return `${this.baseUrl}/blobs/${encodeBlobKey(key)}?expires=${expires}&signature=${signature}`;
  }

  /** The server's check of a presented URL; the key must already be validated. */
  verify(method: SignedMethod, key: string, expires: number, signature: string): SignatureCheck {
    return verifyBlobSignature(this.secret, method, key, expires, signature, Math.floor(this.clock.now() / 1000));
  }

  /** Removes temporary files and unreferenced objects left by writers that are no longer running. */
  async sweep(): Promise<{ temps: number; objects: number }> {
    const temps = await sweepDeadTemps(join(this.root, 'tmp'));
    const referenced = new Set((await this.allRecords()).map((r) => r.object));
    let objects = 0;
    for (const name of await readdir(join(this.root, 'objects'))) {
      const match = /^[0-9a-f]{64}-(\d+)-[0-9a-f]{16}$/.exec(name);
      if (!match || referenced.has(name)) continue;
      const pid = Number(match[1]);
      if (pid === process.pid || pidAlive(pid)) continue;
      await rm(join(this.root, 'objects', name), { force: true });
      objects++;
    }
    if (temps + objects > 0) this.log.info({ temps, objects }, 'removed leftovers of interrupted blob writes');
    return { temps, objects };
  }
}

export function encodeBlobKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
