/**
 * The header set the original sends to the content service and to the LLM provider when it has no API key
 * (validator.md §7.5): `validator-hotkey`, `nonce` = time in nanoseconds, `signature` = sr25519 over the nonce
 * alone (`0x` hex), `netuid`. Unlike the miner protocol nothing else is signed, so these headers prove only that
 * the hotkey's owner made a request around that time.
 */
import { signatureToHex } from '../net/signing.ts';

/** What signing needs from a keypair (src/keys Sr25519Keypair satisfies it). */
export interface HotkeySigner {
  readonly ss58Address: string;
  sign(message: Uint8Array): Uint8Array;
}

export function hotkeyHeaders(signer: HotkeySigner, netuid: number, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): Record<string, string> {
  const nonce = nowNs.toString();
  return {
    'validator-hotkey': signer.ss58Address,
    signature: signatureToHex(signer.sign(new TextEncoder().encode(nonce))),
    nonce,
    netuid: String(netuid),
  };
}

/** Bearer key when there is one, else the hotkey headers when a signer is given, else nothing. */
export function authHeaders(auth: { apiKey?: string | null; signer?: HotkeySigner | null; netuid?: number }): () => Record<string, string> {
  if (auth.apiKey) {
    const value = `Bearer ${auth.apiKey}`;
    return () => ({ authorization: value });
  }
  const signer = auth.signer;
  if (signer) return () => hotkeyHeaders(signer, auth.netuid ?? 0);
  return () => ({});
}
