/**
 * `god db`: the database every role shares. `migrate` brings the schema up to date (safe to run from
 * several processes at once on PostgreSQL); `status` says which database, at which version, what is pending.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Db } from '../../db/index.ts';

/** Loaded on use, so `god --help` does not load the database drivers. */
const dbModule = () => import('../../db/index.ts');

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { openDb } = await dbModule();
  const db = await openDb();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description('the shared database: PGlite in $GOD_HOME/db by default, PostgreSQL when DATABASE_URL is set');

  db.command('migrate')
    .description('apply pending schema migrations, each in its own transaction (a no-op when up to date; concurrent runs on PostgreSQL queue on a lock)')
    .action(async () => {
      const { migrate } = await dbModule();
      await withDb(async (handle) => {
        const result = await migrate(handle);
        for (const m of result.applied) process.stdout.write(`applied ${m.file}\n`);
        process.stdout.write(
          `${handle.driver} ${handle.location}: schema version ${result.version}${result.applied.length === 0 ? ' (already up to date)' : ''}\n`,
        );
      });
    });

  db.command('status')
    .description('print the driver, where the data lives, the schema version and any pending migrations (changes nothing; does not create a missing database)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { loadMigrations, migrationStatus, resolveDbTarget } = await dbModule();
      const target = resolveDbTarget();
      // A PGlite directory that does not hold a database yet stays untouched: opening it would run initdb.
      const notCreated = target.driver === 'pglite' && target.dataDir && !existsSync(join(target.dataDir, 'PG_VERSION'));
      const open: <T>(fn: (db: Db | undefined) => Promise<T>) => Promise<T> = notCreated ? (fn) => fn(undefined) : withDb;
      await open(async (handle) => {
        const known = loadMigrations();
        const status = handle
          ? await migrationStatus(handle, known)
          : { version: 0, latest: known.length, applied: [], pending: known, problems: [] };
        const driver = handle?.driver ?? target.driver;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                driver,
                location: target.location,
                created: !notCreated,
                version: status.version,
                latest: status.latest,
                pending: status.pending.map((m) => m.file),
                problems: status.problems,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          const lines = [
            `driver           ${driver}`,
            `location         ${target.location}${notCreated ? ' (no database there yet; `god db migrate` creates it)' : ''}`,
            `schema version   ${status.version} (this code knows ${status.latest})`,
            `pending          ${status.pending.length === 0 ? 'none' : status.pending.map((m) => m.file).join(', ')}`,
            ...status.problems.map((p) => `problem          ${p}`),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (status.problems.length > 0) process.exitCode = 1;
      });
    });
}
