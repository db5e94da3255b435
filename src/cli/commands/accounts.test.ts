import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, SqlApiKeyStore } from '../../auth/index.ts';
import { openTestDb } from '../../db/testing.ts';
import type { TestDb } from '../../db/testing.ts';
import { registerAccounts } from './accounts.ts';

describe('god accounts', () => {
  let t: TestDb;
  let store: SqlApiKeyStore;
  let output: string;
  let opened = 0;
  let closed = 0;

  beforeAll(async () => {
    t = await openTestDb('pglite');
    store = new SqlApiKeyStore(t.db);
  });
  afterAll(async () => t.cleanup());
  beforeEach(async () => {
    await t.db.query('DELETE FROM api_keys');
    await t.db.query('DELETE FROM accounts');
    output = '';
  });

  async function god(...args: string[]): Promise<string> {
    const program = new Command('god').exitOverride();
    registerAccounts(program, {
      openStore: async () => {
        opened++;
        return { store, close: async () => void closed++ };
      },
      out: (text) => void (output += text),
      now: () => new Date(Date.UTC(2025, 7, 1, 12)),
    });
    output = '';
    await program.parseAsync(['node', 'god', 'accounts', ...args]);
    return output;
  }

  const keyIn = (text: string) => /api key:\s+(god_\S+)/.exec(text)?.[1];

  it('create prints a working key once; list shows only its prefix', async () => {
    const created = await god('create', 'frontend', '--scope', 'admin');
    const key = keyIn(created);
    expect(key).toBeDefined();
    expect(created).toContain('scopes:     customer, admin');
    const principal = await new ApiKeyAuthenticator(store).authenticate(key as string);
    expect(principal).toMatchObject({ accountName: 'frontend', scopes: ['customer', 'admin'] });

    const listed = await god('list');
    expect(listed).toContain('frontend');
    expect(listed).toContain((key as string).slice(0, 12));
    expect(listed).not.toContain(key as string);
    expect(listed).toMatch(/active/);

    const json = JSON.parse(await god('list', '--json')) as { name: string; keys: { key_prefix: string; scopes: string[] }[] }[];
    expect(json).toEqual([expect.objectContaining({ name: 'frontend', keys: [expect.objectContaining({ key_prefix: (key as string).slice(0, 12), scopes: ['customer', 'admin'] })] })]);
    expect(opened).toBe(closed);
  });

  it('revoke disables the key; a second revoke and unknown prefixes fail clearly', async () => {
    const key = keyIn(await god('create', 'shop')) as string;
    const prefix = key.slice(0, 12);
    expect(await god('revoke', prefix)).toBe(`revoked key ${prefix} of account "shop"\n`);
    expect(await new ApiKeyAuthenticator(store).authenticate(key)).toBeUndefined();
    expect(await god('list')).toContain('revoked 2025-08-01T12:00:00Z');
    await expect(god('revoke', prefix)).rejects.toThrow(`no active key with prefix "${prefix}"`);
    expect(opened).toBe(closed);
  });

  it('refuses duplicates and bad scopes; add-key issues a second key', async () => {
    await god('create', 'shop');
    await expect(god('create', 'shop')).rejects.toThrow(/account "shop" already exists; use "god accounts add-key shop"/);
    await expect(god('create', 'x', '--scope', 'root')).rejects.toThrow(/--scope: invalid value "root"/);
    const second = keyIn(await god('add-key', 'shop')) as string;
    expect(await new ApiKeyAuthenticator(store).authenticate(second)).toMatchObject({ accountName: 'shop', scopes: ['customer'] });
    await expect(god('add-key', 'nobody')).rejects.toThrow(/no account named "nobody"/);
    expect((await store.listKeys()).length).toBe(2);
  });
});
