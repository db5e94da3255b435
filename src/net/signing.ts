/**
 * Request signing byte-compatible with fiber 2.4.0 (`fiber/validator/client.py`, `fiber/utils.py`):
 *
 *   POST: "{nonce}:{miner_hotkey}:{sha256_hex(body bytes as sent)}"
 *   GET:  "{nonce}:{miner_hotkey}"
 *
 * signed with sr25519 (context "substrate") over the UTF-8 bytes of that string, no `<Bytes>` wrapping, sent as
 * `0x` + 128 lowercase hex digits. Method, path, query and response are not covered (spec §11.2).
 */
import { createHash } from 'node:crypto';
import type { Sr25519Keypair } from '../keys/keypair.ts';
import { generateNonce } from './nonce.ts';
import { HEADERS } from './wire-constants.ts';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** fiber's construct_header_signing_message: the hash part is present exactly when a body is signed. */
export function buildSigningMessage(nonce: string, minerHotkey: string, bodyHashHex: string | null): string {
  return bodyHashHex === null ? `${nonce}:${minerHotkey}` : `${nonce}:${minerHotkey}:${bodyHashHex}`;
}

export function signatureToHex(signature: Uint8Array): string {
  return `0x${Buffer.from(signature).toString('hex')}`;
}

export interface SignRequestInput {
  keypair: Sr25519Keypair;
  /** The target miner's hotkey, from the metagraph, never from the miner. */
  minerHotkey: string;
  /** The exact body bytes that will be sent; omit for a GET. */
  body?: Uint8Array;
  nowNs: bigint;
  /** Fixed nonce for tests and vectors; normally generated from `nowNs`. */
  nonce?: string;
}

export type SignedHeaders = Record<string, string>;

/** The five headers fiber's `_get_headers` sends, in its order; `Content-Type` goes on GETs too. */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const nonce = input.nonce ?? generateNonce(input.nowNs);
  const message = buildSigningMessage(nonce, input.minerHotkey, input.body === undefined ? null : sha256Hex(input.body));
  const signature = input.keypair.sign(Buffer.from(message, 'utf8'));
  return {
    [HEADERS.contentType]: 'application/json',
    [HEADERS.validatorHotkey]: input.keypair.ss58Address,
    [HEADERS.minerHotkey]: input.minerHotkey,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: signatureToHex(signature),
  };
}
