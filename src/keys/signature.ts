/**
 * sr25519 verification through either implementation we have: `wasm` (@polkadot/wasm-crypto, schnorrkel
 * compiled from Rust; fast) or `js` (@polkadot/util-crypto 14, pure JavaScript over @scure/sr25519; slow but
 * independent). Both use the signing context "substrate". Malformed input is a `false`, never a throw.
 */
import { sr25519Verify as jsVerify } from '@polkadot/util-crypto';
import * as wasm from '@polkadot/wasm-crypto';

export type Sr25519Impl = 'wasm' | 'js';

export function verifySr25519(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  impl: Sr25519Impl = 'wasm',
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    if (impl === 'js') return jsVerify(message, signature, publicKey);
    if (!wasm.isReady()) throw new Error('sr25519 is not initialised: await initCrypto() first');
    return wasm.sr25519Verify(signature, message, publicKey);
  } catch (err) {
    // Uninitialised crypto is a programming error; everything else (bad point, missing marker) is a bad signature.
    if (err instanceof Error && err.message.includes('not initialised')) throw err;
    return false;
  }
}
