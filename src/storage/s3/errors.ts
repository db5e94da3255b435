/**
 * S3's failures as StorageError codes, so callers never see the SDK's exceptions: missing → `not_found`,
 * refused credentials or an expired presigned URL → `forbidden`, bytes that did not arrive as sent →
 * `corrupt`, network trouble, 5xx and throttling → `unavailable` (the only code the store retries).
 */
import { StorageError } from '../errors.ts';

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload']);
const FORBIDDEN = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'RequestTimeTooSkewed', 'ExpiredToken', 'InvalidToken']);
const CORRUPT = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'IncompleteBody']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

export function s3ErrorToStorage(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${what}: ${name && name !== 'Error' ? `${name}: ` : ''}${e.message ?? String(err)}`;
  const make = (code: StorageError['code']) => new StorageError(code, detail, { cause: err });
  if (NOT_FOUND.has(name) || status === 404) return make('not_found');
  if (CORRUPT.has(name)) return make('corrupt');
  if (name === 'EntityTooLarge') return make('too_large');
  if (FORBIDDEN.has(name) || status === 401 || status === 403) return make('forbidden');
  if (name === 'SlowDown' || name === 'ServiceUnavailable' || name === 'InternalError' || name === 'RequestTimeout' || name === 'TimeoutError' || name === 'AbortError') return make('unavailable');
  if (NETWORK.has(e.code ?? '') || NETWORK.has(name) || status === undefined) return make('unavailable');
  if (status === 429 || status >= 500) return make('unavailable');
  return make('invalid');
}
