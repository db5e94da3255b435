/**
 * The embedded blob store: one directory, served over HTTP by signed URL (`blob/server.ts`).
 *
 *   <root>/files/<sha256(key)>   a 2 KiB header — the record {key, size, sha256, content_type, last_modified} as
 *                                JSON, padded with spaces, ending in a newline — then the bytes
 *   <root>/tmp/                  partial writes
 *
 * One file per blob: a put writes header and bytes to a temporary file, fsyncs it, renames it over the blob's
 * name and fsyncs the directory; a delete removes the file and fsyncs the directory. A crash at any point leaves
 * the old or the new blob readable and at worst a temporary file, which `open` removes once its writer is dead.
 * Hashing the key for file names keeps every key (`a` and `a/b` alike) a flat, fixed-length name, so no key can
 * reach the directory structure at all. A store written in the earlier layout (`records/` naming files in
 * `objects/`) is moved to this one when it is opened.
 */
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { silentLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { StorageError } from '../errors.ts';
import { fsyncDir, readJsonFile, sha256Hex, spoolToTemp, sweepDeadTemps } from '../fsutil.ts';
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
/** Bytes before a blob's content: its record as JSON, space-padded, newline-terminated (keys ≤ 512 and content types ≤ 255 ASCII characters fit with room to spare). */
export const BLOB_HEADER_BYTES = 2048;

const ContentType = z.string().min(1).max(255).regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'a content type is printable ASCII');

const BlobRecord = z.object({
  key: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  content_type: z.string(),
  last_modified: z.string(),
});
type BlobRecord = z.infer<typeof BlobRecord>;

/** The earlier layout's record (records/<hash>.json naming objects/<object>), read only to migrate it. */
const LegacyRecord = BlobRecord.extend({ object: z.string().regex(/^[0-9a-f]{64}-\d+-[0-9a-f]{16}$/) });

