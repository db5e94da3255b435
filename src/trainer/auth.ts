/**
 * Who may call the trainer. The original's trainer API is open (anyone reaching :8001 can start arbitrary repos on
 * its GPUs or read task data — tournament.md §10). Here every route needs either
 *   - a fiber-signed request (the validator protocol's headers, signed by the validator's hotkey, addressed to this
 *     trainer's hotkey, nonce used once) from a hotkey on the trainer's allow-list, or
 *   - a bearer token whose SHA-256 is configured (for operators and tools).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock/index.ts';
import { HttpError } from '../http/errors.ts';
import type { CustomAuth } from '../http/route.ts';
import { clockNowNs } from '../net/nonce.ts';
import type { NonceStore } from '../net/nonce-store.ts';
import { HEADERS } from '../net/wire-constants.ts';
import { verifyRequest } from '../net/verify.ts';

export interface TrainerAuthOptions {
  /** This trainer's hotkey (SS58): signed requests must name it as their target. Null disables signed requests. */
  trainerHotkey: string | null;
  /** Validator hotkeys allowed to call. */
  allowedValidators: readonly string[];
  /** SHA-256 (hex) of accepted bearer tokens. */
  tokenSha256: readonly string[];
  nonceStore: NonceStore;
  clock: Pick<Clock, 'now'>;
  maxBodyBytes?: number;
}

export type TrainerPrincipal = { kind: 'validator'; hotkey: string } | { kind: 'token'; prefix: string };

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A new random token (`godt_` + 43 base64url chars) and the hash to configure on the trainer. */
export function newTrainerToken(): { token: string; sha256: string } {
  const token = `godt_${randomBytes(32).toString('base64url')}`;
  return { token, sha256: sha256Hex(token) };
}

function tokenMatches(presented: string, hashes: readonly Buffer[]): boolean {
  const digest = createHash('sha256').update(presented).digest();
  let ok = false;
  for (const h of hashes) if (h.length === digest.length && timingSafeEqual(h, digest)) ok = true;
  return ok;
}

export function trainerAuth(options: TrainerAuthOptions): CustomAuth<TrainerPrincipal> {
  const hashes = options.tokenSha256.map((h) => Buffer.from(h.toLowerCase(), 'hex'));
  const allowed = new Set(options.allowedValidators);
  return async (request: FastifyRequest): Promise<TrainerPrincipal> => {
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) {
      const token = authorization.replace(/^bearer\s+/i, '').trim();
      if (hashes.length && tokenMatches(token, hashes)) return { kind: 'token', prefix: token.slice(0, 12) };
      throw new HttpError(401, 'Invalid token', { 'www-authenticate': 'Bearer' });
    }
    if (request.headers[HEADERS.signature] === undefined) throw new HttpError(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
    if (!options.trainerHotkey) throw new HttpError(401, 'Signed requests are not enabled on this trainer');
    const outcome = await verifyRequest(
      { headers: request.headers, rawBody: request.rawBody ?? null, method: request.method, path: request.url },
      {
        minerHotkey: options.trainerHotkey,
        lookupStake: (hotkey) => (allowed.has(hotkey) ? { found: true, stake: Number.MAX_VALUE } : { found: false }),
        minStake: 0,
        nonceStore: options.nonceStore,
        nowNs: () => clockNowNs(options.clock),
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      },
    );
    if (outcome.ok) return { kind: 'validator', hotkey: outcome.validatorHotkey };
    if (outcome.reason === 'unknown_validator' || outcome.reason === 'low_stake') throw new HttpError(403, 'Validator hotkey not allowed on this trainer');
    if (outcome.reason === 'wrong_miner') throw new HttpError(401, 'Request is addressed to another trainer');
    throw new HttpError(outcome.status, outcome.body.detail);
  };
}
