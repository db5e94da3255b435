/**
 * Signed blob URLs: `…/blobs/<key>?expires=<unix seconds>&signature=<base64url HMAC-SHA256>` over
 * `METHOD \n key \n expires` with a per-installation secret. Like an S3 presigned URL it grants one method on
 * one key until a time, and nothing else; unlike S3 the secret never leaves this machine.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StorageError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { SignedMethod } from './types.ts';

export const SECRET_BYTES = 32;

export function signBlobRequest(secret: Uint8Array, method: SignedMethod, key: string, expires: number): string {
  return createHmac('sha256', secret).update(`${method}\n${key}\n${expires}`).digest('base64url');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a presented signature in constant time, then the expiry. `nowSeconds` comes from the store's Clock so
 * that tests (and a time-scaled devnet) decide what "expired" means.
 */
export function verifyBlobSignature(
  secret: Uint8Array,
  method: SignedMethod,
  key: string,
  expires: number,
  signature: string,
  nowSeconds: number,
): SignatureCheck {
  const expected = Buffer.from(signBlobRequest(secret, method, key, expires), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'Invalid signature' };
  if (nowSeconds > expires) return { ok: false, reason: 'Signature expired' };
  return { ok: true };
}

/**
 * Reads the signing secret, creating it (32 random bytes, hex, mode 0600) on first use. Created atomically, so
 * two processes starting together end up with one secret, and a crash never leaves a short one.
 */
export async function loadOrCreateSecret(path: string): Promise<Uint8Array> {
  try {
    return parseSecret(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const candidate = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // Create-if-absent without a race: write a complete candidate, then hard-link it into place; a link onto an
    // existing name fails, so the first process to finish wins and everyone reads its secret.
    await writeFileAtomic(candidate, `${randomBytes(SECRET_BYTES).toString('hex')}\n`, dirname(path), 0o600);
    await link(candidate, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } catch (err) {
    throw new StorageError('unavailable', `cannot create the blob signing secret ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(candidate, { force: true });
  }
  await chmod(path, 0o600);
  return parseSecret(await readFile(path, 'utf8'), path);
}

function parseSecret(text: string, path: string): Uint8Array {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new StorageError('corrupt', `blob signing secret ${path} is not 64 hex digits`);
  return Buffer.from(hex, 'hex');
}
