/**
 * Per-caller rate limiting: a token bucket per API key (keyed by the key's public prefix, so a wrong key is
 * limited too) or per client address for requests without a key. Over the limit → 429 `{detail}` with
 * `Retry-After`. In memory, per process: several API processes each allow the full rate.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { extractApiKey, keyPrefixOf } from '../auth/keys.ts';

export interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Refills `bucket` up to `burst` at `perSecond`, then takes one token if there is one. Pure but for the bucket. */
export function take(bucket: Bucket, nowMs: number, burst: number, perSecond: number): { allowed: boolean; retryAfterSeconds: number } {
  const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
  bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
  bucket.updatedMs = Math.max(bucket.updatedMs, nowMs);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true, retryAfterSeconds: 0 };
  }
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
}

export interface RateLimiterOptions {
  burst: number;
  perSecond: number;
  maxBuckets: number;
  now: () => number;
  /** Paths that are never limited (health checks). */
  exempt?: (path: string) => boolean;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimiterOptions) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Who a request counts against. */
  static callerOf(request: FastifyRequest): string {
    const key = extractApiKey(request.headers);
    return key !== undefined ? `key:${keyPrefixOf(key)}` : `ip:${request.ip}`;
  }

  check(caller: string): { allowed: boolean; retryAfterSeconds: number } {
    const nowMs = this.options.now();
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      if (this.buckets.size >= this.options.maxBuckets) this.evict(nowMs);
      bucket = { tokens: this.options.burst, updatedMs: nowMs };
      this.buckets.set(caller, bucket);
    }
    return take(bucket, nowMs, this.options.burst, this.options.perSecond);
  }

  /** Drops buckets that have refilled (they behave exactly like new ones); the oldest go if none has. */
  private evict(nowMs: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.updatedMs) / 1000) * this.options.perSecond >= this.options.burst) this.buckets.delete(k);
    }
    const excess = this.buckets.size - Math.floor(this.options.maxBuckets * 0.9);
    if (excess > 0) for (const k of [...this.buckets.keys()].slice(0, excess)) this.buckets.delete(k);
  }

  /** A fastify onRequest hook. */
  hook() {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
      if (this.options.exempt?.(path)) return;
      const verdict = this.check(RateLimiter.callerOf(request));
      if (!verdict.allowed) {
        return reply
          .code(429)
          .header('retry-after', String(verdict.retryAfterSeconds))
          .send({ detail: `Rate limit exceeded: at most ${this.options.perSecond} requests per second (burst ${this.options.burst}); retry after ${verdict.retryAfterSeconds} s` });
      }
      return undefined;
    };
  }
}
