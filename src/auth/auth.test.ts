import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { openTestDb, testDatabaseUrl } from '../db/testing.ts';
import type { TestDb } from '../db/testing.ts';
import type { DbDriver, Queryable } from '../db/types.ts';
import {
  AccountExistsError,
  ApiKeyAuthenticator,
  createAccountWithKey,
  extractApiKey,
  generateApiKey,
  hashApiKey,
  hasScope,
  issueApiKey,
  isWellFormedApiKey,
  keyMatchesHash,
  keyPrefixOf,
  normaliseScopes,
  SqlApiKeyStore,
} from './index.ts';

const KEY_TAIL = 12;

describe('keys', () => {
  it('generates distinct well-formed keys whose hash is not the key', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(isWellFormedApiKey(k)).toBe(true);
      expect(keyPrefixOf(k)).toMatch(/^god_[A-Za-z0-9_-]{8}$/);
      expect(hashApiKey(k)).toMatch(/^[0-9a-f]{64}$/);
      expect(hashApiKey(k)).not.toContain(k.slice(4));
    }
    expect(isWellFormedApiKey('god_short')).toBe(false);
    expect(isWellFormedApiKey(`xyz_${'a'.repeat(43)}`)).toBe(false);
  });

  it('matches a key only against its own hash', () => {
    const k = generateApiKey();
    expect(keyMatchesHash(k, hashApiKey(k))).toBe(true);
    expect(keyMatchesHash(`${k.slice(0, -1)}${k.endsWith('A') ? 'B' : 'A'}`, hashApiKey(k))).toBe(false);
    expect(keyMatchesHash(k, 'abcd')).toBe(false);
  });

  it('admin implies customer, not the other way round', () => {
    expect(hasScope(['admin'], 'customer')).toBe(true);
    expect(hasScope(['customer'], 'admin')).toBe(false);
    expect(hasScope([], 'customer')).toBe(false);
    expect(normaliseScopes(['admin'])).toEqual(['customer', 'admin']);
    expect(normaliseScopes([])).toEqual(['customer']);
  });

  it('reads the key from Bearer or X-API-Key', () => {
    expect(extractApiKey({ authorization: 'Bearer god_x' })).toBe('god_x');
    expect(extractApiKey({ authorization: 'bearer   god_y ' })).toBe('god_y');
    expect(extractApiKey({ 'x-api-key': ' god_z ' })).toBe('god_z');
    expect(extractApiKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(extractApiKey({})).toBeUndefined();
  });
});

// The same suite on the embedded database and, when TEST_DATABASE_URL is set (.ci/run sets it), on PostgreSQL.
const drivers: DbDriver[] = testDatabaseUrl() ? ['pglite', 'postgres'] : ['pglite'];
if (!testDatabaseUrl()) {
  describe('SqlApiKeyStore on postgres', () => {
    it.skip('NOT RUN: TEST_DATABASE_URL is not set', () => {});
  });
}

