import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbError } from './errors.ts';
import type { Db, Queryable } from './types.ts';

export interface Migration {
  version: number;
  name: string;
  /** File name, e.g. `0001_tasks.sql`. */
  file: string;
  sql: string;
  /** sha256 hex of the SQL with line endings normalised, so a CRLF checkout is not an "edit". */
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  /** Highest applied version; 0 for an empty database. */
  version: number;
  /** Highest version this code knows. */
  latest: number;
  applied: AppliedMigration[];
  pending: Migration[];
  /** Problems that stop `migrate`: edited applied migrations, versions this code does not know. */
  problems: string[];
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Serialises migrators across processes (Postgres) and across callers in one process (PGlite is a single
 * connection, the lock is then uncontended). Transaction-scoped, so a migrator that dies releases it.
 */
const MIGRATION_LOCK_KEY = 7_150_560_001;

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new DbError(`migration file ${join(dir, file)} is not named NNNN_name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    // Each file runs inside the runner's own transaction; its own BEGIN/COMMIT would end that early and
    // could leave half a schema behind.
    if (/^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\s*(WORK|TRANSACTION)?\s*;/im.test(sql)) {
      throw new DbError(`migration ${file} contains BEGIN/COMMIT; the runner wraps each file in a transaction`);
    }
    migrations.push({ version: Number(match[1]), name: match[2] ?? '', file, sql, checksum: checksumOf(sql) });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new DbError(`migrations must be numbered 0001, 0002, … without gaps; found ${m.file} at position ${i + 1}`);
    }
  });
  return migrations;
}

async function hasMigrationsTable(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ exists: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`,
  );
  return rows[0]?.exists === true;
}

async function readApplied(q: Queryable): Promise<AppliedMigration[]> {
  if (!(await hasMigrationsTable(q))) return [];
  const { rows } = await q.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
}

function compare(applied: AppliedMigration[], known: Migration[]): MigrationStatus {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const problems: string[] = [];
  for (const a of applied) {
    const m = byVersion.get(a.version);
    if (!m) {
      problems.push(
        `the database has migration ${String(a.version).padStart(4, '0')}_${a.name} that this code does not know (it was migrated by a newer god)`,
      );
    } else if (m.checksum !== a.checksum) {
      problems.push(
        `migration ${m.file} was edited after it was applied (database checksum ${a.checksum.slice(0, 12)}…, file ${m.checksum.slice(0, 12)}…); revert the edit and add a new migration instead`,
      );
    }
  }
  const appliedVersions = new Set(applied.map((a) => a.version));
  return {
    version: applied.reduce((max, a) => Math.max(max, a.version), 0),
    latest: known.at(-1)?.version ?? 0,
    applied,
    pending: known.filter((m) => !appliedVersions.has(m.version)),
    problems,
  };
}

/** Reads where the schema stands without changing anything. */
export async function migrationStatus(db: Db, migrations: Migration[] = loadMigrations()): Promise<MigrationStatus> {
  return compare(await readApplied(db), migrations);
}

export interface MigrateResult {
  applied: Migration[];
  version: number;
}

/**
 * Applies pending migrations, each in its own transaction together with its schema_migrations row, so the
 * database is always at exactly one version. Every transaction first takes the migration lock and re-reads
 * what is applied, so concurrent migrators queue up and the later ones find nothing left to do.
 */
export async function migrate(db: Db, migrations: Migration[] = loadMigrations()): Promise<MigrateResult> {
  const applied: Migration[] = [];
  for (;;) {
    const step = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      if (!(await hasMigrationsTable(tx))) {
        await tx.exec(`CREATE TABLE schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          checksum char(64) NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      }
      const status = compare(await readApplied(tx), migrations);
      if (status.problems.length > 0) throw new DbError(status.problems[0]);
      const next = status.pending[0];
      if (!next) return { next: undefined, version: status.version };
      try {
        await tx.exec(next.sql);
      } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        throw new DbError(`migration ${next.file} failed and was rolled back: ${cause.split('\n')[0]}`);
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        next.version,
        next.name,
        next.checksum,
      ]);
      return { next, version: next.version };
    });
    if (!step.next) return { applied, version: step.version };
    applied.push(step.next);
  }
}
