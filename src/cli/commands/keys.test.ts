import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_PHRASE, Sr25519Keypair } from '../../keys/keypair.ts';
import { loadColdkeyAddress, loadHotkey } from '../../keys/wallet.ts';
import { registerKeys } from './keys.ts';

describe('god keys', () => {
  let root: string;
  let output: string;
  let stdin: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'god-keys-cli-'));
    output = '';
    stdin = '';
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function god(...args: string[]): Promise<string> {
    const program = new Command('god').exitOverride();
    program.configureOutput({ writeErr: () => undefined });
    registerKeys(program, { out: (t) => void (output += t), env: { BT_WALLET_PATH: root }, readStdin: () => stdin });
    output = '';
    await program.parseAsync(['node', 'god', 'keys', ...args]);
    return output;
  }

  it('new: creates coldkey and hotkey, prints each mnemonic once, and the keys reload from disk', async () => {
    const out = await god('new', '--wallet', 'v', '--hotkey', 'default');
    const mnemonics = [...out.matchAll(/mnemonic[^\n]*\n {4}([a-z ]+)\n/g)].map((m) => m[1] as string);
    expect(mnemonics).toHaveLength(2);
    const hot = loadHotkey({ root, wallet: 'v', hotkey: 'default' });
    expect(Sr25519Keypair.fromMnemonic(mnemonics[1] as string).ss58Address).toBe(hot.ss58Address);
    expect(Sr25519Keypair.fromMnemonic(mnemonics[0] as string).ss58Address).toBe(loadColdkeyAddress(root, 'v'));
    expect(out).toContain(hot.ss58Address);
    // A second hotkey keeps the coldkey and shows only the new hotkey's mnemonic.
    const second = await god('new', '--wallet', 'v', '--hotkey', 'h2', '--words', '24');
    expect(second).toContain('coldkey exists, kept');
    expect([...second.matchAll(/mnemonic[^\n]*\n {4}([a-z ]+)\n/g)].map((m) => (m[1] as string).split(' ').length)).toEqual([24]);
    await expect(god('new', '--wallet', 'v', '--hotkey', 'h2')).rejects.toThrow(/already exists/);
  });

  it('import: from a mnemonic on stdin, a seed or a URI; never echoes the secret', async () => {
    stdin = `${DEV_PHRASE}\n`;
    const out = await god('import', '--wallet', 'w', '--hotkey', 'dev', '--stdin');
    expect(out).toContain('5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
    expect(out).not.toContain('bottom');
    await god('import', '--wallet', 'w', '--hotkey', 'alice', '--uri', '//Alice');
    expect(loadHotkey({ root, wallet: 'w', hotkey: 'alice' }).ss58Address).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    const seedOut = await god('import', '--wallet', 'w', '--coldkey', '--seed', '0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e');
    expect(seedOut).not.toContain('fac7959d');
    expect(loadColdkeyAddress(root, 'w')).toBe('5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
    await expect(god('import', '--wallet', 'w', '--hotkey', 'x', '--uri', '//A', '--seed', '0x00')).rejects.toThrow(/exactly one/);
    await expect(god('import', '--wallet', 'w', '--uri', '//A')).rejects.toThrow(/--hotkey/);
  });

  it('list: shows addresses and encryption, no secrets, also as JSON', async () => {
    await god('import', '--wallet', 'w', '--hotkey', 'dev', '--mnemonic', DEV_PHRASE);
    const text = await god('list');
    expect(text).toContain('hotkey dev  5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
    expect(text).not.toContain('bottom');
    const json = JSON.parse(await god('list', '--json')) as { wallets: { hotkeys: { ss58Address: string }[] }[] };
    expect(json.wallets[0]?.hotkeys[0]?.ss58Address).toBe('5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
    expect(readFileSync(join(root, 'w', 'hotkeys', 'dev'), 'utf8')).toContain('secretPhrase');
  });
});
