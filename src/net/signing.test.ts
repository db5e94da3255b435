import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sr25519Keypair, initCrypto, publicKeyFromAddress } from '../keys/keypair.ts';
import { verifySr25519 } from '../keys/signature.ts';
import { pythonJsonDumps } from './python-json.ts';
import { buildSigningMessage, sha256Hex, signRequest } from './signing.ts';
import { fromTagged } from './vectors/tagged.ts';

interface Vectors {
  validator_uri: string;
  validator_hotkey: string;
  miner_hotkey: string;
  nonce: string;
  get: { message: string };
  posts: { name: string; payload: unknown; body: string; body_sha256: string; message: string }[];
}
/** Written by vectors/make_vectors.py with CPython's json and hashlib, fiber 2.4.0's construction. */
const V = JSON.parse(readFileSync(new URL('./vectors/fiber-2.4.0.json', import.meta.url), 'utf8')) as Vectors;

/** Signatures by //Alice recorded once (wasm-crypto) over V.posts[0].message and V.get.message; they must stay valid. */
const RECORDED_POST_SIG =
  '0xb66918b51c4865427588c3d448c50c8da5215def4255b479a3e4999cb09bc27b1350eb909d8bd31734470951f99b308ccb108c56b09d96c4501cbd3fe6a3f283';
const RECORDED_GET_SIG =
  '0xac9bbcafd0ed08cc1bcf4068e94c92d8f7875a07a0408e0e79b517424597f66bbc1e8dd8f401c39545771474fdd7c37e707b89de99c3b4f09f8d91d4fb7a5a8b';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const utf8 = (s: string) => Buffer.from(s, 'utf8');

beforeAll(async () => {
  await initCrypto();
});

describe('fiber 2.4.0 message construction', () => {
  it('uses the dev keys the vectors name', () => {
    expect(Sr25519Keypair.fromUri(V.validator_uri).ss58Address).toBe(V.validator_hotkey);
    expect(Sr25519Keypair.fromUri('//Bob').ss58Address).toBe(V.miner_hotkey);
  });

  it('builds the GET message "{nonce}:{miner}"', () => {
    expect(buildSigningMessage(V.nonce, V.miner_hotkey, null)).toBe(V.get.message);
  });

  it.each(V.posts.map((p) => [p.name, p] as const))('builds the POST message for %s from the body bytes Python sends', (_n, post) => {
    const body = utf8(pythonJsonDumps(fromTagged(post.payload)));
    expect(body.toString('utf8')).toBe(post.body);
    expect(sha256Hex(body)).toBe(post.body_sha256);
    expect(buildSigningMessage(V.nonce, V.miner_hotkey, sha256Hex(body))).toBe(post.message);
  });

  it('hashes {"a": 1} as the 8 bytes json.dumps writes', () => {
    expect(V.posts[0]?.body).toBe('{"a": 1}');
    expect(utf8('{"a": 1}')).toHaveLength(8);
  });
});

describe('signRequest', () => {
  it('sends the five headers of fiber _get_headers, Content-Type included on GETs', () => {
    const alice = Sr25519Keypair.fromUri('//Alice');
    const headers = signRequest({ keypair: alice, minerHotkey: V.miner_hotkey, nowNs: 1723456789123456789n });
    expect(Object.keys(headers)).toEqual(['Content-Type', 'validator-hotkey', 'miner-hotkey', 'nonce', 'signature']);
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers['validator-hotkey']).toBe(V.validator_hotkey);
    expect(headers['miner-hotkey']).toBe(V.miner_hotkey);
    expect(headers.nonce).toMatch(/^1723456789123456789_[A-Za-z0-9]{10}$/);
    expect(headers.signature).toMatch(/^0x[0-9a-f]{128}$/);
    expect(headers.signature).toHaveLength(130);
  });

  it.each(['wasm', 'js'] as const)('produces signatures the %s verifier accepts for GET and every POST vector', (impl) => {
    const alice = Sr25519Keypair.fromUri('//Alice');
    const pub = publicKeyFromAddress(V.validator_hotkey) as Uint8Array;
    const get = signRequest({ keypair: alice, minerHotkey: V.miner_hotkey, nowNs: 0n, nonce: V.nonce });
    expect(verifySr25519(utf8(V.get.message), hex(get.signature as string), pub, impl)).toBe(true);
    for (const post of V.posts) {
      const signed = signRequest({ keypair: alice, minerHotkey: V.miner_hotkey, nowNs: 0n, nonce: V.nonce, body: utf8(post.body) });
      expect(verifySr25519(utf8(post.message), hex(signed.signature as string), pub, impl)).toBe(true);
      // The signature covers the body: one byte more and it no longer verifies.
      expect(verifySr25519(utf8(`${post.message}0`), hex(signed.signature as string), pub, impl)).toBe(false);
    }
  });

  it.each(['wasm', 'js'] as const)('still verifies the recorded signatures with %s', (impl) => {
    const pub = publicKeyFromAddress(V.validator_hotkey) as Uint8Array;
    const post = V.posts[0]?.message as string;
    expect(verifySr25519(utf8(post), hex(RECORDED_POST_SIG), pub, impl)).toBe(true);
    expect(verifySr25519(utf8(V.get.message), hex(RECORDED_GET_SIG), pub, impl)).toBe(true);
    expect(verifySr25519(utf8(V.get.message), hex(RECORDED_POST_SIG), pub, impl)).toBe(false);
  });
});
