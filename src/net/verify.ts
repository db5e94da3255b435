/**
 * Miner-side check of a validator's signed request, with fiber 2.4.0's status codes and `detail` strings but a
 * safer order (spec §2.2, §11.3):
 *
 *   1. required headers present            → 422 (FastAPI's shape)
 *   2. body within the size limit           → 413 (ours; fiber has no limit)
 *   3. nonce well-formed, in window, unused → 401 "Oi, that nonce is not valid!"   (nothing recorded yet)
 *   4. signature over the message           → 401 "Oi, invalid signature, …"
 *   5. miner-hotkey header is this miner    → 401 "Oi, invalid miner hotkey - that's not me!"
 *   6. validator known, stake ≥ threshold   → 403 "Hotkey not found in metagraph" / "Insufficient stake of …"
 *   7. nonce recorded (atomic with replay)  → 401 on a concurrent replay, 503 when the store is full
 *
 * fiber runs the stake check first on the unauthenticated header and records the nonce before the signature;
 * here only authenticated requests from permitted validators consume memory. A request refused at any step
 * was never executed, so not recording its nonce opens no replay.
 */
import { protocolRules } from '../core/rules/protocol.ts';
import { publicKeyFromAddress } from '../keys/keypair.ts';
import { verifySr25519 } from '../keys/signature.ts';
import type { Sr25519Impl } from '../keys/signature.ts';
import { judgeNonceTime, parseNonceTimestamp } from './nonce.ts';
import type { NonceStore } from './nonce-store.ts';
import { DETAIL, HEADERS } from './wire-constants.ts';
import { pyFloatRepr } from './python-json.ts';
import { buildSigningMessage, sha256Hex } from './signing.ts';

export interface VerifyInput {
  /** Request headers; names in any case. Node's `IncomingHttpHeaders` fits. */
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes exactly as received (never re-serialised JSON). Absent or empty for a GET. */
  rawBody?: Uint8Array | null;
  method: string;
  /** For logs and callers; fiber does not sign the path. */
  path: string;
}

export type StakeLookup = { found: false } | { found: true; stake: number };

export interface VerifyContext {
  /** This miner's hotkey SS58. */
  minerHotkey: string;
  /** The validator's stake in TAO (fiber `Node.stake`), from the metagraph; keyed by the header string verbatim. */
  lookupStake: (validatorHotkey: string) => StakeLookup | Promise<StakeLookup>;
  nonceStore: NonceStore;
  nowNs: () => bigint;
  minStake?: number;
  nonceWindowNs?: bigint;
  maxBodyBytes?: number;
  impl?: Sr25519Impl;
}

export type VerifyFailure =
  | 'missing_header'
  | 'body_too_large'
  | 'bad_nonce'
  | 'replayed_nonce'
  | 'bad_signature'
  | 'wrong_miner'
  | 'unknown_validator'
  | 'low_stake'
  | 'stake_lookup_failed'
  | 'nonce_store_full';

export interface VerifyAccepted {
  ok: true;
  validatorHotkey: string;
  stake: number;
  nonce: string;
}

export interface VerifyRejected {
  ok: false;
  status: number;
  body: { detail: unknown };
  reason: VerifyFailure;
}

export type VerifyOutcome = VerifyAccepted | VerifyRejected;

const REQUIRED = [HEADERS.validatorHotkey, HEADERS.signature, HEADERS.minerHotkey, HEADERS.nonce] as const;

function reject(status: number, reason: VerifyFailure, detail: unknown): VerifyRejected {
  return { ok: false, status, reason, body: { detail } };
}

