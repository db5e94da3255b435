/**
 * The one database handle every role uses. Two drivers implement it: PGlite (embedded, a data directory)
 * and PostgreSQL (`pg`, `DATABASE_URL`). SQL is written once, for Postgres 15, and runs on both.
 *
 * Both drivers return the same JS types: int2/int4/int8/numeric/float → number, timestamptz → Date,
 * json/jsonb → parsed value, uuid/text → string, arrays → arrays of those.
 */
export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted by the statement (0 for a plain SELECT on some drivers). */
  rowCount: number;
}

export interface Queryable {
  /** One statement, `$1`-style parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** One or more statements separated by `;`, without parameters (migrations, scripts). */
  exec(sql: string): Promise<void>;
}

export type DbDriver = 'pglite' | 'postgres';

export interface Db extends Queryable {
  readonly driver: DbDriver;
  /** Where the data lives: the PGlite data directory, or the Postgres URL with its password masked. */
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
