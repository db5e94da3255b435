/**
 * `god db`: the database every role shares. `migrate` brings the schema up to date (safe to run from
 * several processes at once on PostgreSQL); `status` says which database, at which version, what is pending.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import type { Db, OpenDbOptions } from '../../db/index.ts';

/** Loaded on use, so `god --help` does not load the database drivers. */
const dbModule = () => import('../../db/index.ts');

/** The database the configuration points at: DATABASE_URL (database.url), else PGlite in $GOD_HOME/db. */
export function configuredDbOptions(): OpenDbOptions {
  const { config } = loadConfig();
  return config.database.url
    ? { databaseUrl: config.database.url }
    : { dataDir: join(resolve(config.general.home), 'db') };
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { openDb } = await dbModule();
  const db = await openDb(configuredDbOptions());
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
    .description('print the driver, where the data lives, the schema version and any pending migrations (changes nothing)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { migrationStatus, resolveDbTarget } = await dbModule();
      const target = resolveDbTarget(configuredDbOptions());
      await withDb(async (handle) => {
        const status = await migrationStatus(handle);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                driver: handle.driver,
                location: target.location,
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
            `driver           ${handle.driver}`,
            `location         ${target.location}`,
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
