/**
 * Fresh databases for tests, fast. A new PGlite data directory costs an initdb (3–8 s), so one migrated
 * template is built per migration set (shared by every test file and worker, cached in the OS temp directory
 * under a name derived from the migrations' checksums), both as a data directory and as a `dumpDataDir`
 * tarball. Each test gets an in-memory PGlite loaded from the tarball (no disk I/O), or, when it needs real
 * files (crash and lock tests), a copy of the directory.
 * On Postgres each test gets its own database, created and dropped around it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadMigrations, migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db, DbDriver } from './types.ts';

export interface TestDb {
  db: Db;
  /** PGlite: the data directory; Postgres: the URL of the per-test database. */
  location: string;
  /** Closes the handle and removes the directory or drops the database. */
  cleanup(): Promise<void>;
}

export interface TestDbOptions {
  /** Apply all migrations (default true). `false` gives an empty database for migration tests. */
  migrated?: boolean;
  /** PGlite: a data directory on disk instead of memory (for tests of files, locks and crashes). */
  onDisk?: boolean;
}

/** The Postgres half of the suite runs only when this is set (`.ci/run` sets it). */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function templateKey(migrated: boolean): string {
  const h = createHash('sha256');
  h.update('pglite-0.5.16/layout-2');
  if (migrated) for (const m of loadMigrations()) h.update(m.checksum);
  return `${migrated ? 'migrated' : 'blank'}-${h.digest('hex').slice(0, 16)}`;
}

/**
 * Builds the template once across processes: the builder holds a mkdir lock, writes the tarball, then renames
 * the finished directory into place, so a reader that sees the directory also finds the tarball. A lock older
 * than 3 minutes belongs to a builder that died and is broken.
 */
async function ensureTemplate(migrated: boolean): Promise<string> {
  const root = join(tmpdir(), 'god-pglite-templates');
  mkdirSync(root, { recursive: true });
  const dir = join(root, templateKey(migrated));
  const lock = `${dir}.building`;
  const deadline = Date.now() + 300_000;
  while (!existsSync(dir)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the PGlite template ${dir}`);
    try {
      mkdirSync(lock);
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the builder finished between the two calls
      }
      await sleep(200);
      continue;
    }
    try {
      if (existsSync(dir)) break;
      const work = `${dir}.tmp-${process.pid}`;
      rmSync(work, { recursive: true, force: true });
      if (migrated) cpSync(await ensureTemplate(false), work, { recursive: true });
      const db = await openPglite({ dataDir: work });
      try {
        if (migrated) await migrate(db);
        const tarball = await db.dumpDataDir();
        writeFileSync(`${dir}.tar`, Buffer.from(await tarball.arrayBuffer()));
      } finally {
        await db.close();
      }
      renameSync(work, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return dir;
}

const tarballs = new Map<string, Blob>();

async function pgliteTestDb(migrated: boolean, onDisk: boolean): Promise<TestDb> {
  const template = await ensureTemplate(migrated);
  if (!onDisk) {
    let tarball = tarballs.get(template);
    if (!tarball) {
      tarball = new Blob([readFileSync(`${template}.tar`)]);
      tarballs.set(template, tarball);
    }
    const db = await openPglite({ loadDataDir: tarball });
    return { db, location: db.location, cleanup: () => db.close() };
  }
  const parent = mkdtempSync(join(tmpdir(), 'god-test-db-'));
  const dataDir = join(parent, 'db');
  cpSync(template, dataDir, { recursive: true });
  const db = await openPglite({ dataDir });
  return {
    db,
    location: dataDir,
    async cleanup() {
      await db.close();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` on a short-lived connection to the server's maintenance database. */
async function withAdmin<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function databaseUrlFor(baseUrl: string, database: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database on the TEST_DATABASE_URL server; returns its URL and a drop function. */
export async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `god_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(baseUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: databaseUrlFor(baseUrl, name),
    drop: () => withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

async function postgresTestDb(migrated: boolean): Promise<TestDb> {
  const baseUrl = testDatabaseUrl();
  if (!baseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const created = await createPostgresDatabase(baseUrl);
  const db = await openPostgres({ url: created.url, max: 8 });
  if (migrated) await migrate(db);
  return {
    db,
    location: created.url,
    async cleanup() {
      await db.close();
      await created.drop();
    },
  };
}

export async function openTestDb(driver: DbDriver, options: TestDbOptions = {}): Promise<TestDb> {
  const migrated = options.migrated ?? true;
  return driver === 'pglite' ? pgliteTestDb(migrated, options.onDisk ?? false) : postgresTestDb(migrated);
}
