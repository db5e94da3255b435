import { systemClock } from '../clock/index.ts';
import type { Clock } from '../clock/index.ts';
import { generateApiKey, hashApiKey, hasScope, isWellFormedApiKey, keyMatchesHash, keyPrefixOf } from './keys.ts';
import type { Scope } from './keys.ts';
import type { Account, ApiKeyRecord, ApiKeyStore } from './store.ts';

/** Who made a request authenticated by an API key. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
  accountId: string;
  accountName: string;
  keyId: string;
  keyPrefix: string;
  scopes: Scope[];
}

export interface IssuedKey {
  account: Account;
  record: ApiKeyRecord;
  /** The plain key: returned here once and never stored. */
  key: string;
}

/** Normalises a requested scope list: admin keys carry both scopes so a plain scope check reads naturally. */
export function normaliseScopes(requested: readonly Scope[]): Scope[] {
  const set = new Set<Scope>(requested.length === 0 ? ['customer'] : requested);
  if (set.has('admin')) set.add('customer');
  return (['customer', 'admin'] as const).filter((s) => set.has(s));
}

/** Issues a new key for an existing account. */
export async function issueApiKey(store: ApiKeyStore, account: Account, scopes: readonly Scope[]): Promise<IssuedKey> {
  const key = generateApiKey();
  const record = await store.insertKey({
    accountId: account.id,
    keyPrefix: keyPrefixOf(key),
    keyHash: hashApiKey(key),
    scopes: normaliseScopes(scopes),
  });
  return { account, record, key };
}

/** Creates the account and its first key. */
export async function createAccountWithKey(store: ApiKeyStore, name: string, scopes: readonly Scope[]): Promise<IssuedKey> {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('account name must not be empty');
  const account = await store.createAccount(trimmed);
  return issueApiKey(store, account, scopes);
}

export interface ApiKeyVerifier {
  /** The principal for a valid, unrevoked key; undefined for anything else. */
  authenticate(presentedKey: string): Promise<ApiKeyPrincipal | undefined>;
}

export class ApiKeyAuthenticator implements ApiKeyVerifier {
  private readonly clock: Clock;
  private readonly touchIntervalMs: number;

  constructor(
    private readonly store: ApiKeyStore,
    options: { clock?: Clock; touchIntervalMs?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
  }

  async authenticate(presentedKey: string): Promise<ApiKeyPrincipal | undefined> {
    if (!isWellFormedApiKey(presentedKey)) return undefined;
    // The prefix is not secret; it narrows the candidates, and the secret part is compared in constant time.
    const candidates = await this.store.findActiveKeysByPrefix(keyPrefixOf(presentedKey));
    let found: ApiKeyRecord | undefined;
    for (const c of candidates) if (keyMatchesHash(presentedKey, c.keyHash)) found = c;
    if (!found) return undefined;
    const now = this.clock.now();
    // last_used_at is informational; writing it on every request would turn each read into a write.
    if (found.lastUsedAt === null || now - found.lastUsedAt.getTime() >= this.touchIntervalMs) {
      await this.store.markUsed(found.id, new Date(now));
    }
    return {
      kind: 'api_key',
      accountId: found.accountId,
      accountName: found.accountName,
      keyId: found.id,
      keyPrefix: found.keyPrefix,
      scopes: found.scopes,
    };
  }
}

export function principalHasScope(principal: ApiKeyPrincipal, scope: Scope): boolean {
  return hasScope(principal.scopes, scope);
}
