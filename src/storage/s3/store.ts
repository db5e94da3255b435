/**
 * `BlobStore` on S3 or MinIO (path-style by default, as MinIO wants), with presigned GET/PUT URLs — what the
 * original's validator does with its bucket (validator.md §5.1: task files, presigned GET valid 7 days; the
 * scores file of miner-protocol-chain.md §9).
 *
 * Integrity: the sha256 of every object is computed before it is sent and travels twice — as S3's
 * `x-amz-checksum-sha256` (single PUT) or per-part checksums (multipart), which the server verifies on arrival,
 * and as `x-amz-meta-sha256`, which `get` checks the downloaded bytes against. Streams are spooled to a
 * temporary file first (hashing and counting against the size limit), so a retry re-sends the same bytes and
 * nothing partial is ever stored: a failed multipart upload is aborted.
 *
 * Retries are ours, not the SDK's (its retries cannot re-read a stream): `unavailable` failures — network
 * errors, 5xx, 503 SlowDown — are retried with exponential backoff and jitter, up to `maxAttempts`.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { silentLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { DEFAULT_BLOB_MAX_BYTES, DEFAULT_CONTENT_TYPE, DEFAULT_MAX_URL_SECONDS } from '../blob/local.ts';
import type { BlobInfo, BlobStore, SignedUrlOptions } from '../blob/types.ts';
import { StorageError } from '../errors.ts';
import { sha256Hex, spoolToTemp } from '../fsutil.ts';
import type { ByteSource } from '../fsutil.ts';
import { BlobPrefix, parseBlobKey } from '../names.ts';
import { s3ErrorToStorage } from './errors.ts';

/** S3's smallest part (every part but the last). */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

const ContentType = z.string().min(1).max(255).regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'a content type is printable ASCII');

