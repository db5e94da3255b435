import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEV_PHRASE, Sr25519Keypair, initCrypto } from './keypair.ts';
import {
  keyfileJson,
  listWallets,
  loadColdkeyAddress,
  loadHotkey,
  readKeyfile,
  resolveWalletRoot,
  saveColdkey,
  saveHotkey,
  walletPaths,
} from './wallet.ts';

const DEV_SS58 = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV';
const DEV_PUBLIC = '0x46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a';
const DEV_SEED = '0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e';
const ALICE_SS58 = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

let root: string;

beforeAll(async () => {
  await initCrypto();
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'god-wallets-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function put(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

describe('wallet files', () => {
  it('resolves the root from the flag, then BT_WALLET_PATH, then ~/.bittensor/wallets', () => {
    expect(resolveWalletRoot('/x/y', { BT_WALLET_PATH: '/env' })).toBe('/x/y');
    expect(resolveWalletRoot(undefined, { BT_WALLET_PATH: '/env' })).toBe('/env');
    expect(resolveWalletRoot(undefined, {})).toBe(join(homedir(), '.bittensor/wallets'));
    expect(resolveWalletRoot('~/w', {})).toBe(join(homedir(), 'w'));
  });

  it('reads a hotkey written by bittensor-wallet (compact JSON, any key order)', () => {
    const kp = Sr25519Keypair.fromMnemonic(DEV_PHRASE);
    const privateKey = kp.exportSecrets().privateKey;
    put(
      walletPaths(root, 'miner').hotkey('default'),
      `{"secretPhrase":"${DEV_PHRASE}","privateKey":"${privateKey}","ss58Address":"${DEV_SS58}","accountId":"${DEV_PUBLIC}","secretSeed":"${DEV_SEED}","publicKey":"${DEV_PUBLIC}"}`,
    );
    expect(loadHotkey({ root, wallet: 'miner', hotkey: 'default' }).ss58Address).toBe(DEV_SS58);
  });

  it('follows bittensor-wallet precedence: phrase, then seed, then private key', () => {
    const path = walletPaths(root, 'w').hotkey('h');
    const alice = Sr25519Keypair.fromUri('//Alice');
    // Seed only (as an older substrate-interface wallet, with nulls for the rest).
    put(path, JSON.stringify({ accountId: null, publicKey: null, privateKey: null, secretPhrase: null, secretSeed: DEV_SEED, ss58Address: null }));
    expect(loadHotkey({ root, wallet: 'w', hotkey: 'h' }).ss58Address).toBe(DEV_SS58);
    // Private key only (a derived key like //Alice has no seed or phrase).
    put(path, keyfileJson(alice));
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(parsed.secretSeed).toBeUndefined();
    expect(loadHotkey({ root, wallet: 'w', hotkey: 'h' }).ss58Address).toBe(ALICE_SS58);
  });

  it('refuses a keyfile whose address does not match its secret, or that has no secret', () => {
    const path = walletPaths(root, 'w').hotkey('h');
    put(path, JSON.stringify({ secretSeed: DEV_SEED, ss58Address: ALICE_SS58 }));
    expect(() => loadHotkey({ root, wallet: 'w', hotkey: 'h' })).toThrow(/does not match/);
    put(path, JSON.stringify({ ss58Address: ALICE_SS58 }));
    expect(() => loadHotkey({ root, wallet: 'w', hotkey: 'h' })).toThrow(/no secret/);
    put(path, JSON.stringify({ secretSeed: 42 }));
    expect(() => loadHotkey({ root, wallet: 'w', hotkey: 'h' })).toThrow(/secretSeed/);
    put(path, 'not json');
    expect(() => loadHotkey({ root, wallet: 'w', hotkey: 'h' })).toThrow(/not a keyfile/);
  });

  it('recognises encrypted keyfiles and says it does not decrypt them', () => {
    const paths = walletPaths(root, 'w');
    put(paths.hotkey('h'), '$NACL\u0001\u0002binary');
    expect(readKeyfile(paths.hotkey('h'))).toEqual({ encrypted: true, method: 'NaCl' });
    expect(() => loadHotkey({ root, wallet: 'w', hotkey: 'h' })).toThrow(/NaCl-encrypted; encrypted keyfiles are not decrypted/);
    put(paths.coldkey, '$ANSIBLE_VAULT;1.1;AES256\n6162');
    expect(readKeyfile(paths.coldkey)).toEqual({ encrypted: true, method: 'Ansible Vault' });
  });

  it('reads coldkeypub.txt in both the btwallet and the older Python layout', () => {
    const paths = walletPaths(root, 'w');
    put(paths.coldkeypub, `{"accountId":"${DEV_PUBLIC}","publicKey":"${DEV_PUBLIC}","ss58Address":"${DEV_SS58}"}`);
    expect(loadColdkeyAddress(root, 'w')).toBe(DEV_SS58);
    put(paths.coldkeypub, JSON.stringify({ accountId: DEV_PUBLIC, publicKey: DEV_PUBLIC, privateKey: null, secretPhrase: null, secretSeed: null, ss58Address: null }, null, 1));
    expect(loadColdkeyAddress(root, 'w')).toBe(DEV_SS58);
  });

  it('writes keys that read back, with secrets only in mode-0600 files', () => {
    const cold = Sr25519Keypair.generate().keypair;
    const { keypair: hot, mnemonic } = Sr25519Keypair.generate();
    saveColdkey(root, 'val', cold);
    const hotPath = saveHotkey({ root, wallet: 'val', hotkey: 'default' }, hot);
    const paths = walletPaths(root, 'val');
    for (const p of [paths.coldkey, paths.coldkeypub, hotPath, paths.hotkeypub('default')]) {
      expect(statSync(p).mode & 0o777).toBe(0o600);
    }
    const hotFile = JSON.parse(readFileSync(hotPath, 'utf8')) as Record<string, string>;
    expect(Object.keys(hotFile).sort()).toEqual(['accountId', 'privateKey', 'publicKey', 'secretPhrase', 'secretSeed', 'ss58Address']);
    expect(hotFile.secretPhrase).toBe(mnemonic);
    expect(hotFile.privateKey).toMatch(/^0x[0-9a-f]{128}$/);
    const pubFile = readFileSync(paths.coldkeypub, 'utf8');
    expect(JSON.parse(pubFile)).toEqual({ accountId: hotFileLike(cold).accountId, publicKey: hotFileLike(cold).publicKey, ss58Address: cold.ss58Address });
    expect(loadHotkey({ root, wallet: 'val', hotkey: 'default' }).ss58Address).toBe(hot.ss58Address);
    expect(loadColdkeyAddress(root, 'val')).toBe(cold.ss58Address);
    expect(() => saveHotkey({ root, wallet: 'val', hotkey: 'default' }, hot)).toThrow(/already exists/);
    saveHotkey({ root, wallet: 'val', hotkey: 'default' }, cold, { overwrite: true });
    expect(loadHotkey({ root, wallet: 'val', hotkey: 'default' }).ss58Address).toBe(cold.ss58Address);
  });

  it('lists wallets with public addresses only', () => {
    const hot = Sr25519Keypair.fromMnemonic(DEV_PHRASE);
    saveColdkey(root, 'a', Sr25519Keypair.fromUri('//Alice'));
    saveHotkey({ root, wallet: 'a', hotkey: 'h1' }, hot);
    put(walletPaths(root, 'b').coldkey, '$NACL...');
    put(walletPaths(root, 'b').coldkeypub, JSON.stringify({ ss58Address: ALICE_SS58 }));
    put(walletPaths(root, 'b').hotkey('enc'), '$NACL...');
    const listing = listWallets(root);
    expect(listing.map((w) => w.name)).toEqual(['a', 'b']);
    expect(listing[0]?.coldkeyAddress).toBe(ALICE_SS58);
    expect(listing[0]?.coldkeyEncrypted).toBeNull();
    expect(listing[0]?.hotkeys).toEqual([{ name: 'h1', ss58Address: DEV_SS58, encrypted: null }]);
    expect(listing[1]?.coldkeyEncrypted).toBe('NaCl');
    expect(listing[1]?.hotkeys).toEqual([{ name: 'enc', ss58Address: null, encrypted: 'NaCl' }]);
    expect(JSON.stringify(listing)).not.toContain('bottom');
    expect(listWallets(join(root, 'missing'))).toEqual([]);
  });

  it('refuses wallet and hotkey names that would leave the wallet root', () => {
    expect(() => walletPaths(root, '../x')).toThrow(/must match/);
    expect(() => walletPaths(root, 'w').hotkey('..')).toThrow(/must match/);
    expect(() => walletPaths(root, 'w').hotkey('a/b')).toThrow(/must match/);
  });
});

function hotFileLike(kp: Sr25519Keypair): Record<string, string> {
  return JSON.parse(keyfileJson(kp)) as Record<string, string>;
}
