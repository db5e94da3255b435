/**
 * Signed writes to the devnet chain. Every call that changes state is an envelope signed by the hotkey it acts
 * for (sr25519, substrate context), so one process cannot register, serve or set weights for another's hotkey.
 *
 * The signed message is the UTF-8 of
 *     god-devnet-chain/1 \n <chain_id> \n <op> \n <hotkey> \n <nonce> \n <payload>
 * where `payload` is the JSON text exactly as sent (the server parses it after verifying, so no canonical JSON
 * is needed), `chain_id` is the chain's random id (a signature for one devnet is worthless on another) and
 * `nonce` must exceed the last nonce accepted from that hotkey (a captured envelope cannot be replayed).
 */
import { u8aToHex } from '@polkadot/util';
import { z } from 'zod';
import { hexToBytes, publicKeyFromAddress, isSs58Address } from '../../keys/keypair.ts';
import type { Sr25519Keypair } from '../../keys/keypair.ts';
import { verifySr25519 } from '../../keys/signature.ts';

export const WRITE_OPS = ['register', 'set_stake', 'set_weights', 'serve_axon'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

/** Largest payload text accepted; the biggest real one (256 uids of weights) is a few kB. */
export const MAX_PAYLOAD_CHARS = 64 * 1024;

export const EnvelopeSchema = z.object({
  op: z.enum(WRITE_OPS),
  hotkey: z.string().refine(isSs58Address, 'not an SS58 address with prefix 42'),
  nonce: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  payload: z.string().max(MAX_PAYLOAD_CHARS),
  signature: z.string().regex(/^0x[0-9a-fA-F]{128}$/, '64-byte signature as 0x hex'),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export function signingMessage(chainId: string, op: WriteOp, hotkey: string, nonce: number, payload: string): Uint8Array {
  return new TextEncoder().encode(['god-devnet-chain/1', chainId, op, hotkey, String(nonce), payload].join('\n'));
}

export function signEnvelope(keypair: Sr25519Keypair, chainId: string, op: WriteOp, nonce: number, payload: unknown): Envelope {
  const text = JSON.stringify(payload);
  const signature = keypair.sign(signingMessage(chainId, op, keypair.ss58Address, nonce, text));
  return { op, hotkey: keypair.ss58Address, nonce, payload: text, signature: u8aToHex(signature) };
}

export function verifyEnvelopeSignature(chainId: string, envelope: Envelope): boolean {
  const publicKey = publicKeyFromAddress(envelope.hotkey);
  if (!publicKey) return false;
  const message = signingMessage(chainId, envelope.op, envelope.hotkey, envelope.nonce, envelope.payload);
  return verifySr25519(message, hexToBytes(envelope.signature, 'signature'), publicKey);
}

/**
 * Nonces a client hands out: strictly increasing, starting from the wall clock in ms so a restarted client (or
 * a second process with the same hotkey, started later) does not reuse numbers the chain has already seen.
 */
export class NonceSource {
  private last = 0;
  next(now: number = Date.now()): number {
    this.last = Math.max(this.last + 1, Math.floor(now));
    return this.last;
  }
  /** After the chain said "stale nonce": jump past what it has seen. */
  bump(seen: number): void {
    this.last = Math.max(this.last, seen);
  }
}
