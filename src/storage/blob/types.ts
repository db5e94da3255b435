import type { ByteSource } from '../fsutil.ts';

export type { ByteSource } from '../fsutil.ts';

/** What a store knows about one object. */
export interface BlobInfo {
  key: string;
  size: number;
  /** Hex sha256 of the content; null where the backend does not know it (an S3 object someone else uploaded). */
  sha256: string | null;
  contentType: string;
  /** ISO-8601 time of the last `put`. */
  lastModified: string;
}

export type SignedMethod = 'GET' | 'PUT';

export interface SignedUrlOptions {
  /** Lifetime of the URL; at most the store's maximum (7 days by default, as S3 allows). */
  expiresInSeconds: number;
  method: SignedMethod;
}

/**
 * Task data files (datasets, image pairs, score dumps). The local store keeps files in a directory and serves
 * them by signed URL; the S3 adapter implements the same calls with presigned URLs. Keys are validated by
 * `BlobKey` in both, so a key that works locally works on S3.
 */
export interface BlobStore {
  put(key: string, body: ByteSource, contentType?: string): Promise<BlobInfo>;
  /** The whole object; throws StorageError `not_found`. */
  get(key: string): Promise<Uint8Array>;
  /** The object as a stream with its info; throws StorageError `not_found`. */
  getStream(key: string): Promise<{ info: BlobInfo; stream: NodeJS.ReadableStream }>;
  /** Info without the content; null when absent. */
  head(key: string): Promise<BlobInfo | null>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix?: string): Promise<BlobInfo[]>;
  /** A URL that lets whoever holds it GET (or PUT) this one key until it expires, with no other credentials. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string>;
}
