/**
 * Several processes sharing one PostgreSQL database: concurrent migrators and concurrent claimers, each
 * with its own connection pool, as separate validator processes would have.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRawTask } from '../core/models/tasks.ts';
import { loadMigrations, migrate, migrationStatus } from './migrate.ts';
import { openPostgres } from './postgres.ts';
import { claimNextTask, insertTask } from './queries/tasks.ts';
import { createPostgresDatabase, testDatabaseUrl } from './testing.ts';
import { reportPostgresNotRun } from './test-support/drivers.ts';
import type { Db } from './types.ts';

const baseUrl = testDatabaseUrl();
reportPostgresNotRun('the multi-process tests (concurrent migrators, concurrent claimers)');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runGod(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/god.js', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe.runIf(baseUrl)('postgres with several processes', () => {
  const drops: (() => Promise<void>)[] = [];
  const handles: Db[] = [];
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    for (const drop of drops) await drop();
  });
  async function database(): Promise<string> {
    const created = await createPostgresDatabase(baseUrl as string);
    drops.push(created.drop);
    return created.url;
  }
  async function handle(url: string, max = 4): Promise<Db> {
    const db = await openPostgres({ url, max });
    handles.push(db);
    return db;
  }

  it('three migrators with separate pools: one applies each migration, all end at the same version', async () => {
    const url = await database();
    const dbs = await Promise.all([handle(url), handle(url), handle(url)]);
    const results = await Promise.all(dbs.map((db) => migrate(db)));
    const all = loadMigrations();
    expect(results.map((r) => r.version)).toEqual([all.length, all.length, all.length]);
    const appliedVersions = results.flatMap((r) => r.applied.map((m) => m.version)).sort((a, b) => a - b);
    expect(appliedVersions).toEqual(all.map((m) => m.version));
    expect((await migrationStatus(dbs[0] as Db)).pending).toEqual([]);
  });

  it('two `god db migrate` processes at once: both exit 0 at the same version', async () => {
    const url = await database();
    const [a, b] = await Promise.all([
      runGod(['db', 'migrate'], { DATABASE_URL: url }),
      runGod(['db', 'migrate'], { DATABASE_URL: url }),
    ]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);
    const latest = loadMigrations().length;
    expect(a.out).toContain(`schema version ${latest}`);
    expect(b.out).toContain(`schema version ${latest}`);
    const db = await handle(url, 1);
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
    expect(rows[0]?.n).toBe(latest);
  }, 120_000);

  describe('claimers', () => {
    let url: string;
    const N = 300;
    beforeAll(async () => {
      url = await database();
      const db = await handle(url, 2);
      await migrate(db);
      const task: AnyRawTask = {
        task_type: 'InstructTextTask',
        is_organic: false,
        status: 'pending',
        model_id: 'm',
        ds: 'd',
        account_id: '00000000-0000-0000-0000-000000000000',
        hours_to_complete: 1,
        created_at: new Date(0).toISOString(),
        field_instruction: 'i',
      };
      for (let i = 0; i < N; i++) await insertTask(db, task, { now: new Date(1000) });
    });

    it('4 pools × 4 concurrent loops never claim the same task twice and leave none behind', async () => {
      const pools = await Promise.all([1, 2, 3, 4].map(() => handle(url, 4)));
      const claims: { id: string; worker: string }[] = [];
      const now = new Date(10_000);
      await Promise.all(
        pools.flatMap((db, p) =>
          [0, 1, 2, 3].map(async (l) => {
            const worker = `p${p}l${l}`;
            for (;;) {
              const task = await claimNextTask(db, { statuses: ['pending'], worker, leaseMs: 600_000, now });
              if (!task) return;
              claims.push({ id: task.task_id, worker });
            }
          }),
        ),
      );
      expect(claims.length).toBe(N);
      expect(new Set(claims.map((c) => c.id)).size).toBe(N);
      // The work really was shared: more than one pool claimed tasks.
      expect(new Set(claims.map((c) => c.worker.slice(0, 2))).size).toBeGreaterThan(1);
      const { rows } = await (pools[0] as Db).query<{ n: number }>(
        'SELECT count(*) AS n FROM tasks WHERE claimed_by IS NULL OR claim_count <> 1',
      );
      expect(rows[0]?.n).toBe(0);
    }, 120_000);
  });
});