function headerValue(headers: VerifyInput['headers'], name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  // A repeated header is not something fiber's client sends; join it so it fails the checks below as a whole.
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `0x`-optional hex, as substrate-interface's Keypair.verify accepts; anything else is no signature. */
function parseSignature(text: string): Uint8Array | null {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (hex.length !== 128 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const BYTES_OPEN = Buffer.from('<Bytes>');
const BYTES_CLOSE = Buffer.from('</Bytes>');

/**
 * substrate-interface (and polkadot-js) also accept a signature over `<Bytes>message</Bytes>`, the form browser
 * wallets produce; fiber's verify inherits that, so we do too.
 */
function signatureMatches(message: Buffer, signature: Uint8Array, publicKey: Uint8Array, impl: Sr25519Impl): boolean {
  if (verifySr25519(message, signature, publicKey, impl)) return true;
  return verifySr25519(Buffer.concat([BYTES_OPEN, message, BYTES_CLOSE]), signature, publicKey, impl);
}

export async function verifyRequest(input: VerifyInput, ctx: VerifyContext): Promise<VerifyOutcome> {
  const values: Partial<Record<(typeof REQUIRED)[number], string>> = {};
  const missing: string[] = [];
  for (const name of REQUIRED) {
    const value = headerValue(input.headers, name);
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) {
    return reject(
      422,
      'missing_header',
      missing.map((name) => ({ type: 'missing', loc: ['header', name], msg: 'Field required', input: null })),
    );
  }
  const validatorHotkey = values[HEADERS.validatorHotkey] as string;
  const signatureText = values[HEADERS.signature] as string;
  const minerHotkey = values[HEADERS.minerHotkey] as string;
  const nonce = values[HEADERS.nonce] as string;

  const body = input.rawBody ?? new Uint8Array();
  const maxBodyBytes = ctx.maxBodyBytes ?? protocolRules.maxRequestBodyBytes;
  if (body.length > maxBodyBytes) return reject(413, 'body_too_large', DETAIL.bodyTooLarge);

  const nowNs = ctx.nowNs();
  const timestampNs = parseNonceTimestamp(nonce);
  if (timestampNs === null) return reject(401, 'bad_nonce', DETAIL.badNonce);
  if (judgeNonceTime(timestampNs, nowNs, ctx.nonceWindowNs ?? ctx.nonceStore.windowNs) !== 'ok') {
    return reject(401, 'bad_nonce', DETAIL.badNonce);
  }
  if (ctx.nonceStore.has(nonce, nowNs)) return reject(401, 'replayed_nonce', DETAIL.badNonce);

  // fiber picks the message form by route: GET routes sign no body, every other route hashes the raw body.
  const method = input.method.toUpperCase();
  const bodyHash = method === 'GET' || method === 'HEAD' ? null : sha256Hex(body);
  const message = Buffer.from(buildSigningMessage(nonce, minerHotkey, bodyHash), 'utf8');
  const signature = parseSignature(signatureText);
  const publicKey = publicKeyFromAddress(validatorHotkey);
  if (signature === null || publicKey === null || !signatureMatches(message, signature, publicKey, ctx.impl ?? 'wasm')) {
    return reject(401, 'bad_signature', DETAIL.badSignature);
  }

  if (minerHotkey !== ctx.minerHotkey) return reject(401, 'wrong_miner', DETAIL.wrongMiner);

  let lookup: StakeLookup;
  try {
    lookup = await ctx.lookupStake(validatorHotkey);
  } catch {
    return reject(503, 'stake_lookup_failed', 'Metagraph unavailable, try again later');
  }
  if (!lookup.found) return reject(403, 'unknown_validator', DETAIL.hotkeyNotFound);
  const minStake = ctx.minStake ?? protocolRules.minStakeThreshold;
  // fiber compares a float and prints it with Python's repr (e.g. "Insufficient stake of 12.0 ").
  if (!(lookup.stake >= minStake)) return reject(403, 'low_stake', DETAIL.insufficientStake(pyFloatRepr(lookup.stake)));

  // The stake lookup may have awaited: the store decides replays atomically, at the clock of this moment.
  const consumed = ctx.nonceStore.consume(nonce, timestampNs, ctx.nowNs());
  if (consumed === 'replay') return reject(401, 'replayed_nonce', DETAIL.badNonce);
  if (consumed === 'full') return reject(503, 'nonce_store_full', DETAIL.nonceStoreFull);
  return { ok: true, validatorHotkey, stake: lookup.stake, nonce };
}
