import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DbError } from './errors.ts';
import { scalarParsers } from './parsers.ts';
import type { Db, QueryResult, Queryable } from './types.ts';

export interface PgliteOptions {
  /** Data directory; created when missing. Omit for an in-memory database. */
  dataDir?: string;
  /** A `dumpDataDir()` tarball to start from instead of running initdb. */
  loadDataDir?: Blob;
}

/** The PGlite handle also snapshots its data directory (a tarball `loadDataDir` accepts). */
export interface PgliteDb extends Db {
  readonly driver: 'pglite';
  dumpDataDir(): Promise<Blob>;
}

type PgliteLike = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(target: PgliteLike): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const res = await target.query<T>(sql, params ? [...params] : undefined);
      // PGlite reports affectedRows only for DML; pg reports the row count for SELECT too.
      return { rows: res.rows, rowCount: res.affectedRows || res.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Checks the directory can hold a database before PGlite sees it: PGlite's own failure on a read-only path
 * is an opaque WASM filesystem error. Root ignores permission bits, so the check writes a file.
 */
export function ensureWritableDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new DbError(`database directory ${dir} is not a directory`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DbError(`database directory ${dir} cannot be created (${errnoCode(err)})`);
  }
  const probe = join(dir, `.god-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  } catch (err) {
    throw new DbError(`database directory ${dir} is not writable (${errnoCode(err)})`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per PGlite data directory: two WASM Postgres instances writing the same files corrupt them.
 * The lock file holds the owner's pid; a lock left by a dead process (kill -9) is taken over.
 */
function acquireDirLock(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DbError(
          `database directory ${dataDir} cannot be locked: ${dirname(lockPath)} is not writable (${errnoCode(err)})`,
        );
      }
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) {
        const who = owner === process.pid ? 'this process already' : `process ${owner}`;
        throw new DbError(
          `database directory ${dataDir} is in use: ${who} has it open (PGlite serves one process; share a database between processes with PostgreSQL via DATABASE_URL)`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DbError(`database directory ${dataDir} cannot be locked (lock file ${lockPath} keeps reappearing)`);
}

export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDb> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  let release: () => void = () => {};
  if (dataDir) {
    ensureWritableDir(dataDir);
    release = acquireDirLock(dataDir);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: scalarParsers,
    });
  } catch (err) {
    release();
    const cause = err instanceof Error ? err.message : String(err);
    throw new DbError(`could not open the PGlite database in ${dataDir ?? 'memory'}: ${cause.split('\n')[0]}`);
  }
  const base = wrap(pg);
  let closed = false;
  return {
    driver: 'pglite',
    location: dataDir ?? 'memory://',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    dumpDataDir: () => pg.dumpDataDir('none'),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}
