import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../db/migrate.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'god-devnet-test-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function god(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/god.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, GOD_HOME: home, DATABASE_URL: '', GOD_DATABASE__URL: '' },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('god devnet / god db on a fresh GOD_HOME', () => {
  const latest = loadMigrations().length;

  it('db status before any database exists reports it without creating one', () => {
    const r = god('db', 'status', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ driver: 'pglite', created: false, version: 0, latest });
    expect(existsSync(join(home, 'db'))).toBe(false);
  });

  it('devnet creates and migrates the embedded database, lists tables and roles, exits 0', () => {
    const r = god('devnet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('driver          pglite');
    expect(r.out).toContain(`location        ${join(home, 'db')}`);
    expect(r.out).toContain(`schema version  ${latest} (applied ${latest} migration(s) now)`);
    expect(r.out).toMatch(/tables \(\d+\) +.*\btasks\b.*\btournament_task_hotkey_trainings\b/);
    for (const role of ['validator', 'miner', 'trainer', 'auditor']) {
      expect(r.out).toMatch(new RegExp(`^  ${role} +NOT IMPLEMENTED YET`, 'm'));
    }
  }, 120_000);

  it('a second devnet run and `db migrate` are no-ops; `db status` reports the version and nothing pending', () => {
    const again = god('devnet');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(new RegExp(`schema version  ${latest}\\n`));
    const migrate = god('db', 'migrate');
    expect(migrate.out).toBe(`pglite ${join(home, 'db')}: schema version ${latest} (already up to date)\n`);
    const status = god('db', 'status', '--json');
    expect(status.code, status.err).toBe(0);
    expect(JSON.parse(status.out)).toEqual({
      driver: 'pglite',
      location: join(home, 'db'),
      created: true,
      version: latest,
      latest,
      pending: [],
      problems: [],
    });
  }, 120_000);
});
