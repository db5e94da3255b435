/**
 * Bittensor wallet files, read and written in bittensor-wallet's layout so miners and validators use the keys
 * they already have (and btcli reads the ones we make):
 *
 *   <root>/<wallet>/coldkey                 keyfile (usually encrypted by btcli)
 *   <root>/<wallet>/coldkeypub.txt          public keyfile
 *   <root>/<wallet>/hotkeys/<hotkey>        keyfile (btcli leaves hotkeys unencrypted by default)
 *   <root>/<wallet>/hotkeys/<hotkey>pub.txt public keyfile (bittensor-wallet ≥ 3)
 *
 * A keyfile is JSON of string-or-null fields: accountId, publicKey (0x hex), privateKey (0x hex, 64 bytes,
 * schnorrkel canonical), secretPhrase, secretSeed (0x hex, 32 bytes), ss58Address. Encrypted keyfiles (NaCl
 * `$NACL…`, Ansible vault, legacy Fernet `gAAAAA…`) are recognised but NOT decrypted: NaCl needs argon2i with
 * 1 GiB of memory, which we do not implement. Keys we write are unencrypted, with mode 0600.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import { z } from 'zod';
import { safeParseWire } from '../core/parse.ts';
import { SS58_PREFIX, Sr25519Keypair, hexToBytes, publicKeyFromAddress } from './keypair.ts';

export const DEFAULT_WALLET_ROOT = '~/.bittensor/wallets';

/** `--wallet-path`, else `BT_WALLET_PATH`, else ~/.bittensor/wallets; `~` expands to the home directory. */
export function resolveWalletRoot(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = option?.trim() || env.BT_WALLET_PATH?.trim() || DEFAULT_WALLET_ROOT;
  const expanded = raw === '~' ? homedir() : raw.startsWith('~/') ? join(homedir(), raw.slice(2)) : raw;
  return resolve(expanded);
}

const NAME = /^[A-Za-z0-9._-]+$/;

function checkName(kind: string, name: string): string {
  // Names become path segments; refuse anything that could climb out of the wallet root.
  if (!NAME.test(name) || name === '.' || name === '..') throw new Error(`${kind} name "${name}" must match [A-Za-z0-9._-]+`);
  return name;
}

export interface WalletPaths {
  dir: string;
  coldkey: string;
  coldkeypub: string;
  hotkeysDir: string;
  hotkey: (name: string) => string;
  hotkeypub: (name: string) => string;
}

export function walletPaths(root: string, wallet: string): WalletPaths {
  const dir = join(root, checkName('wallet', wallet));
  const hotkeysDir = join(dir, 'hotkeys');
  return {
    dir,
    coldkey: join(dir, 'coldkey'),
    coldkeypub: join(dir, 'coldkeypub.txt'),
    hotkeysDir,
    hotkey: (name) => join(hotkeysDir, checkName('hotkey', name)),
    hotkeypub: (name) => join(hotkeysDir, `${checkName('hotkey', name)}pub.txt`),
  };
}

const field = z.string().nullable().optional();
export const keyfileSchema = z.looseObject({
  accountId: field,
  publicKey: field,
  privateKey: field,
  secretPhrase: field,
  secretSeed: field,
  ss58Address: field,
});
export type KeyfileData = z.infer<typeof keyfileSchema>;

export type EncryptionMethod = 'NaCl' | 'Ansible Vault' | 'legacy';

export type Keyfile = { encrypted: true; method: EncryptionMethod } | { encrypted: false; data: KeyfileData };

export function encryptionOf(content: Buffer): EncryptionMethod | null {
  if (content.subarray(0, 5).toString('latin1') === '$NACL') return 'NaCl';
  if (content.subarray(0, 14).toString('latin1') === '$ANSIBLE_VAULT') return 'Ansible Vault';
  if (content.subarray(0, 6).toString('latin1') === 'gAAAAA') return 'legacy';
  return null;
}

export function parseKeyfile(content: Buffer, label: string): Keyfile {
  const method = encryptionOf(content);
  if (method) return { encrypted: true, method };
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    throw new Error(`${label}: not a keyfile (neither JSON nor a known encryption format)`);
  }
  const parsed = safeParseWire(keyfileSchema, json, { label });
  if (!parsed.ok) throw parsed.error;
  return { encrypted: false, data: parsed.value };
}

