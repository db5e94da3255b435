/**
 * The database suite, run on every configured driver (PGlite always, Postgres with TEST_DATABASE_URL).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyRawTask } from '../core/models/tasks.ts';
import { TaskTransitionError } from '../core/task-status.ts';
import { DbError } from './errors.ts';
import { loadMigrations, migrate, migrationStatus, MIGRATIONS_DIR } from './migrate.ts';
import {
  claimNextTask,
  getTask,
  insertTask,
  listTaskEvents,
  releaseTaskClaim,
  renewTaskClaim,
  setTaskStatus,
  TaskClaimError,
} from './queries/tasks.ts';
import { openTestDb, type TestDb } from './testing.ts';
import { reportPostgresNotRun, suiteDrivers } from './test-support/drivers.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const T0 = new Date('2025-08-01T12:00:00.000Z');

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'god-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

function base(overrides: Partial<AnyRawTask> = {}) {
  return {
    is_organic: true,
    status: 'pending',
    model_id: 'unsloth/Llama-3.2-1B',
    ds: 'yahma/alpaca-cleaned',
    account_id: '5f0e3a4c-9a55-4a36-9d3c-0c7a0e7e2b11',
    hours_to_complete: 3,
    created_at: T0.toISOString(),
    ...overrides,
  } as const;
}

const SAMPLE_TASKS: AnyRawTask[] = [
  {
    ...base(),
    task_type: 'InstructTextTask',
    field_instruction: 'instruction',
    field_input: 'input',
    field_output: 'output',
    field_system: null,
    format: null,
    no_input_format: null,
    file_format: 'hf',
  },
  {
    ...base({ is_organic: false, account_id: NIL }),
    task_type: 'DpoTask',
    field_prompt: 'prompt',
    field_chosen: 'chosen',
    field_rejected: 'rejected',
    prompt_format: '{prompt}',
    chosen_format: '{chosen} <|endoftext|>',
    rejected_format: null,
    file_format: 's3',
  },
  {
    ...base(),
    task_type: 'GrpoTask',
    field_prompt: 'prompt',
    extra_column: 'extra_data',
    reward_functions: [
      { reward_func: 'def a(completions, **kwargs):\n    return [1.0 for _ in completions]', reward_weight: 0.7 },
      { reward_func: 'def b(completions, **kwargs):\n    return [0.0 for _ in completions]', reward_weight: 0.3, is_generic: true },
    ],
  },
  {
    ...base({ status: 'looking_for_nodes' }),
    task_type: 'ChatTask',
    chat_template: 'chatml',
    chat_column: 'conversations',
    chat_role_field: 'from',
    chat_content_field: 'value',
    chat_user_reference: null,
    chat_assistant_reference: null,
  },
  {
    ...base({ model_params_count: 2_600_000_000 }),
    task_type: 'ImageTask',
    model_type: 'flux',
    image_text_pairs: [
      { image_url: 'https://blob/1.png', text_url: 'https://blob/1.txt' },
      { image_url: 'https://blob/2.png', text_url: 'https://blob/2.txt' },
      { image_url: 'https://blob/0.png', text_url: 'https://blob/0.txt' },
    ],
  },
];

const DRIVERS = suiteDrivers();
reportPostgresNotRun('the database suite (migrations, types, task queries, claims)');

describe.each(DRIVERS)('database on %s', (driver) => {
  const open: TestDb[] = [];
  async function fresh(migrated = true): Promise<TestDb> {
    const t = await openTestDb(driver, { migrated });
    open.push(t);
    return t;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.cleanup()));
  });

  describe('migrations', () => {
    it('applies every migration once; a second run is a no-op', async () => {
      const { db } = await fresh(false);
      const all = loadMigrations();
      expect((await migrationStatus(db)).version).toBe(0);
      const first = await migrate(db);
      expect(first.applied.map((m) => m.version)).toEqual(all.map((m) => m.version));
      expect(first.version).toBe(all.length);
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      expect(second.version).toBe(all.length);
      const status = await migrationStatus(db);
      expect(status.pending).toEqual([]);
      expect(status.problems).toEqual([]);
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
      expect(rows[0]?.n).toBe(all.length);
    });

    it('concurrent migrate calls on one handle: one applies, both end at the same version', async () => {
      const { db } = await fresh(false);
      const [a, b] = await Promise.all([migrate(db), migrate(db)]);
      expect(a.version).toBe(b.version);
      expect(a.applied.length + b.applied.length).toBe(loadMigrations().length);
    });

    it('creates the whole schema the later issues need', async () => {
      const { db } = await fresh();
      const { rows } = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      const tables = rows.map((r) => r.table_name);
      for (const t of [
        'tasks', 'instruct_text_tasks', 'chat_tasks', 'dpo_tasks', 'grpo_tasks', 'image_tasks', 'image_text_pairs',
        'task_nodes', 'submissions', 'offer_responses', 'nodes', 'nodes_history', 'reward_functions',
        'grpo_task_functions', 'tournaments', 'tournament_rounds', 'tournament_groups', 'tournament_group_members',
        'tournament_pairs', 'tournament_participants', 'tournament_tasks', 'tournament_task_hotkey_trainings',
        'trainers', 'trainers_gpus', 'accounts', 'api_keys', 'task_events', 'schema_migrations',
        'benchmark_root_tasks', 'benchmark_task_copies', 'boss_round_synced_tasks', 'latest_scores_url',
      ]) {
        expect(tables, t).toContain(t);
      }
    });

    it('api_keys has exactly the shape the auth code is written against', async () => {
      const { db } = await fresh();
      const { rows } = await db.query<{ column_name: string; data_type: string; is_nullable: string }>(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_name = 'api_keys' ORDER BY ordinal_position`,
      );
      expect(rows).toEqual([
        { column_name: 'id', data_type: 'uuid', is_nullable: 'NO' },
        { column_name: 'account_id', data_type: 'uuid', is_nullable: 'NO' },
        { column_name: 'key_prefix', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'key_hash', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'scopes', data_type: 'ARRAY', is_nullable: 'NO' },
        { column_name: 'created_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
        { column_name: 'last_used_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
        { column_name: 'revoked_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      ]);
    });

    it('a failing migration leaves no partial schema and no version row', async () => {
      const { db } = await fresh(false);
      const dir = migrationsDir({
        '0001_ok.sql': 'CREATE TABLE one (id int);',
        '0002_broken.sql': 'CREATE TABLE two (id int);\nCREATE TABLE three (id no_such_type);',
      });
      await expect(migrate(db, loadMigrations(dir))).rejects.toThrow(/migration 0002_broken\.sql failed and was rolled back/);
      const { rows } = await db.query<{ one: boolean; two: boolean }>(
        `SELECT to_regclass('one') IS NOT NULL AS one, to_regclass('two') IS NOT NULL AS two`,
      );
      expect(rows[0]).toEqual({ one: true, two: false });
      expect((await migrationStatus(db, loadMigrations(dir))).version).toBe(1);
    });

    it('an edited, already-applied migration is a clear error', async () => {
      const { db } = await fresh(false);
      await migrate(db, loadMigrations(migrationsDir({ '0001_a.sql': 'CREATE TABLE a (id int);' })));
      const edited = loadMigrations(
        migrationsDir({ '0001_a.sql': 'CREATE TABLE a (id bigint);', '0002_b.sql': 'CREATE TABLE b (id int);' }),
      );
      const err = await migrate(db, edited).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbError);
      expect((err as Error).message).toMatch(/migration 0001_a\.sql was edited after it was applied/);
      expect((err as Error).message).not.toContain('\n');
      const { rows } = await db.query<{ b: boolean }>(`SELECT to_regclass('b') IS NOT NULL AS b`);
      expect(rows[0]?.b).toBe(false);
    });

    it('a database migrated by newer code is a clear error', async () => {
      const { db } = await fresh(false);
      await migrate(db, loadMigrations(migrationsDir({ '0001_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 2;' })));
      await expect(migrate(db, loadMigrations(migrationsDir({ '0001_a.sql': 'SELECT 1;' })))).rejects.toThrow(
        /has migration 0002_b that this code does not know/,
      );
    });

    it('refuses migration files with their own BEGIN/COMMIT or a gap in numbering', () => {
      expect(() => loadMigrations(migrationsDir({ '0001_a.sql': 'BEGIN;\nSELECT 1;\nCOMMIT;' }))).toThrow(/BEGIN\/COMMIT/);
      expect(() => loadMigrations(migrationsDir({ '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 1;' }))).toThrow(
        /without gaps/,
      );
      expect(loadMigrations(MIGRATIONS_DIR).length).toBeGreaterThan(0);
    });
  });

  it('returns the same JS types on every driver', async () => {
    const { db } = await fresh();
    const { rows } = await db.query(
      `SELECT 9007199254740991::int8 AS big, 42::int4 AS int, 2.5::numeric AS num, 1.25::float8 AS flt,
              '{1,2,null}'::int8[] AS bigs, '{1.5,2}'::numeric[] AS nums, '{0.5,1}'::float8[] AS flts,
              '2025-08-01 12:00:00+00'::timestamptz AS tstz, '2025-08-01 12:00:00'::timestamp AS ts,
              '2025-08-01'::date AS day, '{"a":[1,"x",null]}'::jsonb AS doc, true AS yes,
              '5f0e3a4c-9a55-4a36-9d3c-0c7a0e7e2b11'::uuid AS id, '{a,b}'::text[] AS tags,
              count(*) AS n, NULL::int8 AS nothing`,
    );
    expect(rows[0]).toEqual({
      big: 9007199254740991,
      int: 42,
      num: 2.5,
      flt: 1.25,
      bigs: [1, 2, null],
      nums: [1.5, 2],
      flts: [0.5, 1],
      tstz: new Date('2025-08-01T12:00:00.000Z'),
      ts: new Date('2025-08-01T12:00:00.000Z'),
      day: '2025-08-01',
      doc: { a: [1, 'x', null] },
      yes: true,
      id: '5f0e3a4c-9a55-4a36-9d3c-0c7a0e7e2b11',
      tags: ['a', 'b'],
      n: 1,
      nothing: null,
    });
  });

  it('rolls a transaction back when its function throws', async () => {
    const { db } = await fresh();
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO accounts (id, name) VALUES ($1, 'alice')`, ['5f0e3a4c-9a55-4a36-9d3c-0c7a0e7e2b11']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('SELECT * FROM accounts')).rows).toEqual([]);
  });

  describe('tasks', () => {
    it.each(SAMPLE_TASKS.map((t) => [t.task_type, t] as const))('%s round-trips with its per-type rows', async (_type, task) => {
      const { db } = await fresh();
      const stored = await insertTask(db, task, { now: T0 });
      expect(stored.task_id).toMatch(/^[0-9a-f-]{36}$/);
      const again = await getTask(db, stored.task_id as string);
      expect(again).toEqual(stored);
      const { task_id: _id, reward_functions: _rf, ...given } = task as AnyRawTask & { reward_functions?: unknown };
      expect(stored).toMatchObject(given);
      expect(stored.updated_at).toBe(T0.toISOString());
    });

    it('stores reward functions once by hash and keeps per-task weights', async () => {
      const { db } = await fresh();
      const grpo = SAMPLE_TASKS[2] as Extract<AnyRawTask, { task_type: 'GrpoTask' }>;
      const a = await insertTask(db, grpo);
      const b = await insertTask(db, {
        ...grpo,
        reward_functions: grpo.reward_functions.map((f) => ({ ...f, reward_weight: 1 - f.reward_weight })),
      });
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM reward_functions');
      expect(rows[0]?.n).toBe(2);
      const weights = (t: AnyRawTask) =>
        t.task_type === 'GrpoTask' ? t.reward_functions.map((f) => [f.func_hash, f.reward_weight]).sort() : [];
      expect(weights(a)).not.toEqual(weights(b));
      expect(a.task_type === 'GrpoTask' && a.reward_functions[1]?.is_generic).toBe(true);
    });

    it('image pairs come back in insertion order', async () => {
      const { db } = await fresh();
      const stored = await insertTask(db, SAMPLE_TASKS[4] as AnyRawTask);
      expect(stored.task_type === 'ImageTask' && stored.image_text_pairs?.map((p) => p.image_url)).toEqual([
        'https://blob/1.png',
        'https://blob/2.png',
        'https://blob/0.png',
      ]);
    });

    it('refuses to create a task in a status tasks are never created in', async () => {
      const { db } = await fresh();
      await expect(insertTask(db, { ...(SAMPLE_TASKS[0] as AnyRawTask), status: 'training' })).rejects.toBeInstanceOf(
        TaskTransitionError,
      );
      expect(await getTask(db, 'not-a-uuid')).toBeNull();
      expect(await getTask(db, NIL)).toBeNull();
    });

    it('status changes follow the transition table and are logged', async () => {
      const { db } = await fresh();
      const task = await insertTask(db, SAMPLE_TASKS[0] as AnyRawTask, { now: T0, actor: 'api' });
      const id = task.task_id as string;
      const t1 = new Date(T0.getTime() + 1000);
      const row = await setTaskStatus(db, id, 'preparing_data', { now: t1, actor: 'cycle' });
      expect(row.status).toBe('preparing_data');
      expect(row.updated_at).toEqual(t1);
      await expect(setTaskStatus(db, id, 'success')).rejects.toThrow(/cannot change from "preparing_data" to "success"/);
      await expect(setTaskStatus(db, id, 'looking_for_nodes', { expectedFrom: 'pending' })).rejects.toBeInstanceOf(
        TaskTransitionError,
      );
      await setTaskStatus(db, id, 'looking_for_nodes', { expectedFrom: 'preparing_data', detail: { rows: 10 } });
      // Operator transitions only when asked for.
      await expect(setTaskStatus(db, id, 'failure')).rejects.toBeInstanceOf(TaskTransitionError);
      await setTaskStatus(db, id, 'failure', { operator: true, actor: 'admin' });
      await expect(setTaskStatus(db, NIL, 'preparing_data')).rejects.toThrow(/does not exist/);
      const events = await listTaskEvents(db, id);
      expect(events.map((e) => [e.event_type, e.from_status, e.to_status, e.actor])).toEqual([
        ['created', null, 'pending', 'api'],
        ['status_changed', 'pending', 'preparing_data', 'cycle'],
        ['status_changed', 'preparing_data', 'looking_for_nodes', null],
        ['status_changed', 'looking_for_nodes', 'failure', 'admin'],
      ]);
      expect(events[2]?.detail).toEqual({ rows: 10 });
      await expect(db.query('UPDATE task_events SET actor = $1', ['x'])).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM task_events')).rejects.toThrow(/append-only/);
    });
  });

  describe('claiming', () => {
    async function seed(db: TestDb['db'], n: number, status = 'pending'): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const t = await insertTask(
          db,
          { ...(SAMPLE_TASKS[0] as AnyRawTask), status, created_at: new Date(T0.getTime() + i).toISOString() },
          { now: new Date(T0.getTime() + i) },
        );
        ids.push(t.task_id as string);
      }
      return ids;
    }

    it('claims due tasks oldest first, one worker each, until none are left', async () => {
      const { db } = await fresh();
      const ids = await seed(db, 3);
      const now = new Date(T0.getTime() + 60_000);
      const opts = { statuses: ['pending'], worker: 'w1', leaseMs: 30_000, now };
      const claimed = [await claimNextTask(db, opts), await claimNextTask(db, opts), await claimNextTask(db, opts)];
      expect(claimed.map((c) => c?.task_id)).toEqual(ids);
      expect(claimed[0]?.claimed_by).toBe('w1');
      expect(claimed[0]?.claimed_until).toEqual(new Date(now.getTime() + 30_000));
      expect(claimed[0]?.claim_count).toBe(1);
      expect(await claimNextTask(db, opts)).toBeNull();
      // Other statuses and not-yet-due tasks are not claimed.
      expect(await claimNextTask(db, { ...opts, statuses: ['ready'] })).toBeNull();
    });

    it('a lapsed lease makes the task claimable again; the old holder loses it', async () => {
      const { db } = await fresh();
      const [id] = await seed(db, 1);
      const now = new Date(T0.getTime() + 60_000);
      const first = await claimNextTask(db, { statuses: ['pending'], worker: 'dead', leaseMs: 1000, now });
      expect(first?.task_id).toBe(id);
      expect(await claimNextTask(db, { statuses: ['pending'], worker: 'w2', leaseMs: 1000, now })).toBeNull();
      const later = new Date(now.getTime() + 1000);
      const second = await claimNextTask(db, { statuses: ['pending'], worker: 'w2', leaseMs: 1000, now: later });
      expect(second?.task_id).toBe(id);
      expect(second?.claim_count).toBe(2);
      await expect(setTaskStatus(db, id as string, 'preparing_data', { worker: 'dead' })).rejects.toBeInstanceOf(
        TaskClaimError,
      );
      expect(await renewTaskClaim(db, id as string, 'dead', { leaseMs: 1000 })).toBe(false);
      expect(await renewTaskClaim(db, id as string, 'w2', { leaseMs: 5000, now: later })).toBe(true);
      const moved = await setTaskStatus(db, id as string, 'preparing_data', { worker: 'w2', now: later });
      expect(moved.claimed_by).toBeNull();
      expect(moved.next_attempt_at).toEqual(later);
    });

    it('a released claim is due again at retryAt', async () => {
      const { db } = await fresh();
      const [id] = await seed(db, 1);
      const now = new Date(T0.getTime() + 60_000);
      await claimNextTask(db, { statuses: ['pending'], worker: 'w', leaseMs: 60_000, now });
      const retryAt = new Date(now.getTime() + 5000);
      expect(await releaseTaskClaim(db, id as string, 'other', { retryAt })).toBe(false);
      expect(await releaseTaskClaim(db, id as string, 'w', { retryAt })).toBe(true);
      expect(await claimNextTask(db, { statuses: ['pending'], worker: 'w', leaseMs: 1, now })).toBeNull();
      expect((await claimNextTask(db, { statuses: ['pending'], worker: 'w', leaseMs: 1, now: retryAt }))?.task_id).toBe(id);
    });

    it('concurrent claimers on one handle never get the same task', async () => {
      const { db } = await fresh();
      const ids = await seed(db, 40);
      const now = new Date(T0.getTime() + 60_000);
      const got: string[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (;;) {
            const c = await claimNextTask(db, { statuses: ['pending'], worker: `w${w}`, leaseMs: 60_000, now });
            if (!c) return;
            got.push(c.task_id);
          }
        }),
      );
      expect(got.length).toBe(ids.length);
      expect(new Set(got).size).toBe(ids.length);
    });
  });
});
