import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../db/migrate.ts';
import { parseMiners } from './devnet.ts';

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

describe('god db on a fresh GOD_HOME; god devnet --help', () => {
  const latest = loadMigrations().length;

  it('db status before any database exists reports it without creating one', () => {
    const r = god('db', 'status', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ driver: 'pglite', created: false, version: 0, latest });
    expect(existsSync(join(home, 'db'))).toBe(false);
  });

  it('db migrate creates and migrates the embedded database', () => {
    const r = god('db', 'migrate');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`schema version ${latest}`);
  }, 120_000);

  it('devnet --help names --once, the time scale and the miner kinds', () => {
    const r = god('devnet', '--help');
    expect(r.code, r.err).toBe(0);
    for (const word of ['--once', '--hour-seconds', '--miners', 'copycat', 'broken', 'careful', 'aggressive']) expect(r.out).toContain(word);
  }, 60_000);

  it('a second `db migrate` is a no-op; `db status` reports the version and nothing pending', () => {
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

describe('parseMiners', () => {
  it('reads name:kind[:recipe|:copied] and refuses unknown kinds and recipes', () => {
    expect(parseMiners('bob:builtin:careful,dave:broken,eve:copycat:bob')).toEqual([
      { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'careful' },
      { name: 'dave', uri: '//Charlie', kind: 'broken' },
      { name: 'eve', uri: '//Dave', kind: 'copycat', copies: 'bob' },
    ]);
    expect(() => parseMiners('bob:wizard')).toThrow(/kind must be/);
    expect(() => parseMiners('bob:builtin:reckless')).toThrow(/unknown recipe/);
    expect(() => parseMiners('eve:copycat')).toThrow(/needs the miner it copies/);
  });
});
