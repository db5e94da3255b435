import { join, resolve } from 'node:path';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { maskUrl, openPostgres } from './postgres.ts';
import type { Db, DbDriver } from './types.ts';

export type { Db, DbDriver, Queryable, QueryResult } from './types.ts';
export { DbError } from './errors.ts';
export { migrate, migrationStatus, loadMigrations, type Migration, type MigrationStatus } from './migrate.ts';

export interface OpenDbOptions {
  /** PostgreSQL URL; wins over everything else. Default: `DATABASE_URL` unless `dataDir` or `memory` is given. */
  databaseUrl?: string;
  /** PGlite data directory. Default: `$GOD_HOME/db`. */
  dataDir?: string;
  /** PGlite in memory (nothing written to disk). */
  memory?: boolean;
  /** PGlite: start from this `dumpDataDir()` tarball instead of running initdb. */
  loadDataDir?: Blob;
  /** Run pending migrations after opening. */
  migrate?: boolean;
  /** Postgres pool size. */
  poolMax?: number;
  /** Environment to read GOD_HOME and DATABASE_URL from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export type DbTarget =
  | { driver: Extract<DbDriver, 'postgres'>; url: string; location: string }
  | { driver: Extract<DbDriver, 'pglite'>; dataDir: string | undefined; location: string };

/** `GOD_HOME`, or `./.god` under the working directory. */
export function godHome(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.GOD_HOME || '.god');
}

/** Decides which driver and where, without opening anything (used by `god db status` too). */
export function resolveDbTarget(options: OpenDbOptions = {}): DbTarget {
  const env = options.env ?? process.env;
  const url = options.databaseUrl ?? (options.dataDir || options.memory ? undefined : env.DATABASE_URL || undefined);
  if (url) return { driver: 'postgres', url, location: maskUrl(url) };
  if (options.memory) return { driver: 'pglite', dataDir: undefined, location: 'memory://' };
  const dataDir = resolve(options.dataDir ?? join(godHome(env), 'db'));
  return { driver: 'pglite', dataDir, location: dataDir };
}

/** Opens the database: PGlite in a data directory by default, PostgreSQL when a URL is configured. */
export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  const target = resolveDbTarget(options);
  const db =
    target.driver === 'postgres'
      ? await openPostgres({ url: target.url, ...(options.poolMax ? { max: options.poolMax } : {}) })
      : await openPglite({
          ...(target.dataDir ? { dataDir: target.dataDir } : {}),
          ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
        });
  if (options.migrate) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
