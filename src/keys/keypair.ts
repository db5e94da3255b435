/**
 * sr25519 keypairs as Bittensor uses them: SS58 addresses with prefix 42, keys from a BIP39 mnemonic (through
 * substrate's mini-secret derivation, as substrate-interface and bittensor-wallet do), a 32-byte seed, a
 * secret URI (`//Alice`) or a 64-byte private key.
 *
 * Secrets live in private fields: `JSON.stringify`, `util.inspect` and log lines show only the public side.
 */
import { inspect } from 'node:util';
import { u8aToHex } from '@polkadot/util';
import {
  cryptoWaitReady,
  decodeAddress,
  encodeAddress,
  keyExtractSuri,
  keyFromPath,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  mnemonicValidate,
  sr25519PairFromSeed,
} from '@polkadot/util-crypto';
import * as wasm from '@polkadot/wasm-crypto';

/** Bittensor's (and substrate's generic) SS58 address prefix. */
export const SS58_PREFIX = 42;

/** The well-known development phrase behind `//Alice`, `//Bob`, … (substrate's DEV_PHRASE). */
export const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

let ready: Promise<void> | undefined;

/** Loads the WASM sr25519 implementation once; every function here that signs or derives needs it. */
export function initCrypto(): Promise<void> {
  ready ??= cryptoWaitReady().then((ok) => {
    if (!ok || !wasm.isReady()) throw new Error('could not initialise @polkadot/wasm-crypto');
  });
  return ready;
}

function assertReady(): void {
  if (!wasm.isReady()) throw new Error('sr25519 is not initialised: await initCrypto() first');
}

const MASK_256 = (1n << 256n) - 1n;

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

function bigIntToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * polkadot-js keeps the secret scalar multiplied by the cofactor (schnorrkel's "ed25519 bytes"); schnorrkel's
 * `SecretKey::to_bytes`, which bittensor-wallet writes as `privateKey`, keeps it canonical. Same key, two
 * encodings: these convert the first 32 bytes and keep the 32-byte nonce.
 */
export function secretToCanonical(secretKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(bigIntToLe(leToBigInt(secretKey.subarray(0, 32)) >> 3n, 32), 0);
  out.set(secretKey.subarray(32, 64), 32);
  return out;
}

export function secretFromCanonical(canonical: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(bigIntToLe((leToBigInt(canonical.subarray(0, 32)) << 3n) & MASK_256, 32), 0);
  out.set(canonical.subarray(32, 64), 32);
  return out;
}

/** Where a keypair came from, so a wallet file can be written with the same fields bittensor-wallet writes. */
interface Origin {
  mnemonic?: string;
  seed?: Uint8Array;
}

export class Sr25519Keypair {
  readonly publicKey: Uint8Array;
  readonly ss58Address: string;
  readonly #secretKey: Uint8Array;
  readonly #origin: Origin;

  private constructor(publicKey: Uint8Array, secretKey: Uint8Array, origin: Origin) {
    if (publicKey.length !== 32) throw new Error(`sr25519 public key must be 32 bytes, got ${publicKey.length}`);
    if (secretKey.length !== 64) throw new Error(`sr25519 secret key must be 64 bytes, got ${secretKey.length}`);
    this.publicKey = publicKey;
    this.ss58Address = encodeAddress(publicKey, SS58_PREFIX);
    this.#secretKey = secretKey;
    this.#origin = origin;
  }

  /** A fresh keypair and the mnemonic that recreates it (12 words, as `btcli wallet new_hotkey`). */
  static generate(words: 12 | 15 | 18 | 21 | 24 = 12): { keypair: Sr25519Keypair; mnemonic: string } {
    assertReady();
    const mnemonic = mnemonicGenerate(words);
    return { keypair: Sr25519Keypair.fromMnemonic(mnemonic), mnemonic };
  }

  static fromMnemonic(mnemonic: string): Sr25519Keypair {
    assertReady();
    const phrase = mnemonic.trim().split(/\s+/).join(' ');
    if (!mnemonicValidate(phrase)) throw new Error('invalid BIP39 mnemonic (wrong word or checksum)');
    const seed = mnemonicToMiniSecret(phrase);
    return Sr25519Keypair.fromSeedWithOrigin(seed, { mnemonic: phrase, seed });
  }

  /** From the 32-byte mini secret (`secretSeed` in a wallet file, "Secret seed" in `subkey inspect`). */
  static fromSeed(seed: Uint8Array | string): Sr25519Keypair {
    assertReady();
    const bytes = typeof seed === 'string' ? hexToBytes(seed, 'seed') : seed;
    if (bytes.length !== 32) throw new Error(`seed must be 32 bytes, got ${bytes.length}`);
    return Sr25519Keypair.fromSeedWithOrigin(bytes, { seed: bytes });
  }

  /**
   * From a 64-byte private key in schnorrkel's canonical encoding (bittensor-wallet's `privateKey`) and the
   * public key stored beside it. Deriving a public key from a secret has no call in wasm-crypto, so the pair is
   * proven consistent instead: a probe signature must verify under the given public key.
   */
  static fromCanonicalPrivateKey(privateKey: Uint8Array | string, publicKey: Uint8Array | string): Sr25519Keypair {
    assertReady();
    const secret = typeof privateKey === 'string' ? hexToBytes(privateKey, 'privateKey') : privateKey;
    const pub = typeof publicKey === 'string' ? hexToBytes(publicKey, 'publicKey') : publicKey;
    if (secret.length !== 64) throw new Error(`privateKey must be 64 bytes, got ${secret.length}`);
    if (pub.length !== 32) throw new Error(`publicKey must be 32 bytes, got ${pub.length}`);
    const secretKey = secretFromCanonical(secret);
    const probe = new TextEncoder().encode('god keypair consistency probe');
    if (!wasm.sr25519Verify(wasm.sr25519Sign(pub, secretKey, probe), probe, pub)) {
      throw new Error('privateKey does not belong to publicKey');
    }
    return new Sr25519Keypair(pub, secretKey, {});
  }

  /** Secret URI: a mnemonic or 0x seed, optionally followed by `//hard` and `/soft` junctions; `//Alice` alone uses DEV_PHRASE. */
  static fromUri(suri: string): Sr25519Keypair {
    assertReady();
    const full = suri.startsWith('//') ? `${DEV_PHRASE}${suri}` : suri;
    const { phrase, path, password } = keyExtractSuri(full);
    if (password) throw new Error('secret URIs with a ///password are not supported');
    let base: Sr25519Keypair;
    if (/^0x[0-9a-fA-F]+$/.test(phrase)) base = Sr25519Keypair.fromSeed(phrase);
    else base = Sr25519Keypair.fromMnemonic(phrase);
    if (path.length === 0) return base;
    const derived = keyFromPath({ publicKey: base.publicKey, secretKey: base.#secretKey }, path, 'sr25519');
    return new Sr25519Keypair(derived.publicKey, derived.secretKey, {});
  }

  private static fromSeedWithOrigin(seed: Uint8Array, origin: Origin): Sr25519Keypair {
    const { publicKey, secretKey } = sr25519PairFromSeed(seed);
    return new Sr25519Keypair(publicKey, secretKey, origin);
  }

  /** sr25519 signature (schnorrkel, signing context "substrate") over exactly these bytes; 64 bytes, randomised. */
  sign(message: Uint8Array): Uint8Array {
    assertReady();
    return wasm.sr25519Sign(this.publicKey, this.#secretKey, message);
  }

  /**
   * The fields bittensor-wallet writes into a keyfile, as strings (`0x` hex). Only for writing a wallet file:
   * the caller must not log the result.
   */
  exportSecrets(): { privateKey: string; secretSeed: string | null; secretPhrase: string | null } {
    return {
      privateKey: u8aToHex(secretToCanonical(this.#secretKey)),
      secretSeed: this.#origin.seed ? u8aToHex(this.#origin.seed) : null,
      secretPhrase: this.#origin.mnemonic ?? null,
    };
  }

  toJSON(): { ss58Address: string; publicKey: string } {
    return { ss58Address: this.ss58Address, publicKey: u8aToHex(this.publicKey) };
  }

  [inspect.custom](): string {
    return `Sr25519Keypair(${this.ss58Address})`;
  }

  toString(): string {
    return this.ss58Address;
  }
}

/** `0x`-optional hex to bytes; names the field in the error. */
export function hexToBytes(hex: string, field: string): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new Error(`${field}: not a hex string`);
  return Uint8Array.from(Buffer.from(body, 'hex'));
}

/** The 32-byte public key of an SS58 address with any prefix, or null when it does not decode. */
export function publicKeyFromAddress(address: string): Uint8Array | null {
  try {
    const key = decodeAddress(address);
    return key.length === 32 ? key : null;
  } catch {
    return null;
  }
}

/** True for a checksum-valid SS58 address with prefix 42 (the form Bittensor's metagraph uses). */
export function isSs58Address(address: string): boolean {
  const key = publicKeyFromAddress(address);
  return key !== null && encodeAddress(key, SS58_PREFIX) === address;
}