export function readKeyfile(path: string): Keyfile {
  if (!existsSync(path)) throw new Error(`${path}: no such keyfile`);
  return parseKeyfile(readFileSync(path), path);
}

/** The signing keypair in a plain keyfile, by bittensor-wallet's precedence: phrase, then seed, then private key. */
export function keypairFromKeyfile(data: KeyfileData, label: string): Sr25519Keypair {
  let keypair: Sr25519Keypair;
  if (data.secretPhrase) keypair = Sr25519Keypair.fromMnemonic(data.secretPhrase);
  else if (data.secretSeed) keypair = Sr25519Keypair.fromSeed(data.secretSeed);
  else if (data.privateKey) {
    const pub = data.publicKey ?? data.accountId ?? (data.ss58Address ? publicKeyFromAddress(data.ss58Address) : null);
    if (!pub) throw new Error(`${label}: privateKey without publicKey, accountId or ss58Address`);
    keypair = Sr25519Keypair.fromCanonicalPrivateKey(data.privateKey, pub);
  } else throw new Error(`${label}: keyfile holds no secret (secretPhrase, secretSeed or privateKey)`);
  // A file whose stated address is not its key's address is corrupt or tampered: refuse rather than guess.
  if (data.ss58Address) {
    const stated = publicKeyFromAddress(data.ss58Address);
    if (stated === null) throw new Error(`${label}: bad ss58Address`);
    if (u8aToHex(stated) !== u8aToHex(keypair.publicKey)) throw new Error(`${label}: ss58Address does not match the key's secret`);
  }
  return keypair;
}

/** The SS58 (prefix 42) address a plain keyfile names, from ss58Address, publicKey or accountId. */
export function addressFromKeyfile(data: KeyfileData, label: string): string {
  if (data.ss58Address) {
    const key = publicKeyFromAddress(data.ss58Address);
    if (!key) throw new Error(`${label}: bad ss58Address`);
    return encodeAddress(key, SS58_PREFIX);
  }
  const hex = data.publicKey ?? data.accountId;
  if (!hex) throw new Error(`${label}: keyfile names no address`);
  const key = hexToBytes(hex, `${label}: publicKey`);
  if (key.length !== 32) throw new Error(`${label}: publicKey must be 32 bytes`);
  return encodeAddress(key, SS58_PREFIX);
}

const ENCRYPTED_HINT =
  'encrypted keyfiles are not decrypted by god; export the hotkey unencrypted (btcli keeps hotkeys unencrypted by default) or import it with `god keys import`';

export interface WalletRef {
  root: string;
  wallet: string;
  hotkey: string;
}

/** The hotkey a miner or validator signs with. */
export function loadHotkey(ref: WalletRef): Sr25519Keypair {
  const path = walletPaths(ref.root, ref.wallet).hotkey(ref.hotkey);
  const file = readKeyfile(path);
  if (file.encrypted) throw new Error(`${path}: ${file.method}-encrypted; ${ENCRYPTED_HINT}`);
  return keypairFromKeyfile(file.data, path);
}

/** The coldkey's address from coldkeypub.txt (readable even when the coldkey itself is encrypted). */
export function loadColdkeyAddress(root: string, wallet: string): string {
  const path = walletPaths(root, wallet).coldkeypub;
  const file = readKeyfile(path);
  if (file.encrypted) throw new Error(`${path}: unexpectedly encrypted`);
  return addressFromKeyfile(file.data, path);
}

/** A full keyfile as bittensor-wallet serialises it. Contains secrets: write it to disk only, never log it. */
export function keyfileJson(keypair: Sr25519Keypair): string {
  const secrets = keypair.exportSecrets();
  const pub = u8aToHex(keypair.publicKey);
  const data: KeyfileData = { accountId: pub, publicKey: pub, privateKey: secrets.privateKey };
  if (secrets.secretPhrase) data.secretPhrase = secrets.secretPhrase;
  if (secrets.secretSeed) data.secretSeed = secrets.secretSeed;
  data.ss58Address = keypair.ss58Address;
  return JSON.stringify(data);
}

