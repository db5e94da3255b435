import { inspect } from 'node:util';
import { u8aToHex } from '@polkadot/util';
import { sr25519Sign } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_PHRASE,
  Sr25519Keypair,
  initCrypto,
  isSs58Address,
  publicKeyFromAddress,
  secretFromCanonical,
  secretToCanonical,
} from './keypair.ts';
import { verifySr25519 } from './signature.ts';

// Published by substrate's `subkey inspect` for the dev phrase and //Alice (sr25519).
const ALICE_SS58 = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const ALICE_PUBLIC = '0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d';
const BOB_SS58 = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const DEV_SEED = '0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e';
const DEV_SS58 = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV';

beforeAll(async () => {
  await initCrypto();
});

describe('Sr25519Keypair', () => {
  it('derives the well-known dev accounts', () => {
    const alice = Sr25519Keypair.fromUri('//Alice');
    expect(alice.ss58Address).toBe(ALICE_SS58);
    expect(u8aToHex(alice.publicKey)).toBe(ALICE_PUBLIC);
    expect(Sr25519Keypair.fromUri('//Bob').ss58Address).toBe(BOB_SS58);
  });

  it('turns a mnemonic into the substrate mini secret, as bittensor-wallet does', () => {
    const fromPhrase = Sr25519Keypair.fromMnemonic(DEV_PHRASE);
    expect(fromPhrase.ss58Address).toBe(DEV_SS58);
    expect(fromPhrase.exportSecrets().secretSeed).toBe(DEV_SEED);
    expect(fromPhrase.exportSecrets().secretPhrase).toBe(DEV_PHRASE);
    expect(Sr25519Keypair.fromSeed(DEV_SEED).ss58Address).toBe(DEV_SS58);
    // Extra whitespace in a pasted phrase does not change the key.
    expect(Sr25519Keypair.fromMnemonic(`  ${DEV_PHRASE.replace(/ /g, '   ')}\n`).ss58Address).toBe(DEV_SS58);
  });

  it('rejects a mnemonic with a bad checksum and seeds of the wrong size', () => {
    expect(() => Sr25519Keypair.fromMnemonic(DEV_PHRASE.replace('walk', 'bottom'))).toThrow(/mnemonic/);
    expect(() => Sr25519Keypair.fromSeed('0x1234')).toThrow(/32 bytes/);
    expect(() => Sr25519Keypair.fromSeed('zz')).toThrow(/hex/);
  });

  it('generates fresh 12-word keys that round-trip through their mnemonic', () => {
    const { keypair, mnemonic } = Sr25519Keypair.generate();
    expect(mnemonic.split(' ')).toHaveLength(12);
    expect(Sr25519Keypair.fromMnemonic(mnemonic).ss58Address).toBe(keypair.ss58Address);
    expect(Sr25519Keypair.generate().keypair.ss58Address).not.toBe(keypair.ss58Address);
  });

  it('converts between the polkadot-js and canonical schnorrkel secret encodings without loss', () => {
    const kp = Sr25519Keypair.fromUri('//Alice');
    const canonical = kp.exportSecrets().privateKey;
    const reread = Sr25519Keypair.fromCanonicalPrivateKey(canonical, kp.publicKey);
    expect(reread.ss58Address).toBe(ALICE_SS58);
    const msg = new TextEncoder().encode('hello');
    expect(verifySr25519(msg, reread.sign(msg), kp.publicKey)).toBe(true);
    // canonical = ed25519-form / 8, so the top 3 bits of the canonical scalar are clear and the round trip is exact.
    const bytes = Uint8Array.from(Buffer.from(canonical.slice(2), 'hex'));
    expect((bytes[31] as number) & 0xe0).toBe(0);
    expect(u8aToHex(secretToCanonical(secretFromCanonical(bytes)))).toBe(canonical);
  });

  it('refuses a private key that does not match the public key beside it', () => {
    const alice = Sr25519Keypair.fromUri('//Alice');
    const bob = Sr25519Keypair.fromUri('//Bob');
    expect(() => Sr25519Keypair.fromCanonicalPrivateKey(alice.exportSecrets().privateKey, bob.publicKey)).toThrow(/does not belong/);
  });

  it('never shows secrets when logged or serialised', () => {
    const kp = Sr25519Keypair.fromMnemonic(DEV_PHRASE);
    const shown = [JSON.stringify(kp), inspect(kp, { showHidden: true, depth: 5 }), String(kp), JSON.stringify({ kp })].join('\n');
    expect(shown).toContain(DEV_SS58);
    expect(shown).not.toContain('bottom');
    expect(shown).not.toContain(DEV_SEED.slice(2, 20));
    expect(shown).not.toContain(kp.exportSecrets().privateKey.slice(2, 20));
  });

  it('signs with substrate context so both implementations verify, in both directions', () => {
    const kp = Sr25519Keypair.fromUri('//Alice');
    const msg = new TextEncoder().encode('1723456789123456789_aB3dE5fG7h:5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty');
    const wasmSig = kp.sign(msg);
    expect(verifySr25519(msg, wasmSig, kp.publicKey, 'wasm')).toBe(true);
    expect(verifySr25519(msg, wasmSig, kp.publicKey, 'js')).toBe(true);
    // And the pure-JS signer (a separate implementation) is accepted by the WASM verifier.
    const seed = Sr25519Keypair.fromUri('//Alice');
    const secret = secretFromCanonical(Uint8Array.from(Buffer.from(seed.exportSecrets().privateKey.slice(2), 'hex')));
    const jsSig = sr25519Sign(msg, { publicKey: kp.publicKey, secretKey: secret });
    expect(verifySr25519(msg, jsSig, kp.publicKey, 'wasm')).toBe(true);
    // Randomised: two signatures of one message differ, both valid.
    expect(u8aToHex(kp.sign(msg))).not.toBe(u8aToHex(wasmSig));
  });

  it('treats malformed signatures and keys as invalid, never as errors', () => {
    const kp = Sr25519Keypair.fromUri('//Alice');
    const msg = new Uint8Array([1, 2, 3]);
    const sig = kp.sign(msg);
    for (const impl of ['wasm', 'js'] as const) {
      expect(verifySr25519(msg, new Uint8Array(64), kp.publicKey, impl)).toBe(false);
      expect(verifySr25519(msg, new Uint8Array(64).fill(0xff), kp.publicKey, impl)).toBe(false);
      expect(verifySr25519(msg, sig.subarray(0, 63), kp.publicKey, impl)).toBe(false);
      expect(verifySr25519(msg, sig, new Uint8Array(32), impl)).toBe(false);
      expect(verifySr25519(msg, sig, new Uint8Array(32).fill(0xff), impl)).toBe(false);
      expect(verifySr25519(new Uint8Array([1, 2, 4]), sig, kp.publicKey, impl)).toBe(false);
      expect(verifySr25519(msg, sig, Sr25519Keypair.fromUri('//Bob').publicKey, impl)).toBe(false);
    }
  });

  it('decodes SS58 addresses of any prefix and recognises the prefix-42 form', () => {
    expect(isSs58Address(ALICE_SS58)).toBe(true);
    expect(isSs58Address(ALICE_SS58.slice(0, -1) + 'Z')).toBe(false);
    expect(isSs58Address('15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5')).toBe(false); // Polkadot prefix 0
    expect(u8aToHex(publicKeyFromAddress('15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5') ?? new Uint8Array())).toBe(ALICE_PUBLIC);
    expect(publicKeyFromAddress('not an address')).toBeNull();
  });
});
