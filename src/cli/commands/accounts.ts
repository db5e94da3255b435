/**
 * `god accounts`: API-key accounts of the validator's API. Keys are printed once, at creation; the
 * database keeps only their hash and prefix.
 */
import { Command, Option } from 'commander';
import {
  AccountExistsError,
  createAccountWithKey,
  issueApiKey,
  ScopeSchema,
  SqlApiKeyStore,
} from '../../auth/index.ts';
import type { ApiKeyStore, IssuedKey, Scope } from '../../auth/index.ts';

export interface AccountsDeps {
  /** Opens the store and returns it with a closer; defaults to the project database (migrated). */
  openStore: () => Promise<{ store: ApiKeyStore; close: () => Promise<void> }>;
  out: (text: string) => void;
  now: () => Date;
}

async function openProjectStore(): Promise<{ store: ApiKeyStore; close: () => Promise<void> }> {
  // Loaded and opened only when a subcommand runs, so that `god --help` stays fast and touches no database.
  const { openDb } = await import('../../db/index.ts');
  const db = await openDb({ migrate: true });
  return { store: new SqlApiKeyStore(db), close: () => db.close() };
}

const defaultDeps: AccountsDeps = {
  openStore: openProjectStore,
  out: (text) => process.stdout.write(text),
  now: () => new Date(),
};

async function withStore<T>(deps: AccountsDeps, fn: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const { store, close } = await deps.openStore();
  try {
    return await fn(store);
  } finally {
    await close();
  }
}

function printIssued(deps: AccountsDeps, issued: IssuedKey, created: boolean): void {
  deps.out(
    [
      `${created ? 'created account' : 'new key for account'} "${issued.account.name}" (${issued.account.id})`,
      `scopes:     ${issued.record.scopes.join(', ')}`,
      `key prefix: ${issued.record.keyPrefix}`,
      `api key:    ${issued.key}`,
      'The key is shown only now; store it safely. Use it as "Authorization: Bearer <key>".',
      '',
    ].join('\n'),
  );
}

function parseScope(value: string): Scope {
  const parsed = ScopeSchema.safeParse(value);
  if (!parsed.success) throw new Error(`--scope: invalid value "${value}" (expected customer or admin)`);
  return parsed.data;
}

function iso(d: Date | null): string {
  return d === null ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function registerAccounts(program: Command, deps: AccountsDeps = defaultDeps): void {
  const accounts = program
    .command('accounts')
    .description('manage API accounts and keys of the validator API (customer and admin scopes)');

  const scopeOption = () =>
    new Option('--scope <scope>', 'scope of the key: customer, or admin (admin implies customer)').default('customer');

  accounts
    .command('create')
    .description('create an account and its first API key; prints the key once')
    .argument('<name>', 'unique account name')
    .addOption(scopeOption())
    .action(async (name: string, opts: { scope: string }) => {
      const scope = parseScope(opts.scope);
      await withStore(deps, async (store) => {
        try {
          printIssued(deps, await createAccountWithKey(store, name, [scope]), true);
        } catch (err) {
          if (err instanceof AccountExistsError) {
            throw new Error(`${err.message}; use "god accounts add-key ${name}" for another key`);
          }
          throw err;
        }
      });
    });

  accounts
    .command('add-key')
    .description('issue another API key for an existing account; prints the key once')
    .argument('<name>', 'account name')
    .addOption(scopeOption())
    .action(async (name: string, opts: { scope: string }) => {
      const scope = parseScope(opts.scope);
      await withStore(deps, async (store) => {
        const account = await store.findAccountByName(name);
        if (!account) throw new Error(`no account named "${name}"`);
        printIssued(deps, await issueApiKey(store, account, [scope]), false);
      });
    });

  accounts
    .command('list')
    .description('list accounts and their keys (prefixes only; keys are never stored)')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      await withStore(deps, async (store) => {
        const [all, keys] = await Promise.all([store.listAccounts(), store.listKeys()]);
        if (opts.json) {
          const rows = all.map((a) => ({
            id: a.id,
            name: a.name,
            created_at: a.createdAt.toISOString(),
            keys: keys
              .filter((k) => k.accountId === a.id)
              .map((k) => ({
                key_prefix: k.keyPrefix,
                scopes: k.scopes,
                created_at: k.createdAt.toISOString(),
                last_used_at: k.lastUsedAt?.toISOString() ?? null,
                revoked_at: k.revokedAt?.toISOString() ?? null,
              })),
          }));
          deps.out(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (all.length === 0) {
          deps.out('no accounts (create one with "god accounts create <name>")\n');
          return;
        }
        const header = ['ACCOUNT', 'KEY PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'];
        const rows: string[][] = [];
        for (const a of all) {
          const own = keys.filter((k) => k.accountId === a.id);
          if (own.length === 0) rows.push([a.name, '-', '-', iso(a.createdAt), '-', 'no keys']);
          for (const k of own) {
            rows.push([a.name, k.keyPrefix, k.scopes.join(','), iso(k.createdAt), iso(k.lastUsedAt), k.revokedAt ? `revoked ${iso(k.revokedAt)}` : 'active']);
          }
        }
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
        deps.out(`${[header, ...rows].map(line).join('\n')}\n`);
      });
    });

  accounts
    .command('revoke')
    .description('revoke the API key with this prefix (as shown by "god accounts list")')
    .argument('<key-prefix>', 'the key prefix, e.g. god_AbCd1234')
    .action(async (prefix: string) => {
      await withStore(deps, async (store) => {
        const revoked = await store.revokeByPrefix(prefix.trim(), deps.now());
        if (revoked.length === 0) throw new Error(`no active key with prefix "${prefix}"`);
        for (const k of revoked) deps.out(`revoked key ${k.keyPrefix} of account "${k.accountName}"\n`);
      });
    });
}

export const register = (program: Command): void => registerAccounts(program);
