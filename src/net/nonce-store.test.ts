import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { clockNowNs, generateNonce, judgeNonceTime, parseNonceTimestamp, secondsToNs } from './nonce.ts';
import { NonceStore } from './nonce-store.ts';

const S = 1_000_000_000n;
const W = 120n * S;

describe('nonces', () => {
  it('are "{time_ns}_{10 alphanumerics}" and unique', () => {
    const a = generateNonce(1723456789123456789n);
    expect(a).toMatch(/^1723456789123456789_[A-Za-z0-9]{10}$/);
    expect(new Set(Array.from({ length: 200 }, () => generateNonce(1n))).size).toBe(200);
  });

  it('read the timestamp before the first underscore, as fiber does', () => {
    expect(parseNonceTimestamp('1723456789123456789_aB3dE5fG7h')).toBe(1723456789123456789n);
    expect(parseNonceTimestamp('1723456789123456789')).toBe(1723456789123456789n);
    expect(parseNonceTimestamp('12_a_b')).toBe(12n);
    expect(parseNonceTimestamp(String(10n ** 20n))).toBe(10n ** 20n);
    for (const bad of ['', '_abc', 'abc', '0x10', '1e5', '-5', '+5', ' 5', '5 ', String(10n ** 20n + 1n), '9'.repeat(5000)]) {
      expect(parseNonceTimestamp(bad)).toBeNull();
    }
  });

  it('are judged against a ±120 s window, exactly 120 s passing', () => {
    const now = 1_000_000n * S;
    expect(judgeNonceTime(now - W, now)).toBe('ok');
    expect(judgeNonceTime(now - W - 1n, now)).toBe('too_old');
    expect(judgeNonceTime(now + W, now)).toBe('ok');
    expect(judgeNonceTime(now + W + 1n, now)).toBe('too_new');
  });

  it('take the window and store size from the protocol rules, in nanoseconds as fiber counts', () => {
    expect(new NonceStore().windowNs).toBe(W);
    expect(new NonceStore().maxEntries).toBe(100_000);
    expect(secondsToNs(0.25)).toBe(S / 4n);
    expect(new NonceStore({ windowNs: secondsToNs(2) }).windowNs).toBe(2n * S);
  });

  it('take their time from the injectable clock', () => {
    const clock = new ManualClock(Date.UTC(2025, 7, 1));
    expect(clockNowNs(clock)).toBe(BigInt(Date.UTC(2025, 7, 1)) * 1_000_000n);
  });
});

describe('NonceStore', () => {
  it('refuses a replay and records atomically', () => {
    const store = new NonceStore();
    const now = 1_000n * S;
    expect(store.has('n1', now)).toBe(false);
    expect(store.consume('n1', now, now)).toBe('ok');
    expect(store.has('n1', now)).toBe(true);
    expect(store.consume('n1', now, now)).toBe('replay');
    expect(store.size).toBe(1);
  });

  it('forgets a nonce only once its timestamp has left the window', () => {
    const store = new NonceStore();
    const t = 1_000n * S;
    store.consume('old', t - 100n * S, t);
    store.consume('future', t + 100n * S, t);
    expect(store.has('old', t + 20n * S)).toBe(true); // exactly at the edge: still acceptable by time, so still remembered
    expect(store.has('old', t + 20n * S + 1n)).toBe(false);
    expect(store.has('future', t + 220n * S)).toBe(true);
    expect(store.has('future', t + 220n * S + 1n)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('never holds more than maxEntries and refuses rather than evicts live nonces', () => {
    const store = new NonceStore({ maxEntries: 3 });
    const t = 1_000n * S;
    expect(['a', 'b', 'c', 'd'].map((n) => store.consume(n, t, t))).toEqual(['ok', 'ok', 'ok', 'full']);
    expect(store.has('a', t)).toBe(true);
    // Once the earlier ones expire there is room again.
    expect(store.consume('d', t + W + S, t + W + 1n)).toBe('ok');
    expect(store.size).toBe(1);
  });

  it('stays bounded and correct under a long random stream', () => {
    const store = new NonceStore({ maxEntries: 2000 });
    let now = 10_000n * S;
    let state = 56;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const live = new Map<string, bigint>();
    let seq = 0;
    for (let i = 0; i < 8000; i++) {
      now += BigInt(Math.floor(random() * 50_000_000)); // up to 50 ms per request
      const ts = now + BigInt(Math.floor((random() * 2 - 1) * 119)) * S;
      const nonce = `${ts}_${seq++}`;
      const result = store.consume(nonce, ts, now);
      for (const [n, exp] of live) if (exp < now) live.delete(n);
      if (live.size >= 2000) expect(result).toBe('full');
      else {
        expect(result).toBe('ok');
        live.set(nonce, ts + W);
      }
      expect(store.size).toBe(live.size);
      if (i % 997 === 0 && live.size > 0) {
        const [someNonce] = live.keys();
        expect(store.consume(someNonce as string, now, now)).toBe('replay');
      }
    }
  });
});
