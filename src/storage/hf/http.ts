/**
 * HTTP to the Hugging Face Hub with its failures as StorageError codes: 401/403 → `forbidden` (but 401/404 with
 * `X-Error-Code: RepoNotFound|RevisionNotFound|EntryNotFound` → `not_found`, since the Hub answers 401 for
 * repositories it will not admit exist), 404 → `not_found`, 409/412 → `conflict`, 413 → `too_large`, other 4xx →
 * `invalid`, and 429, 5xx and network failures → `unavailable` after retrying: 429 waits `Retry-After`
 * (seconds or an HTTP date, capped), the others back off exponentially with jitter.
 *
 * Redirects are followed by hand so that the token goes to the Hub's own origin only (LFS downloads are
 * redirected to a CDN, LFS uploads to presigned storage URLs), and so the `X-Linked-Etag`/`X-Repo-Commit`
 * headers of the Hub's redirect can be read.
 */
import { StorageError } from '../errors.ts';
import type { StorageErrorCode } from '../errors.ts';

export interface HfHttpOptions {
  endpoint: string;
  token?: string;
  /** Per-request timeout (default 120 s). */
  timeoutMs?: number;
  /** Tries per request for 429, 5xx and network failures (default 4). */
  maxAttempts?: number;
  /** First backoff delay, doubling per retry (default 500 ms). */
  retryBaseMs?: number;
  /** Longest `Retry-After` honoured (default 60 s); longer waits fail as `unavailable` at once. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
}

export interface HfRequest {
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Send the token (default: whenever one is configured and the URL is on the Hub's origin). */
  auth?: boolean | 'required';
  /** Statuses that are answers, not errors (e.g. 404 for `exists`). */
  accept?: readonly number[];
}

export interface HfResponse {
  res: Response;
  /** Headers of the Hub's redirect answer, when one was followed (e.g. `x-linked-etag`, `x-repo-commit`). */
  redirectHeaders?: Headers;
}

const NOT_FOUND_CODES = new Set(['RepoNotFound', 'RevisionNotFound', 'EntryNotFound', 'GatedRepo']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as milliseconds: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function hfErrorCode(status: number, errorCode: string | null): StorageErrorCode {
  if ((status === 401 || status === 404) && errorCode !== null && NOT_FOUND_CODES.has(errorCode)) return 'not_found';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'invalid';
}

export class HfHttp {
  readonly endpoint: string;
  private readonly origin: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: HfHttpOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.origin = new URL(this.endpoint).origin;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : this.endpoint + path;
  }

  /** One request (with retries), redirects followed; non-accepted error statuses throw StorageError. */
  async request(method: string, path: string, init: HfRequest = {}): Promise<HfResponse> {
    if (init.auth === 'required' && !this.token) throw new StorageError('forbidden', `${method} ${path} needs a Hugging Face token (set services.huggingfaceToken)`);
    for (let attempt = 1; ; attempt++) {
      let wait: number;
      let failure: StorageError;
      try {
        const out = await this.once(method, this.url(path), init);
        const { res } = out;
        if (res.ok || (init.accept ?? []).includes(res.status)) return out;
        const text = await res.text().catch(() => '');
        let detail = res.headers.get('x-error-message') ?? (text || res.statusText);
        try {
          const body = JSON.parse(text) as { error?: unknown; message?: unknown };
          const d = body.error ?? body.message;
          if (typeof d === 'string') detail = d;
        } catch {
          // not JSON: keep the text
        }
        failure = new StorageError(hfErrorCode(res.status, res.headers.get('x-error-code')), `hugging face ${method} ${path}: ${res.status} ${detail}`);
        if (failure.code !== 'unavailable') throw failure;
        const after = res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : undefined;
        if (after !== undefined && after > this.maxRetryAfterMs) {
          failure.message += ` (Retry-After ${Math.round(after / 1000)} s is longer than ${Math.round(this.maxRetryAfterMs / 1000)} s)`;
          throw failure;
        }
        wait = after ?? this.backoff(attempt);
      } catch (err) {
        if (err instanceof StorageError) throw err;
        failure = new StorageError('unavailable', `hugging face ${method} ${path}: ${(err as Error).message}`, { cause: err });
        wait = this.backoff(attempt);
      }
      if (attempt >= this.maxAttempts) {
        failure.message += ` (after ${attempt} attempt${attempt === 1 ? '' : 's'})`;
        throw failure;
      }
      await sleep(wait);
    }
  }

  private backoff(attempt: number): number {
    return Math.min(20_000, this.retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
  }

  private async once(method: string, url: string, init: HfRequest): Promise<HfResponse> {
    let current = url;
    let redirectHeaders: Headers | undefined;
    let currentMethod = method;
    for (let hop = 0; hop < 6; hop++) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const sameOrigin = new URL(current).origin === this.origin;
      if (this.token && sameOrigin && init.auth !== false) headers.authorization = `Bearer ${this.token}`;
      const res = await this.fetchImpl(current, {
        method: currentMethod,
        headers,
        redirect: 'manual',
        ...(init.body !== undefined && currentMethod !== 'GET' && currentMethod !== 'HEAD' ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer().catch(() => undefined);
        redirectHeaders ??= res.headers;
        current = new URL(location, current).toString();
        if (res.status === 303) currentMethod = 'GET';
        continue;
      }
      return { res, ...(redirectHeaders ? { redirectHeaders } : {}) };
    }
    throw new StorageError('unavailable', `hugging face ${method} ${url}: too many redirects`);
  }
}
