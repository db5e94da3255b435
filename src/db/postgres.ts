import pg from 'pg';
import { DbError } from './errors.ts';
import { arrayElementOid, mapNested, scalarParsers } from './parsers.ts';
import type { Db, QueryResult, Queryable } from './types.ts';

export interface PostgresOptions {
  url: string;
  /** Pool size; the validator's loops and API share it. */
  max?: number;
}

type TypeParser = (text: string) => unknown;
const TEXT_ARRAY_OID = 1009;

/** Per-pool parsers (not pg's global registry, which other code in the process may rely on). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): TypeParser {
    if (format !== 'binary') {
      const scalar = scalarParsers[oid];
      if (scalar) return scalar;
      const elementOid = arrayElementOid[oid];
      const element = elementOid === undefined ? undefined : scalarParsers[elementOid];
      if (element) {
        const parseTextArray = (pg.types.getTypeParser as (oid: number, format: string) => TypeParser)(
          TEXT_ARRAY_OID,
          'text',
        );
        return (text) => mapNested(parseTextArray(text) as string[], element);
      }
    }
    return pg.types.getTypeParser(oid, format ?? 'text') as TypeParser;
  },
};

/** The URL without its password, for messages and `god db status`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // WHATWG URL refuses libpq's socket form (`postgres://user:pw@/db?host=/run/postgresql`): mask by pattern.
    const m = /^([a-z]+:\/\/)([^@/?#]*@)?(.*)$/i.exec(url);
    if (!m) return '(unparsable DATABASE_URL)';
    const user = m[2] ? `${m[2].slice(0, -1).split(':')[0]}${m[2].includes(':') ? ':***' : ''}@` : '';
    return `${m[1]}${user}${m[3]}`;
  }
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const res = await client.query(sql, params ? [...params] : undefined);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const location = maskUrl(options.url);
  const pool = new pg.Pool({ connectionString: options.url, max: options.max ?? 10, types });
  // An idle client losing its connection must not crash the process; the next query reports the problem.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    const cause = err instanceof Error ? err.message : String(err);
    throw new DbError(`could not connect to PostgreSQL at ${location}: ${cause.split('\n')[0]}`);
  }
  const base = wrap(pool);
  return {
    driver: 'postgres',
    location,
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
        throw err;
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroy it instead of reusing it.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
