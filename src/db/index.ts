import { resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { maskUrl, openPostgres } from './postgres.ts';
import type { Db, DbDriver } from './types.ts';

export type { Db, DbDriver, Queryable, QueryResult } from './types.ts';
export { DbError } from './errors.ts';
export { migrate, migrationStatus, loadMigrations, type Migration, type MigrationStatus } from './migrate.ts';
export type { PgliteDb } from './pglite.ts';

export interface OpenDbOptions {
  /** PostgreSQL URL. */
  databaseUrl?: string;
  /** PGlite data directory. */
  dataDir?: string;
  /** PGlite in memory (nothing written to disk). */
  memory?: boolean;
  /** PGlite: start from this `dumpDataDir()` tarball instead of running initdb. */
  loadDataDir?: Blob;
  /** Run pending migrations after opening. */
  migrate?: boolean;
  /** Postgres pool size. */
  poolMax?: number;
  /** Environment the configuration is read from when no location is given (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export type DbTarget =
  | { driver: Extract<DbDriver, 'postgres'>; url: string; location: string }
  | { driver: Extract<DbDriver, 'pglite'>; dataDir: string | undefined; location: string };

/**
 * Decides which driver and where, without opening anything. An explicit location in the options wins;
 * otherwise the configuration decides (`database.url` / DATABASE_URL → PostgreSQL, else PGlite in
 * `general.home`/db, GOD_HOME defaulting to ./.god), through the one config loader.
 */
export function resolveDbTarget(options: OpenDbOptions = {}): DbTarget {
  if (options.databaseUrl) return { driver: 'postgres', url: options.databaseUrl, location: maskUrl(options.databaseUrl) };
  if (options.memory) return { driver: 'pglite', dataDir: undefined, location: 'memory://' };
  if (options.dataDir) {
    const dataDir = resolve(options.dataDir);
    return { driver: 'pglite', dataDir, location: dataDir };
  }
  const { config } = loadConfig(options.env ? { env: options.env } : {});
  if (config.database.url) return { driver: 'postgres', url: config.database.url, location: maskUrl(config.database.url) };
  const dataDir = resolve(config.general.home, 'db');
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