export interface S3BlobStoreOptions {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  /** `http(s)://host/<bucket>/<key>` (MinIO, the test server) rather than `<bucket>.host`; default true. */
  forcePathStyle?: boolean;
  clock?: Clock;
  logger?: Logger;
  maxBytes?: number;
  maxUrlSeconds?: number;
  /** Objects up to this size go in one PutObject; larger ones in parts (default 64 MiB). */
  multipartThresholdBytes?: number;
  /** Size of each part of a multipart upload (default 16 MiB, at least S3's 5 MiB on real S3). */
  partBytes?: number;
  /** Parts sent at once (default 4). */
  partConcurrency?: number;
  /** Tries per operation for `unavailable` failures (default 4). */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry, with jitter (default 200 ms). */
  retryBaseMs?: number;
  /** Per-request timeout (default 120 s). */
  timeoutMs?: number;
  /** Where streamed bodies are spooled before upload (default the OS temp directory). */
  tmpDir?: string;
  /** Keys per ListObjectsV2 page (default and S3's maximum 1000). */
  listPageSize?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly maxBytes: number;
  readonly maxUrlSeconds: number;
  readonly client: S3Client;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly threshold: number;
  private readonly partBytes: number;
  private readonly partConcurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly tmpDir: string;
  private readonly listPageSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.maxBytes = options.maxBytes ?? DEFAULT_BLOB_MAX_BYTES;
    this.maxUrlSeconds = Math.min(options.maxUrlSeconds ?? DEFAULT_MAX_URL_SECONDS, DEFAULT_MAX_URL_SECONDS);
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
    this.threshold = options.multipartThresholdBytes ?? 64 * 1024 * 1024;
    this.partBytes = options.partBytes ?? 16 * 1024 * 1024;
    this.partConcurrency = options.partConcurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.tmpDir = options.tmpDir ?? tmpdir();
    this.listPageSize = options.listPageSize ?? 1000;
    // The project pins this SDK release on Node 20 on purpose; its notice about future releases is noise here.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const timeoutMs = options.timeoutMs ?? 120_000;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      maxAttempts: 1,
      // We send our own sha256 checksums; the SDK's default CRC32 would stream bodies aws-chunked and put a
      // checksum of the empty body into presigned PUT URLs.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 10_000) },
    });
  }

  /** Creates the bucket when it does not exist (the devnet and benches; production buckets are made by ops). */
  async ensureBucket(): Promise<void> {
    try {
      await this.retry('head bucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'not_found')) throw err;
      await this.retry('create bucket', () => this.client.send(new CreateBucketCommand({ Bucket: this.bucket })));
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** Runs `fn`, retrying `unavailable` failures with exponential backoff and jitter. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const mapped = s3ErrorToStorage(err, what);
        if (mapped.code !== 'unavailable' || attempt >= this.maxAttempts) {
          if (mapped.code === 'unavailable') mapped.message += ` (after ${attempt} attempt${attempt === 1 ? '' : 's'})`;
          throw mapped;
        }
        const delay = Math.min(20_000, this.retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        this.log.warn({ what, attempt, delayMs: Math.round(delay), err: mapped.message }, 's3 request failed; retrying');
        await sleep(delay);
      }
    }
  }

  async put(key: string, body: ByteSource, contentType: string = DEFAULT_CONTENT_TYPE): Promise<BlobInfo> {
    parseBlobKey(key);
    const type = ContentType.safeParse(contentType);
    if (!type.success) throw new StorageError('invalid', `content type ${JSON.stringify(contentType)}: ${type.error.issues[0]?.message ?? 'invalid'}`);
    if (body instanceof Uint8Array) {
      if (body.length > this.maxBytes) throw new StorageError('too_large', `blob ${key}: more than ${this.maxBytes} bytes`);
      if (body.length <= this.threshold) {
        await this.putSingle(key, Buffer.from(body.buffer, body.byteOffset, body.byteLength), sha256Hex(body), type.data);
        return this.requireHead(key);
      }
    }
    const spooled = await spoolToTemp(body, this.tmpDir, this.maxBytes).catch((err: unknown) => {
      if (err instanceof StorageError && err.code === 'too_large') throw new StorageError('too_large', `blob ${key}: ${err.message} (limit ${this.maxBytes})`);
      throw err;
    });
    try {
      if (spooled.size <= this.threshold) await this.putSingle(key, await readFile(spooled.path), spooled.sha256, type.data);
      else await this.putMultipart(key, spooled.path, spooled.size, spooled.sha256, type.data);
    } finally {
      await rm(spooled.path, { force: true });
    }
    return this.requireHead(key);
  }

  private async putSingle(key: string, bytes: Buffer, sha256: string, contentType: string): Promise<void> {
    await this.retry(`put ${key}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: contentType,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          Metadata: { sha256 },
        }),
      ),
    );
    this.log.debug({ key, size: bytes.length }, 'blob stored in s3');
  }

  private async putMultipart(key: string, path: string, size: number, sha256: string, contentType: string): Promise<void> {
    const created = await this.retry(`create multipart upload ${key}`, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ChecksumAlgorithm: 'SHA256', Metadata: { sha256 } })),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new StorageError('unavailable', `create multipart upload ${key}: no UploadId in the answer`);
    const count = Math.ceil(size / this.partBytes);
    const parts: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = new Array(count);
    const handle = await open(path, 'r');
    try {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const index = next++;
          const start = index * this.partBytes;
          const length = Math.min(this.partBytes, size - start);
          const bytes = Buffer.alloc(length);
          await handle.read(bytes, 0, length, start);
          const checksum = createHash('sha256').update(bytes).digest('base64');
          const res = await this.retry(`upload part ${index + 1} of ${key}`, () =>
            this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: bytes, ContentLength: length, ChecksumSHA256: checksum })),
          );
          if (!res.ETag) throw new StorageError('unavailable', `upload part ${index + 1} of ${key}: no ETag in the answer`);
          parts[index] = { PartNumber: index + 1, ETag: res.ETag, ChecksumSHA256: checksum };
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.partConcurrency, count) }, worker));
      await this.retry(`complete multipart upload ${key}`, () =>
        this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
      );
      this.log.debug({ key, size, parts: count }, 'blob stored in s3 (multipart)');
    } catch (err) {
      // Leave no invisible, billed parts behind; the original error is what the caller needs.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch((abortErr: unknown) => {
        this.log.warn({ key, uploadId, err: (abortErr as Error).message }, 'could not abort a failed multipart upload');
      });
      throw s3ErrorToStorage(err, `put ${key}`);
    } finally {
      await handle.close();
    }
  }

  private info(key: string, h: { ContentLength?: number; ContentType?: string; LastModified?: Date; Metadata?: Record<string, string> }): BlobInfo {
    const sha = h.Metadata?.sha256;
    return {
      key,
      size: h.ContentLength ?? 0,
      sha256: sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
      contentType: h.ContentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: (h.LastModified ?? new Date(0)).toISOString(),
    };
  }

  async head(key: string): Promise<BlobInfo | null> {
    parseBlobKey(key);
    try {
      const h = await this.retry(`head ${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return this.info(key, h);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'not_found') return null;
      throw err;
    }
  }

  private async requireHead(key: string): Promise<BlobInfo> {
    const info = await this.head(key);
    if (!info) throw new StorageError('unavailable', `blob ${key} was stored but is not visible yet`);
    return info;
  }

  /** The whole object, checked against the sha256 recorded when it was put (`corrupt` otherwise). */
  async get(key: string): Promise<Uint8Array> {
    parseBlobKey(key);
    return this.retry(`get ${key}`, async () => {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) throw new StorageError('unavailable', `get ${key}: no body in the answer`);
      const bytes = await res.Body.transformToByteArray();
      const info = this.info(key, res);
      if (res.ContentLength !== undefined && bytes.length !== res.ContentLength) throw new StorageError('corrupt', `blob ${key}: received ${bytes.length} of ${res.ContentLength} bytes`);
      if (info.sha256 !== null && sha256Hex(bytes) !== info.sha256) throw new StorageError('corrupt', `blob ${key} does not match its recorded sha256`);
      return bytes;
    });
  }

  /** Streams the object (not re-hashed, as the local store's stream). `range` is inclusive, as HTTP's. */
  async getStream(key: string, range?: { start: number; end?: number }): Promise<{ info: BlobInfo; stream: NodeJS.ReadableStream }> {
    parseBlobKey(key);
    const res = await this.retry(`get ${key}`, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}) })),
    );
    if (!res.Body) throw new StorageError('unavailable', `get ${key}: no body in the answer`);
    return { info: this.info(key, res), stream: res.Body as Readable };
  }

  /** True when something was deleted (a HEAD first: S3's DELETE answers 204 either way). */
  async delete(key: string): Promise<boolean> {
    const existed = (await this.head(key)) !== null;
    await this.retry(`delete ${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    return existed;
  }

  /**
   * Objects under `prefix`, in key order. ListObjectsV2 carries neither content types nor metadata, so each
   * object is HEADed (8 at a time): fine for the hundreds of files of a task, slow for a whole bucket.
   */
  async list(prefix = ''): Promise<BlobInfo[]> {
    const checked = BlobPrefix.safeParse(prefix);
    if (!checked.success) throw new StorageError('invalid', `prefix ${JSON.stringify(prefix)}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.retry(`list ${prefix}`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.listPageSize, ...(token !== undefined ? { ContinuationToken: token } : {}) })),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined && parseBlobKeySafe(o.Key)) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const infos: (BlobInfo | null)[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        infos[i] = await this.head(keys[i] as string);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
    return infos.filter((x): x is BlobInfo => x !== null).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** A presigned SigV4 URL for one GET or PUT of this key, signed at the store's clock. */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    parseBlobKey(key);
    const { expiresInSeconds, method } = options;
    if (method !== 'GET' && method !== 'PUT') throw new StorageError('invalid', `signed URLs are for GET or PUT, not ${String(method)}`);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > this.maxUrlSeconds) {
      throw new StorageError('invalid', `expiresInSeconds must be a whole number between 1 and ${this.maxUrlSeconds}, got ${expiresInSeconds}`);
    }
    const command = method === 'GET' ? new GetObjectCommand({ Bucket: this.bucket, Key: key }) : new PutObjectCommand({ Bucket: this.bucket, Key: key });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: expiresInSeconds, signingDate: this.clock.date() });
    } catch (err) {
      throw s3ErrorToStorage(err, `presign ${method} ${key}`);
    }
  }
}

/** Objects someone else put under a key our rule refuses are skipped by `list` rather than failing it. */
function parseBlobKeySafe(key: string): boolean {
  try {
    parseBlobKey(key);
    return true;
  } catch {
    return false;
  }
}
