/**
 * Which drivers the database suite runs on. PGlite always; Postgres only with TEST_DATABASE_URL, and when
 * it is missing the suite says so loudly (a skipped test whose name says POSTGRES NOT RUN, plus a warning)
 * instead of passing quietly.
 */
import { describe, it } from 'vitest';
import type { DbDriver } from '../types.ts';
import { testDatabaseUrl } from '../testing.ts';

export const POSTGRES_NOT_RUN = 'POSTGRES NOT RUN: TEST_DATABASE_URL unset';

export function suiteDrivers(): DbDriver[] {
  return testDatabaseUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

/** Registers the visible skipped marker (and prints a warning) when Postgres is not configured. */
export function reportPostgresNotRun(what: string): void {
  if (testDatabaseUrl()) return;
  console.warn(`\n*** ${POSTGRES_NOT_RUN}: ${what} did not run on PostgreSQL ***\n`);
  describe(POSTGRES_NOT_RUN, () => {
    it.skip(`${POSTGRES_NOT_RUN} — ${what} (run .ci/run, or set TEST_DATABASE_URL)`, () => {});
  });
}
