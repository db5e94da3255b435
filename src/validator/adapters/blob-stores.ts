/**
 * Blob stores for the validator. `MemoryBlobStore` (tests, one process) hands out `memblob://` URLs that only its
 * own fetcher reads. `StorageBlobAdapter` puts src/storage's stores (the local one served over HTTP with signed
 * URLs, or S3) behind the validator's narrower port.
 */
import type { Clock } from '../../clock/index.ts';
import { systemClock } from '../../clock/index.ts';
import type { Config } from '../../config/index.ts';
import type { BlobStore as StorageBlobStore } from '../../storage/blob/types.ts';
import type { BlobStore, Fetcher } from '../ports.ts';
import { httpFetcher } from './fetch.ts';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid blob key "${key}"`);
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();
  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  async put(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    checkKey(key);
    this.objects.set(key, { body: new Uint8Array(body), contentType });
  }

  async signedUrl(key: string, expiresInSeconds: number): Promise<string> {
    checkKey(key);
    return `memblob://${key}?expires=${Math.floor(this.clock.now() + expiresInSeconds * 1000)}`;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  keyOfUrl(url: string): string | null {
    const m = /^memblob:\/\/([^?]+)/.exec(url);
    return m ? m[1]! : null;
  }

  /** Reads this store's own URLs (checking expiry); other URLs go to `fallback`. */
  fetcher(fallback: Fetcher = httpFetcher): Fetcher {
    return async (url, options) => {
      const key = this.keyOfUrl(url);
      if (key === null) return fallback(url, options);
      const expires = Number(new URL(url.replace(/^memblob:/, 'http:')).searchParams.get('expires'));
      if (!(expires > this.clock.now())) throw new Error(`signed URL for ${key} has expired`);
      const obj = this.objects.get(key);
      if (!obj) throw new Error(`no blob ${key}`);
      return obj.body;
    };
  }
}

/** src/storage's BlobStore (local or S3) as the validator's port. */
export class StorageBlobAdapter implements BlobStore {
  constructor(
    private readonly store: StorageBlobStore,
    /** The base its signed URLs start with (`http://host:port`), so `keyOfUrl` recognises them. */
    private readonly baseUrl: string,
    /** The path between that base and the key: `/blobs/` for the local store, `/<bucket>/` for path-style S3. */
    private readonly keyPath = '/blobs/',
  ) {}

  async put(key: string, body: Uint8Array, contentType?: string): Promise<void> {
    await this.store.put(key, body, contentType);
  }

  signedUrl(key: string, expiresInSeconds: number): Promise<string> {
    return this.store.signedUrl(key, { expiresInSeconds: Math.max(1, Math.floor(expiresInSeconds)), method: 'GET' });
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
  }

  keyOfUrl(url: string): string | null {
    const prefix = `${this.baseUrl.replace(/\/+$/, '')}${this.keyPath}`;
    if (!url.startsWith(prefix)) return null;
    try {
      return url.slice(prefix.length).split('?')[0]!.split('/').map(decodeURIComponent).join('/');
    } catch {
      return null;
    }
  }
}

/**
 * The adapter over the S3 blob store: its presigned URLs start with the endpoint and then `/<bucket>/` (path
 * style, MinIO) or with `<bucket>.<host>/` (virtual-hosted, AWS), which is what `keyOfUrl` must recognise.
 */
export function s3BlobAdapter(store: StorageBlobStore, config: Config): StorageBlobAdapter {
  const endpoint = (config.services.s3Endpoint ?? '').replace(/\/+$/, '');
  const bucket = config.services.s3Bucket ?? '';
  if (config.storage.s3PathStyle) return new StorageBlobAdapter(store, endpoint, `/${bucket}/`);
  const url = new URL(endpoint);
  return new StorageBlobAdapter(store, `${url.protocol}//${bucket}.${url.host}`, '/');
}
