/**
 * Nonces as fiber 2.4.0 makes and judges them: `"{time_ns}_{10 random [A-Za-z0-9]}"`. The miner reads only the
 * integer before the first `_` (a bare integer is accepted too) and allows ±2 minutes around its own clock.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../clock/index.ts';
import { protocolRules } from '../core/rules/protocol.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Nanoseconds since the epoch from a Clock (ms, possibly fractional), kept to microsecond precision. */
export function clockNowNs(clock: Pick<Clock, 'now'>): bigint {
  return BigInt(Math.round(clock.now() * 1000)) * 1000n;
}

/** A duration in seconds as nanoseconds, the unit fiber's nonce arithmetic works in. */
export function secondsToNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

const NONCE_WINDOW_NS = secondsToNs(protocolRules.nonceWindowSeconds);
const MAX_NONCE_TIMESTAMP_NS = BigInt(protocolRules.nonceMaxTimestampNs);

export function generateNonce(nowNs: bigint, suffixLength = protocolRules.nonceRandomLength): string {
  let suffix = '';
  for (let i = 0; i < suffixLength; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `${nowNs}_${suffix}`;
}

/**
 * The nonce's timestamp, or null when fiber would reject it as malformed. Python's `int()` also takes a sign or
 * surrounding spaces; fiber's own validators never send those, so we accept plain decimal digits only.
 */
export function parseNonceTimestamp(nonce: string, max = MAX_NONCE_TIMESTAMP_NS): bigint | null {
  const head = nonce.split('_', 1)[0] ?? '';
  // 21 digits already exceed 10**20; the length cap keeps BigInt() away from megabyte-long headers.
  if (head.length === 0 || head.length > 21 || !/^[0-9]+$/.test(head)) return null;
  const ts = BigInt(head);
  return ts > max ? null : ts;
}

export type NonceTimeVerdict = 'ok' | 'too_old' | 'too_new';

/** fiber's window: strictly more than `window` away in either direction is refused; exactly `window` passes. */
export function judgeNonceTime(timestampNs: bigint, nowNs: bigint, windowNs = NONCE_WINDOW_NS): NonceTimeVerdict {
  if (nowNs - timestampNs > windowNs) return 'too_old';
  if (timestampNs - nowNs > windowNs) return 'too_new';
  return 'ok';
}
