import { describe, expect, it } from 'vitest';
import { RateLimiter, take } from './ratelimit.ts';

describe('token bucket', () => {
  it('allows the burst, then refills at the rate and says how long to wait', () => {
    const b = { tokens: 3, updatedMs: 0 };
    expect([0, 0, 0, 0].map(() => take(b, 0, 3, 2).allowed)).toEqual([true, true, true, false]);
    expect(take(b, 0, 3, 2).retryAfterSeconds).toBe(1);
    expect(take(b, 500, 3, 2).allowed).toBe(true); // 0.5 s × 2/s = one token
    expect(take(b, 500, 3, 2).allowed).toBe(false);
    expect(take(b, 10_000, 3, 2)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(b.tokens).toBe(2); // capped at the burst, minus the one taken
  });

  it('never lets time run backwards add tokens', () => {
    const b = { tokens: 0, updatedMs: 1000 };
    expect(take(b, 0, 5, 1).allowed).toBe(false);
    expect(b.updatedMs).toBe(1000);
  });

  it('keeps separate buckets per caller and bounds how many it keeps', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, maxBuckets: 10, now: () => now });
    expect(limiter.check('a').allowed).toBe(true);
    expect(limiter.check('a').allowed).toBe(false);
    expect(limiter.check('b').allowed).toBe(true);
    for (let i = 0; i < 50; i++) limiter.check(`ip:${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
    now = 5000;
    expect(limiter.check('a').allowed).toBe(true);
  });
});
