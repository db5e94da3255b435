/**
 * `god devnet` (what `npm start` runs). For now it sets up and checks the embedded database and says what
 * exists; later issues turn it into the whole local subnet (chain, validator, miners, trainer, auditor).
 */
import type { Command } from 'commander';

/** The roles of a subnet and whether this build can run them yet. */
export const ROLES = [
  { name: 'validator', implemented: false, what: 'turns requests into tasks, evaluates and scores miners, sets weights' },
  { name: 'miner', implemented: false, what: 'accepts offers, trains models, submits repositories' },
  { name: 'trainer', implemented: false, what: 'runs tournament miners\' training repos on validator-owned GPUs' },
  { name: 'auditor', implemented: false, what: 'recomputes the validator\'s weights from its published results' },
] as const;

export function register(program: Command): void {
  program
    .command('devnet')
    .description('run a whole subnet on this machine; for now: create and migrate the embedded database, print its schema version, tables and the roles, then exit')
    .action(async () => {
      const out = (line = '') => process.stdout.write(`${line}\n`);
      const { migrate, openDb } = await import('../../db/index.ts');
      const db = await openDb();
      try {
        const result = await migrate(db);
        const { rows } = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
        );
        out('god devnet: database ready');
        out(`  driver          ${db.driver}`);
        out(`  location        ${db.location}`);
        out(`  schema version  ${result.version}${result.applied.length > 0 ? ` (applied ${result.applied.length} migration(s) now)` : ''}`);
        out(`  tables (${rows.length})     ${rows.map((r) => r.table_name).join(', ')}`);
        out();
        out('roles:');
        for (const role of ROLES) {
          out(`  ${role.name.padEnd(10)} ${role.implemented ? 'ready' : 'NOT IMPLEMENTED YET'} — ${role.what}`);
        }
        out();
        out('The devnet does not start any role yet: this command only prepares the database and exits.');
      } finally {
        await db.close();
      }
    });
}
