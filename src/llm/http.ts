/**
 * One JSON request with the retry discipline every paid or shared endpoint wants: exponential back-off on
 * connection failures, timeouts, 408, 429 and 5xx; the server's Retry-After honoured (up to a cap, beyond which
 * the call fails at once rather than stalling a loop for minutes); each attempt admitted by the budgets first;
 * garbage answers reported with the zod path of what was wrong and not retried (the same prompt would most likely
 * get the same garbage, and the callers have their own per-item attempts).
 */
import type { z } from 'zod';
import { admitRequest, type Budget } from './budget.ts';
import { RemoteCallError } from './errors.ts';

export interface RetryPolicy {
  /** Attempts in total, ≥ 1. */
  attempts: number;
  /** Wait after the first failure; doubles each time up to `backoffMaxMs`. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Longest Retry-After we wait for; a longer one fails the call with kind `rate_limited`. */
  retryAfterMaxMs: number;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Called per attempt, so signed headers get a fresh nonce each time. */
  headers?: () => Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** The caller's cancellation: aborts the attempt in flight and stops retrying. */
  signal?: AbortSignal;
}

export interface TransportDeps {
  fetch?: FetchLike;
  sleep?: Sleep;
  budgets?: readonly Budget[];
}

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function backoffMs(policy: RetryPolicy, failedAttempts: number): number {
  return Math.min(policy.backoffMaxMs, policy.backoffMinMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** The URL without its query string, for messages (queries may carry signatures or keys). */
export function redactUrl(url: string): string {
  return url.split('?')[0]!;
}

interface AttemptFailure {
  error: RemoteCallError;
  retryable: boolean;
  retryAfterMs: number | null;
}

async function attempt<T>(req: JsonRequest, schema: z.ZodType<T>, fetchImpl: FetchLike, attemptNo: number): Promise<{ ok: T } | { fail: AttemptFailure }> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const where = `${req.method} ${redactUrl(req.url)}`;
  const details = { attempts: attemptNo };
  let res: Response;
  let text: string;
  try {
    res = await fetchImpl(req.url, {
      method: req.method,
      headers: { accept: 'application/json', ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...(req.headers?.() ?? {}) },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      signal,
    });
    text = await res.text();
  } catch (err) {
    if (req.signal?.aborted) throw req.signal.reason;
    if (timeout.aborted) return { fail: { error: new RemoteCallError(`${where}: no answer within ${req.timeoutMs} ms`, 'timeout', details), retryable: true, retryAfterMs: null } };
    const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    return { fail: { error: new RemoteCallError(`${where}: ${why}`, 'transport', details), retryable: true, retryAfterMs: null } };
  }
  if (!res.ok) {
    const excerpt = text.slice(0, 200).replace(/\s+/g, ' ');
    return {
      fail: {
        error: new RemoteCallError(`${where} answered ${res.status}${excerpt ? `: ${excerpt}` : ''}`, 'status', { ...details, status: res.status }),
        retryable: isRetryableStatus(res.status),
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { fail: { error: new RemoteCallError(`${where}: answer is not JSON (${JSON.stringify(text.slice(0, 80))})`, 'bad_response', details), retryable: false, retryAfterMs: null } };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return { fail: { error: new RemoteCallError(`${where}: unexpected answer at ${path}: ${issue?.message ?? 'invalid'}`, 'bad_response', details), retryable: false, retryAfterMs: null } };
  }
  return { ok: parsed.data };
}

/** Sends `req` until it succeeds, fails for good, or the policy's attempts are spent; answers the parsed body. */
export async function requestJson<T>(req: JsonRequest, schema: z.ZodType<T>, policy: RetryPolicy, deps: TransportDeps = {}): Promise<T> {
  const fetchImpl = deps.fetch ?? ((url, init) => fetch(url, init));
  const sleep = deps.sleep ?? defaultSleep;
  const attempts = Math.max(1, policy.attempts);
  for (let n = 1; ; n++) {
    admitRequest(deps.budgets ?? []);
    const outcome = await attempt(req, schema, fetchImpl, n);
    if ('ok' in outcome) return outcome.ok;
    const { error, retryable, retryAfterMs } = outcome.fail;
    if (!retryable || n >= attempts) throw error;
    if (retryAfterMs !== null && retryAfterMs > policy.retryAfterMaxMs) {
      throw new RemoteCallError(`${error.message} (Retry-After ${Math.round(retryAfterMs / 1000)} s is longer than the ${Math.round(policy.retryAfterMaxMs / 1000)} s we wait)`, 'rate_limited', {
        attempts: n,
        ...(error.status === undefined ? {} : { status: error.status }),
        retryAfterMs,
      });
    }
    await sleep(retryAfterMs ?? backoffMs(policy, n), req.signal);
  }
}
