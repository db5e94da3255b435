/**
 * Where accounts and API-key hashes live. The SQL implementation runs on any `Queryable` (PGlite or
 * Postgres) against the `accounts` and `api_keys` tables of the main migration.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/types.ts';
import { ScopeSchema } from './keys.ts';
import type { Scope } from './keys.ts';

export interface Account {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  accountName: string;
  keyPrefix: string;
  keyHash: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  accountId: string;
  keyPrefix: string;
  keyHash: string;
  scopes: Scope[];
}

export class AccountExistsError extends Error {
  constructor(name: string) {
    super(`account "${name}" already exists`);
    this.name = 'AccountExistsError';
  }
}

export interface ApiKeyStore {
  /** Throws AccountExistsError when the name is taken. */
  createAccount(name: string): Promise<Account>;
  findAccountByName(name: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  insertKey(key: NewApiKey): Promise<ApiKeyRecord>;
  /** Keys with this exact prefix that are not revoked (normally at most one). */
  findActiveKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]>;
  listKeys(): Promise<ApiKeyRecord[]>;
  markUsed(keyId: string, at: Date): Promise<void>;
  /** Revokes the active keys with this exact prefix and returns them. */
  revokeByPrefix(prefix: string, at: Date): Promise<ApiKeyRecord[]>;
}

interface AccountRow {
  id: string;
  name: string;
  created_at: Date | string;
}

interface KeyRow {
  id: string;
  account_id: string;
  account_name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string[] | string;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

/** `text[]` arrives as a JS array from both drivers; the string form is kept for drivers without array parsing. */
function parseScopes(raw: string[] | string): Scope[] {
  const list = Array.isArray(raw) ? raw : raw.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
  return list.map((s) => ScopeSchema.parse(s));
}

function toAccount(row: AccountRow): Account {
  return { id: row.id, name: row.name, createdAt: toDate(row.created_at) };
}

function toKey(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    accountName: row.account_name,
    keyPrefix: row.key_prefix,
    keyHash: row.key_hash,
    scopes: parseScopes(row.scopes),
    createdAt: toDate(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : toDate(row.revoked_at),
  };
}

const KEY_COLUMNS = `k.id, k.account_id, a.name AS account_name, k.key_prefix, k.key_hash, k.scopes,
  k.created_at, k.last_used_at, k.revoked_at`;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Queryable) {}

  async createAccount(name: string): Promise<Account> {
    try {
      const { rows } = await this.db.query<AccountRow>(
        'INSERT INTO accounts (id, name) VALUES ($1, $2) RETURNING id, name, created_at',
        [randomUUID(), name],
      );
      return toAccount(rows[0] as AccountRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AccountExistsError(name);
      throw err;
    }
  }

  async findAccountByName(name: string): Promise<Account | undefined> {
    const { rows } = await this.db.query<AccountRow>('SELECT id, name, created_at FROM accounts WHERE name = $1', [name]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  async listAccounts(): Promise<Account[]> {
    const { rows } = await this.db.query<AccountRow>('SELECT id, name, created_at FROM accounts ORDER BY created_at, name');
    return rows.map(toAccount);
  }

  async insertKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const id = randomUUID();
    await this.db.query(
      'INSERT INTO api_keys (id, account_id, key_prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5::text[])',
      [id, key.accountId, key.keyPrefix, key.keyHash, key.scopes],
    );
    const { rows } = await this.db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = $1`,
      [id],
    );
    return toKey(rows[0] as KeyRow);
  }

  async findActiveKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id
       WHERE k.key_prefix = $1 AND k.revoked_at IS NULL`,
      [prefix],
    );
    return rows.map(toKey);
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY a.name, k.created_at`,
    );
    return rows.map(toKey);
  }

  async markUsed(keyId: string, at: Date): Promise<void> {
    await this.db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [keyId, at]);
  }

  async revokeByPrefix(prefix: string, at: Date): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<{ id: string }>(
      'UPDATE api_keys SET revoked_at = $2 WHERE key_prefix = $1 AND revoked_at IS NULL RETURNING id',
      [prefix, at],
    );
    if (rows.length === 0) return [];
    const { rows: keys } = await this.db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ANY($1::uuid[])`,
      [rows.map((r) => r.id)],
    );
    return keys.map(toKey);
  }
}