describe.each(drivers)('SqlApiKeyStore and ApiKeyAuthenticator on %s (migrated database)', (driver) => {
  let t: TestDb;
  let pg: Queryable;
  let store: SqlApiKeyStore;

  beforeAll(async () => {
    t = await openTestDb(driver);
    pg = t.db;
    store = new SqlApiKeyStore(pg);
  });
  afterAll(async () => {
    await t.cleanup();
  });
  beforeEach(async () => {
    await pg.query('DELETE FROM api_keys');
    await pg.query('DELETE FROM accounts');
  });

  it('stores only the hash and prefix, never the key', async () => {
    const issued = await createAccountWithKey(store, 'alice', ['customer']);
    const { rows } = await pg.query<Record<string, unknown>>('SELECT * FROM api_keys');
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(issued.key);
    expect(text).not.toContain(issued.key.slice(KEY_TAIL));
    expect(rows[0]).toMatchObject({ key_prefix: keyPrefixOf(issued.key), key_hash: hashApiKey(issued.key), scopes: ['customer'] });
    expect(issued.record).toMatchObject({ accountName: 'alice', scopes: ['customer'], revokedAt: null, lastUsedAt: null });
  });

  it('refuses a duplicate account name with a clear error', async () => {
    await createAccountWithKey(store, 'bob', []);
    await expect(createAccountWithKey(store, 'bob', [])).rejects.toBeInstanceOf(AccountExistsError);
    await expect(createAccountWithKey(store, '  ', [])).rejects.toThrow(/must not be empty/);
  });

  it('authenticates valid keys with their scopes and rejects wrong, malformed and revoked ones', async () => {
    const clock = new ManualClock(Date.UTC(2025, 7, 1));
    const auth = new ApiKeyAuthenticator(store, { clock });
    const admin = await createAccountWithKey(store, 'ops', ['admin']);
    const cust = await createAccountWithKey(store, 'shop', ['customer']);
    const second = await issueApiKey(store, cust.account, ['customer']);

    expect(await auth.authenticate(admin.key)).toMatchObject({ kind: 'api_key', accountName: 'ops', scopes: ['customer', 'admin'] });
    expect(await auth.authenticate(cust.key)).toMatchObject({ accountName: 'shop', scopes: ['customer'], keyId: cust.record.id });
    expect(await auth.authenticate(second.key)).toMatchObject({ accountName: 'shop', keyId: second.record.id });

    // Same prefix, different secret part: the constant-time comparison must reject it.
    const forged = keyPrefixOf(cust.key) + generateApiKey().slice(keyPrefixOf(cust.key).length);
    expect(await auth.authenticate(forged)).toBeUndefined();
    expect(await auth.authenticate('not-a-key')).toBeUndefined();

    const revoked = await store.revokeByPrefix(keyPrefixOf(cust.key), clock.date());
    expect(revoked.map((r) => r.id)).toEqual([cust.record.id]);
    expect(revoked[0]?.revokedAt?.getTime()).toBe(clock.now());
    expect(await auth.authenticate(cust.key)).toBeUndefined();
    expect(await auth.authenticate(second.key)).toBeDefined();
    expect(await store.revokeByPrefix(keyPrefixOf(cust.key), clock.date())).toEqual([]);
  });

  it('records last use, at most once per interval', async () => {
    const clock = new ManualClock(Date.UTC(2025, 7, 1));
    const auth = new ApiKeyAuthenticator(store, { clock, touchIntervalMs: 60_000 });
    const issued = await createAccountWithKey(store, 'carol', ['customer']);
    const lastUsed = async () =>
      (await store.listKeys()).find((k) => k.id === issued.record.id)?.lastUsedAt?.getTime() ?? null;
    expect(await lastUsed()).toBeNull();
    await auth.authenticate(issued.key);
    const first = clock.now();
    expect(await lastUsed()).toBe(first);
    await clock.advance(30_000);
    await auth.authenticate(issued.key);
    expect(await lastUsed()).toBe(first);
    await clock.advance(30_000);
    await auth.authenticate(issued.key);
    expect(await lastUsed()).toBe(first + 60_000);
  });

  it('lists accounts and keys; deleting an account removes its keys', async () => {
    await createAccountWithKey(store, 'b-acct', ['customer']);
    await createAccountWithKey(store, 'a-acct', ['admin']);
    expect((await store.listAccounts()).map((a) => a.name).sort()).toEqual(['a-acct', 'b-acct']);
    expect((await store.listKeys()).map((k) => k.accountName)).toEqual(['a-acct', 'b-acct']);
    expect(await store.findAccountByName('a-acct')).toMatchObject({ name: 'a-acct' });
    expect(await store.findAccountByName('zzz')).toBeUndefined();
    await pg.query("DELETE FROM accounts WHERE name = 'a-acct'");
    expect((await store.listKeys()).map((k) => k.accountName)).toEqual(['b-acct']);
  });
});


