/**
 * Fetches a validator-supplied dataset URL to a file (the reference's `download_s3_file`), streamed to disk with
 * a size cap instead of held whole in memory (miner-protocol-chain.md §11 item 8). Only http(s) URLs.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** The file name the reference saves a URL under: the last segment of its path. */
export function urlFileName(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError(`not a URL: ${url.slice(0, 200)}`);
  }
  const name = posix.basename(decodeURIComponent(parsed.pathname));
  if (name === '' || name === '.' || name === '..') throw new DownloadError('the URL path has no file name');
  return name;
}

export interface DownloadOptions {
  readonly maxBytes: number;
  readonly timeoutMs?: number;
  readonly fetchImpl?: typeof fetch;
}

export async function downloadToFile(url: string, target: string, options: DownloadOptions): Promise<number> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DownloadError(`only http(s) URLs are fetched, not ${parsed.protocol}`);
  const signal = AbortSignal.timeout(options.timeoutMs ?? 600_000);
  const response = await (options.fetchImpl ?? fetch)(url, { signal, redirect: 'follow' }).catch((err: unknown) => {
    throw new DownloadError(`Failed to download file: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (response.status !== 200 || response.body === null) throw new DownloadError(`Failed to download file: ${response.status}`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) throw new DownloadError(`the file is ${declared} bytes, above the limit of ${options.maxBytes}`);
  await mkdir(dirname(target), { recursive: true });
  let total = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      if (total > options.maxBytes) done(new DownloadError(`the file is above the limit of ${options.maxBytes} bytes`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), cap, createWriteStream(target));
  } catch (err) {
    await rm(target, { force: true });
    throw err instanceof DownloadError ? err : new DownloadError(`Failed to download file: ${err instanceof Error ? err.message : String(err)}`);
  }
  return total;
}
