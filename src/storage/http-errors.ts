import { HttpError } from '../http/index.ts';
import { httpStatusOf, StorageError } from './errors.ts';

/** A storage error as the HTTP answer for it; a damaged store is our fault, so it is a 500 without internals. */
export function toHttpError(err: unknown): unknown {
  if (!(err instanceof StorageError)) return err;
  if (err.code === 'corrupt') return new HttpError(500, 'Stored data is damaged');
  return new HttpError(httpStatusOf(err.code), err.message);
}

/** Runs a handler body, turning storage errors into HTTP errors. */
export async function mapStorageErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toHttpError(err);
  }
}

/**
 * For handlers that stream a request body: a refusal sent before the body was read to its end also closes the
 * connection. Otherwise the unread rest of the upload keeps the keep-alive socket busy, and the client and
 * `server.close()` wait for it until the keep-alive timeout.
 */
export async function refuseUnreadUploads<T>(request: { raw: { complete: boolean } }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const mapped = toHttpError(err);
    if (mapped instanceof HttpError && !request.raw.complete) throw new HttpError(mapped.statusCode, mapped.detail, { ...mapped.headers, connection: 'close' });
    throw mapped;
  }
}