/** A public keyfile (coldkeypub.txt, <hotkey>pub.txt): what bittensor-wallet writes for an address-only keypair. */
export function publicKeyfileJson(keypair: Sr25519Keypair): string {
  const pub = u8aToHex(keypair.publicKey);
  return JSON.stringify({ accountId: pub, publicKey: pub, ss58Address: keypair.ss58Address });
}

function writePrivate(path: string, content: string, overwrite: boolean): void {
  if (!overwrite && existsSync(path)) throw new Error(`${path} already exists (use --overwrite to replace it)`);
  // 'wx' closes the race between the check and the write when not overwriting.
  writeFileSync(path, content, { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
  chmodSync(path, 0o600);
}

export interface SaveOptions {
  overwrite?: boolean;
}

export function saveHotkey(ref: WalletRef, keypair: Sr25519Keypair, options: SaveOptions = {}): string {
  const paths = walletPaths(ref.root, ref.wallet);
  mkdirSync(paths.hotkeysDir, { recursive: true, mode: 0o700 });
  const path = paths.hotkey(ref.hotkey);
  writePrivate(path, keyfileJson(keypair), options.overwrite ?? false);
  writePrivate(paths.hotkeypub(ref.hotkey), publicKeyfileJson(keypair), options.overwrite ?? false);
  return path;
}

/** Writes coldkey (UNENCRYPTED, mode 0600) and coldkeypub.txt. */
export function saveColdkey(root: string, wallet: string, keypair: Sr25519Keypair, options: SaveOptions = {}): string {
  const paths = walletPaths(root, wallet);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writePrivate(paths.coldkey, keyfileJson(keypair), options.overwrite ?? false);
  writePrivate(paths.coldkeypub, publicKeyfileJson(keypair), options.overwrite ?? false);
  return paths.coldkey;
}

export interface HotkeyListing {
  name: string;
  ss58Address: string | null;
  /** Encryption of the hotkey file, null when plain. */
  encrypted: EncryptionMethod | null;
  error?: string;
}

export interface WalletListing {
  name: string;
  coldkeyAddress: string | null;
  coldkeyEncrypted: EncryptionMethod | null;
  hasColdkey: boolean;
  hotkeys: HotkeyListing[];
  error?: string;
}

function describeHotkey(paths: WalletPaths, name: string): HotkeyListing {
  try {
    const pubPath = paths.hotkeypub(name);
    const file = readKeyfile(paths.hotkey(name));
    if (file.encrypted) {
      const pub = existsSync(pubPath) ? readKeyfile(pubPath) : null;
      const address = pub && !pub.encrypted ? addressFromKeyfile(pub.data, pubPath) : null;
      return { name, ss58Address: address, encrypted: file.method };
    }
    return { name, ss58Address: addressFromKeyfile(file.data, paths.hotkey(name)), encrypted: null };
  } catch (err) {
    return { name, ss58Address: null, encrypted: null, error: (err as Error).message };
  }
}

/** Every wallet under the root with its public addresses; reads no secret into memory beyond parsing. */
export function listWallets(root: string): WalletListing[] {
  if (!existsSync(root)) return [];
  const out: WalletListing[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
    const paths = walletPaths(root, entry.name);
    const listing: WalletListing = { name: entry.name, coldkeyAddress: null, coldkeyEncrypted: null, hasColdkey: existsSync(paths.coldkey), hotkeys: [] };
    try {
      if (existsSync(paths.coldkeypub)) listing.coldkeyAddress = loadColdkeyAddress(root, entry.name);
      if (listing.hasColdkey) listing.coldkeyEncrypted = encryptionOf(readFileSync(paths.coldkey));
    } catch (err) {
      listing.error = (err as Error).message;
    }
    if (existsSync(paths.hotkeysDir) && statSync(paths.hotkeysDir).isDirectory()) {
      const names = readdirSync(paths.hotkeysDir)
        .filter((n) => NAME.test(n) && !n.endsWith('pub.txt') && statSync(join(paths.hotkeysDir, n)).isFile())
        .sort();
      listing.hotkeys = names.map((n) => describeHotkey(paths, n));
    }
    out.push(listing);
  }
  return out;
}
