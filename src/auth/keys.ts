/**
 * API keys: 32 random bytes, shown once, stored only as a sha256 hash plus a short prefix that names the
 * key in listings and revocation. sha256 without salt or stretching is enough because the key itself has
 * 256 bits of entropy; there is nothing to brute-force.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const scopes = ['customer', 'admin'] as const;
export type Scope = (typeof scopes)[number];
export const ScopeSchema = z.enum(scopes);

export const KEY_MARKER = 'god_';
/** Marker + 8 key characters (48 random bits): unique in practice, and still useless for guessing the key. */
export const KEY_PREFIX_LENGTH = KEY_MARKER.length + 8;
const KEY_PATTERN = /^god_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return KEY_MARKER + randomBytes(32).toString('base64url');
}

export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function keyPrefixOf(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}

/** Lower-case hex sha256 of the key's UTF-8 bytes. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares a presented key against a stored hash without leaking, through timing, how much of it matched. */
export function keyMatchesHash(key: string, storedHashHex: string): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const stored = Buffer.from(storedHashHex, 'hex');
  if (stored.length !== presented.length) return false;
  return timingSafeEqual(presented, stored);
}

/** `admin` implies `customer`. */
export function hasScope(granted: readonly Scope[], required: Scope): boolean {
  return granted.includes(required) || (required === 'customer' && granted.includes('admin'));
}

/** The key from `Authorization: Bearer <key>` (the original's scheme) or `X-API-Key: <key>`. */
export function extractApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return undefined;
}