function headerBytes(record: BlobRecord): Buffer {
  const json = JSON.stringify(record);
  if (json.length > BLOB_HEADER_BYTES - 1) throw new StorageError('invalid', `blob ${record.key}: its record does not fit the ${BLOB_HEADER_BYTES}-byte header`);
  return Buffer.from(`${json}${' '.repeat(BLOB_HEADER_BYTES - 1 - json.length)}\n`, 'latin1');
}

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
  private readonly blobsDir: string;
  private readonly tmpDir: string;

  private constructor(options: LocalBlobStoreOptions) {
    this.root = options.root;
    this.secret = options.secret;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
    this.baseUrl = options.baseUrl?.replace(/\/+$/, '');
    this.maxBytes = options.maxBytes ?? DEFAULT_BLOB_MAX_BYTES;
    this.maxUrlSeconds = options.maxUrlSeconds ?? DEFAULT_MAX_URL_SECONDS;
    this.blobsDir = join(this.root, 'files');
    this.tmpDir = join(this.root, 'tmp');
  }

  /**
   * Opens (creating) the store, moves a store of the earlier layout to this one and removes what crashed writers
   * left behind. Pass `secret`, or `secretFile` to load the installation's secret (created 0600 on first use).
   */
  static async open(options: Omit<LocalBlobStoreOptions, 'secret'> & ({ secret: Uint8Array } | { secretFile: string })): Promise<LocalBlobStore> {
    const secret = 'secret' in options ? options.secret : await loadOrCreateSecret(options.secretFile);
    const store = new LocalBlobStore({ ...options, secret });
    await Promise.all([store.blobsDir, store.tmpDir].map((d) => mkdir(d, { recursive: true })));
    await store.sweep();
    await store.migrateLegacy();
    return store;
  }

  /** Sets where signed URLs point (once the server knows its port). */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private blobPath(key: string): string {
    return resolveInside(this.blobsDir, sha256Hex(key));
  }

  private parseHeader(key: string | null, header: Buffer, name: string): BlobRecord {
    let raw: unknown;
    try {
      raw = header.length === BLOB_HEADER_BYTES && header[BLOB_HEADER_BYTES - 1] === 0x0a ? JSON.parse(header.toString('latin1')) : undefined;
    } catch {
      raw = undefined;
    }
    const parsed = BlobRecord.safeParse(raw);
    if (!parsed.success || (key !== null && parsed.data.key !== key)) throw new StorageError('corrupt', `blob ${key === null ? name : JSON.stringify(key)} has a damaged header`);
    return parsed.data;
  }

  /** The record at the start of an open blob file (`name` says which file in the error). */
  private async recordOf(handle: FileHandle, key: string | null, name: string): Promise<BlobRecord> {
    const header = Buffer.alloc(BLOB_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, BLOB_HEADER_BYTES, 0);
    return this.parseHeader(key, header.subarray(0, bytesRead), name);
  }

  /** The record of the blob file at `path`, or undefined when there is none. */
  private async readHeader(key: string | null, path: string): Promise<BlobRecord | undefined> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return await this.recordOf(handle, key, path);
    } finally {
      await handle.close();
    }
  }

  private static info(record: BlobRecord): BlobInfo {
    return { key: record.key, size: record.size, sha256: record.sha256, contentType: record.content_type, lastModified: record.last_modified };
  }

  async put(key: string, body: ByteSource, contentType: string = DEFAULT_CONTENT_TYPE): Promise<BlobInfo> {
    parseBlobKey(key);
    const type = ContentType.safeParse(contentType);
    if (!type.success) throw new StorageError('invalid', `content type ${JSON.stringify(contentType)}: ${type.error.issues[0]?.message ?? 'invalid'}`);
    // The bytes go in after a header-sized gap; the header, known once they are hashed, fills the gap.
    let record: BlobRecord | undefined;
    const spooled = await spoolToTemp(body, this.tmpDir, this.maxBytes, {
      offset: BLOB_HEADER_BYTES,
      header: (size, sha256) => headerBytes((record = { key, size, sha256, content_type: type.data, last_modified: this.clock.date().toISOString() })),
    }).catch((err: unknown) => {
      if (err instanceof StorageError && err.code === 'too_large') throw new StorageError('too_large', `blob ${key}: ${err.message} (limit ${this.maxBytes})`);
      throw err;
    });
    return this.mutex.run(key, async () => {
      try {
        await rename(spooled.path, this.blobPath(key));
      } catch (err) {
        await rm(spooled.path, { force: true });
        throw err;
      }
      await fsyncDir(this.blobsDir);
      this.log.debug({ key, size: spooled.size }, 'blob stored');
      return LocalBlobStore.info(record!);
    });
  }

  async head(key: string): Promise<BlobInfo | null> {
    parseBlobKey(key);
    const record = await this.readHeader(key, this.blobPath(key));
    return record ? LocalBlobStore.info(record) : null;
  }

  /** Reads and checks the content against its recorded size and sha256. */
  async get(key: string): Promise<Uint8Array> {
    parseBlobKey(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('not_found', `blob ${key} not found`);
      throw err;
    }
    const record = this.parseHeader(key, bytes.subarray(0, BLOB_HEADER_BYTES), key);
    const content = bytes.subarray(BLOB_HEADER_BYTES);
    if (content.length !== record.size || sha256Hex(content) !== record.sha256) throw new StorageError('corrupt', `blob ${key} does not match its recorded size and sha256`);
    return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  }

  /** Streams the content (not re-hashed: the bytes are on their way before the end is known). */
  async getStream(key: string): Promise<{ info: BlobInfo; stream: NodeJS.ReadableStream }> {
    parseBlobKey(key);
    let handle;
    try {
      handle = await open(this.blobPath(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('not_found', `blob ${key} not found`);
      throw err;
    }
    try {
      // Header and content from the same open file: a put that replaces the blob meanwhile cannot mix the two.
      const record = await this.recordOf(handle, key, key);
      const { size } = await handle.stat();
      if (size - BLOB_HEADER_BYTES !== record.size) throw new StorageError('corrupt', `blob ${key} does not match its recorded size`);
      return { info: LocalBlobStore.info(record), stream: handle.createReadStream({ start: BLOB_HEADER_BYTES }) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    parseBlobKey(key);
    return this.mutex.run(key, async () => {
      try {
        await rm(this.blobPath(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      await fsyncDir(this.blobsDir);
      return true;
    });
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    const checked = BlobPrefix.safeParse(prefix);
    if (!checked.success) throw new StorageError('invalid', `prefix ${JSON.stringify(prefix)}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    const out: BlobInfo[] = [];
    for (const name of await readdir(this.blobsDir)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      let record: BlobRecord | undefined;
      try {
        record = await this.readHeader(null, join(this.blobsDir, name));
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        this.log.warn({ file: name }, 'skipping a damaged blob');
        continue;
      }
      if (record && record.key.startsWith(prefix)) out.push(LocalBlobStore.info(record));
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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

  /** Removes temporary files left by writers that are no longer running. */
  async sweep(): Promise<{ temps: number }> {
    const temps = await sweepDeadTemps(this.tmpDir);
    if (temps > 0) this.log.info({ temps }, 'removed leftovers of interrupted blob writes');
    return { temps };
  }

  /**
   * Moves blobs of the earlier layout (records/<hash>.json naming objects/<object>) into this one, then removes
   * the old directories. Each blob is written anew before its old files go, so an interrupted move resumes at the
   * next open; a record whose object is missing or does not match is left out, with a warning.
   */
  private async migrateLegacy(): Promise<void> {
    const recordsDir = join(this.root, 'records');
    const objectsDir = join(this.root, 'objects');
    let names: string[];
    try {
      names = await readdir(recordsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let moved = 0;
    for (const name of names) {
      const parsed = LegacyRecord.safeParse(await readJsonFile(join(recordsDir, name)).catch(() => undefined));
      if (!parsed.success) {
        this.log.warn({ file: name }, 'skipping a damaged blob record of the earlier layout');
        continue;
      }
      const { object, ...record } = parsed.data;
      const bytes = await readFile(resolveInside(objectsDir, object)).catch(() => undefined);
      if (!bytes || bytes.length !== record.size || sha256Hex(bytes) !== record.sha256) {
        this.log.warn({ key: record.key }, 'skipping a blob of the earlier layout whose content is missing or damaged');
        continue;
      }
      const spooled = await spoolToTemp(bytes, this.tmpDir, Number.MAX_SAFE_INTEGER, { offset: BLOB_HEADER_BYTES, header: () => headerBytes(record) });
      await rename(spooled.path, this.blobPath(record.key));
      moved++;
    }
    await fsyncDir(this.blobsDir);
    await rm(recordsDir, { recursive: true, force: true });
    await rm(objectsDir, { recursive: true, force: true });
    this.log.info({ blobs: moved }, 'moved the blob store to the one-file-per-blob layout');
  }
}

export function encodeBlobKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
