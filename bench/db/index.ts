/**
 * bench/db: claim-next-task throughput (claims/s) with 10,000 tasks in the table, PGlite vs PostgreSQL.
 *
 *   npm run bench -- db [--tasks 10000] [--claims 2000]
 *
 * PostgreSQL comes from TEST_DATABASE_URL or DATABASE_URL (a scratch database is created on that server and
 * dropped afterwards); without either, a temporary server is started from the Debian binaries if present.
 * Both drivers run the same claimNextTask statement from one worker, one claim at a time; PostgreSQL is also
 * run with 4 workers on 4 pools, which PGlite (one connection, one process) cannot do, and with
 * synchronous_commit off (PGlite does not fsync at all).
 */
import { migrate } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { claimNextTask } from '../../src/db/queries/tasks.ts';
import { createPostgresDatabase, openTestDb } from '../../src/db/testing.ts';
import type { Db } from '../../src/db/types.ts';
import { temporaryPostgres } from '../support/postgres.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const TASKS = arg('tasks', 10_000);
const CLAIMS = arg('claims', 2_000);
const WARMUP = 100;
const NOW = new Date('2025-08-01T00:00:00Z');
const log = (line: string) => process.stdout.write(`${line}\n`);
const row = (label: string, perSecond: number, note: string) =>
  log(`  ${label.padEnd(36)} ${perSecond.toFixed(0).padStart(6)} claims/s (${note})`);

/** 10,000 instruct tasks in two statements (tasks + their subtype rows), due in creation order. */
async function seed(db: Db, n: number): Promise<void> {
  await db.query(
    `INSERT INTO tasks (model_id, ds, status, account_id, hours_to_complete, task_type, created_at, next_attempt_at)
     SELECT 'org/model-' || i, 'org/ds-' || i, 'pending', '00000000-0000-0000-0000-000000000000', 2,
            'InstructTextTask', $2::timestamptz - (($1 - i) || ' seconds')::interval,
            $2::timestamptz - (($1 - i) || ' seconds')::interval
       FROM generate_series(1, $1::int) AS i`,
    [n, NOW],
  );
  await db.query(`INSERT INTO instruct_text_tasks (task_id, field_instruction) SELECT task_id, 'instruction' FROM tasks`);
  await db.exec('ANALYZE');
}

async function claimLoop(db: Db, worker: string, count: number): Promise<number> {
  let done = 0;
  for (; done < count; done++) {
    const task = await claimNextTask(db, { statuses: ['pending'], worker, leaseMs: 3_600_000, now: NOW });
    if (!task) break;
  }
  return done;
}

/** claims/s for `workers` loops (one handle each) sharing `claims` claims. */
async function measure(handles: Db[], claims: number): Promise<{ perSecond: number; claimed: number }> {
  await claimLoop(handles[0] as Db, 'warmup', WARMUP);
  const share = Math.ceil(claims / handles.length);
  const start = performance.now();
  const counts = await Promise.all(handles.map((db, i) => claimLoop(db, `w${i}`, share)));
  const seconds = (performance.now() - start) / 1000;
  const claimed = counts.reduce((a, b) => a + b, 0);
  const { rows } = await (handles[0] as Db).query<{ n: number; d: number }>(
    `SELECT count(*) AS n, count(DISTINCT task_id) AS d FROM tasks WHERE claimed_by IS NOT NULL AND claimed_by <> 'warmup'`,
  );
  if (rows[0]?.n !== claimed || rows[0]?.d !== claimed) throw new Error(`claim accounting is off: ${JSON.stringify(rows[0])} vs ${claimed}`);
  return { perSecond: claimed / seconds, claimed };
}

log(`bench db: claimNextTask throughput, ${TASKS} tasks in the table, ${CLAIMS} timed claims after ${WARMUP} warm-up claims`);

// PGlite: a file-backed data directory, as `god devnet` uses it.
const lite = await openTestDb('pglite', { onDisk: true });
let litePerSecond: number;
try {
  await seed(lite.db, TASKS);
  const r = await measure([lite.db], CLAIMS);
  litePerSecond = r.perSecond;
  row('PGlite 0.5.16 (data dir, 1 worker)', r.perSecond, `${r.claimed} claims`);
} finally {
  await lite.cleanup();
}

let pgUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
let stopServer: (() => void) | undefined;
let pgNote = pgUrl ? 'server from TEST_DATABASE_URL/DATABASE_URL' : '';
if (!pgUrl) {
  const started = await temporaryPostgres('db');
  if (typeof started === 'string') {
    log(`  PostgreSQL: not measured: ${started}`);
    log(`SUMMARY db claim-next-task (${TASKS} tasks): PGlite ${litePerSecond.toFixed(0)} claims/s; PostgreSQL NOT MEASURED (${started})`);
    process.exit(0);
  }
  pgUrl = started.url;
  stopServer = started.stop;
  pgNote = 'temporary server started by the bench';
}

const scratch = await createPostgresDatabase(pgUrl);
const handles: Db[] = [];
try {
  for (let i = 0; i < 4; i++) handles.push(await openPostgres({ url: scratch.url, max: 2 }));
  const first = handles[0] as Db;
  const { rows } = await first.query<{ server_version: string }>('SHOW server_version');
  await migrate(first);
  await seed(first, TASKS);
  const one = await measure([first], CLAIMS);
  row(`PostgreSQL ${rows[0]?.server_version.split(' ')[0]} (TCP, 1 worker)`, one.perSecond, `${one.claimed} claims; ${pgNote}`);
  // Reset the claims so the 4-worker run sees the same table.
  await first.query(`UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = created_at, claim_count = 0`);
  await first.exec('VACUUM ANALYZE tasks');
  const four = await measure(handles, CLAIMS);
  row('PostgreSQL (4 workers, 4 pools)', four.perSecond, `${four.claimed} claims, 0 duplicates`);
  // PGlite never fsyncs (Emscripten's NODEFS has no fsync); Postgres flushes WAL at every commit. With
  // synchronous_commit off Postgres stops waiting for that flush, which shows how much of its time it is.
  await first.query(`UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = created_at, claim_count = 0`);
  const dbName = new URL(scratch.url).pathname.slice(1);
  await first.exec(`ALTER DATABASE ${dbName} SET synchronous_commit = off`);
  await first.exec('VACUUM ANALYZE tasks');
  const async = await openPostgres({ url: scratch.url, max: 1 });
  handles.push(async);
  const relaxed = await measure([async], CLAIMS);
  row('PostgreSQL, synchronous_commit=off', relaxed.perSecond, `${relaxed.claimed} claims, 1 worker`);
  const ratio = one.perSecond / litePerSecond;
  log(
    `SUMMARY db claim-next-task (${TASKS} tasks, 1 worker): PGlite ${litePerSecond.toFixed(0)} claims/s, PostgreSQL ${one.perSecond.toFixed(0)} claims/s, PostgreSQL/PGlite ${ratio.toFixed(2)}x (PostgreSQL 4 workers ${four.perSecond.toFixed(0)}/s; synchronous_commit=off ${relaxed.perSecond.toFixed(0)}/s)`,
  );
} finally {
  await Promise.all(handles.map((h) => h.close()));
  await scratch.drop();
  stopServer?.();
}
