/**
 * One error type for every storage backend (local, S3, Hugging Face), so callers branch on `code` and never on
 * a backend's own exceptions. The HTTP layers map codes to statuses and back.
 */

export type StorageErrorCode =
  /** The blob, repository, revision or file does not exist. */
  | 'not_found'
  /** The repository already exists, or the parent revision moved since the caller read it. */
  | 'conflict'
  /** A key, repository id, path or request that is not acceptable. */
  | 'invalid'
  /** Larger than the configured limit. */
  | 'too_large'
  /** Missing, wrong or expired credentials or signature. */
  | 'forbidden'
  /** Stored bytes no longer match their recorded sha256. */
  | 'corrupt'
  /** The backend could not be reached or did not answer in time (retryable). */
  | 'unavailable';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

const statusOf: Record<StorageErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  too_large: 413,
  forbidden: 403,
  corrupt: 500,
  unavailable: 503,
};

export function httpStatusOf(code: StorageErrorCode): number {
  return statusOf[code];
}

/** The reverse mapping used by HTTP clients: a status (and the server's detail) back to a typed error. */
export function storageErrorFromStatus(status: number, detail: string): StorageError {
  const code: StorageErrorCode =
    status === 404 ? 'not_found'
    : status === 409 || status === 412 ? 'conflict'
    : status === 413 ? 'too_large'
    : status === 401 || status === 403 ? 'forbidden'
    : status >= 500 ? 'unavailable'
    : 'invalid';
  return new StorageError(code, detail);
}
