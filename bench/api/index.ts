/**
 * bench/api: requests/s and latency of the customer API over loopback with 10,000 tasks and 256 miners in the
 * database, on PGlite and on PostgreSQL.
 *
 *   npm run bench -- api [--tasks 10000] [--miners 256] [--seconds 5] [--concurrency 8] [--append]
 *
 * Routes measured: the task list (`GET /v1/tasks/account/{id}?limit=100`, an account with ~500 tasks), task
 * details (`GET /v1/tasks/{id}`, a random task per request) and the leaderboard (`GET /v1/leaderboard`, every
 * miner over five periods), computed per request and from its 10 s cache. The load generator is a closed loop of `concurrency` fetch callers in this process
 * (the server shares the process and its 2 cores). Every 5th task has 5 assigned miners, scored and with
 * submissions when the task succeeded.
 *
 * PostgreSQL comes from TEST_DATABASE_URL or DATABASE_URL (a scratch database is created there and dropped);
 * without either, a temporary server is started from the Debian binaries when present, else it is reported
 * as not measured. `--append` adds the output to bench/RESULTS.md.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createApiServer } from '../../src/api/index.ts';
import { createAccountWithKey, SqlApiKeyStore } from '../../src/auth/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { createPostgresDatabase, openTestDb } from '../../src/db/testing.ts';
import type { Db } from '../../src/db/types.ts';
import { temporaryPostgres } from '../support/postgres.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const TASKS = arg('tasks', 10_000);
const MINERS = arg('miners', 256);
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 8);
const ACCOUNTS = 20;
const APPEND = process.argv.includes('--append');

const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

interface Seeded {
  key: string;
  accountId: string;
  taskIds: string[];
}

/** Tasks, their instruct rows, miners, assignments, scores and submissions in a handful of set-based statements. */
async function seed(db: Db): Promise<Seeded> {
  const store = new SqlApiKeyStore(db);
  const admin = await createAccountWithKey(store, 'bench-admin', ['admin']);
  const accounts = [admin.account.id, ...Array.from({ length: ACCOUNTS - 1 }, () => randomUUID())];
  await db.query(
    `INSERT INTO tasks (model_id, ds, status, account_id, hours_to_complete, task_type, created_at, termination_at, is_organic,
                        test_data, training_data, result_model_name)
     SELECT (ARRAY['unsloth/Llama-3.2-1B', 'Qwen/Qwen2.5-7B-Instruct', 'HuggingFaceTB/SmolLM2-135M'])[1 + i % 3],
            'org/ds-' || (i % 300),
            CASE WHEN i % 10 < 7 THEN 'success' WHEN i % 10 = 7 THEN 'failure' WHEN i % 10 = 8 THEN 'training' ELSE 'pending' END,
            ($2::uuid[])[1 + i % $3], 1 + i % 8, 'InstructTextTask',
            now() - (i * interval '4 minutes'), now() - (i * interval '4 minutes') + interval '2 hours', i % 2 = 0,
            'https://blobs.example/test-' || i, 'https://blobs.example/train-' || i, 'model ' || i
       FROM generate_series(1, $1::int) AS i`,
    [TASKS, accounts, ACCOUNTS],
  );
  await db.query(`INSERT INTO instruct_text_tasks (task_id, field_instruction, field_input, field_output) SELECT task_id, 'instruct', 'input', 'output' FROM tasks`);
  await db.query(
    `INSERT INTO nodes (hotkey, netuid, node_id, coldkey, ip, ip_type, port, stake, alpha_stake, tao_stake)
     SELECT 'hk-' || u, 56, u, 'cold-' || u, '10.0.0.' || (u % 250), 4, 8091, 1000 - u, 1000 - u, 0 FROM generate_series(0, $1::int - 1) AS u`,
    [MINERS],
  );
  await db.query(
    `INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score, test_loss, synth_loss)
     SELECT t.task_id, 'hk-' || ((t.rn * 7 + k * 53) % $1), 56,
            CASE WHEN t.status = 'success' THEN (ARRAY[3.0, 1.0, 0.0, -1.0, 0.5])[1 + (t.rn + k) % 5] END,
            CASE WHEN t.status = 'success' THEN 0.5 + k * 0.1 END, CASE WHEN t.status = 'success' THEN 0.6 + k * 0.1 END
       FROM (SELECT task_id, status, row_number() OVER (ORDER BY created_at) AS rn FROM tasks) t
       CROSS JOIN generate_series(0, 4) AS k
      WHERE t.rn % 5 = 0`,
    [MINERS],
  );
  await db.query(
    `INSERT INTO submissions (task_id, hotkey, netuid, repo)
     SELECT tn.task_id, tn.hotkey, 56, 'miners/' || tn.hotkey || '-' || left(tn.task_id::text, 8) FROM task_nodes tn WHERE tn.quality_score IS NOT NULL`,
  );
  await db.exec('ANALYZE');
  const { rows } = await db.query<{ task_id: string }>('SELECT task_id::text AS task_id FROM tasks');
  return { key: admin.key, accountId: admin.account.id, taskIds: rows.map((r) => r.task_id) };
}

interface Measured {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** `concurrency` callers in a closed loop for `seconds`; every answer must be a 200. */
async function load(url: () => string, key: string, seconds: number): Promise<Measured> {
  const headers = { authorization: `Bearer ${key}` };
  for (let i = 0; i < 20; i++) await (await fetch(url(), { headers })).arrayBuffer();
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await fetch(url(), { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${url()} answered ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

type Results = Record<'list' | 'details' | 'leaderboard' | 'leaderboardCached', Measured>;

async function run(label: string, db: Db): Promise<Results> {
  const t0 = performance.now();
  const s = await seed(db);
  log(`  ${label}: seeded ${TASKS} tasks, ${MINERS} miners in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const unlimited = { rateLimitBurst: 1e9, rateLimitPerSecond: 1e9 };
  // One server computes the leaderboard on every request, the other serves it from its 10 s cache.
  const api = createApiServer({ db, logRequests: false, webhooks: false, rules: { ...unlimited, leaderboardCacheMs: 0 } });
  const cachedApi = createApiServer({ db, logRequests: false, webhooks: false, rules: unlimited });
  const base = await api.listen({ port: 0, host: '127.0.0.1' });
  const cachedBase = await cachedApi.listen({ port: 0, host: '127.0.0.1' });
  try {
    const routes: [keyof Results, string, () => string][] = [
      ['list', 'GET /v1/tasks/account/{id}?limit=100', () => `${base}/v1/tasks/account/${s.accountId}?limit=100`],
      ['details', 'GET /v1/tasks/{id}', () => `${base}/v1/tasks/${s.taskIds[Math.floor(Math.random() * s.taskIds.length)]}`],
      ['leaderboard', 'GET /v1/leaderboard (no cache)', () => `${base}/v1/leaderboard`],
      ['leaderboardCached', 'GET /v1/leaderboard (10 s cache)', () => `${cachedBase}/v1/leaderboard`],
    ];
    const out = {} as Results;
    for (const [name, title, url] of routes) {
      const m = await load(url, s.key, SECONDS);
      out[name] = m;
      log(`  ${label.padEnd(28)} ${title.padEnd(38)} ${m.perSecond.toFixed(1).padStart(8)} req/s  p50 ${m.p50.toFixed(1).padStart(7)} ms  p99 ${m.p99.toFixed(1).padStart(7)} ms  (${m.requests} requests)`);
    }
    return out;
  } finally {
    await api.close();
    await cachedApi.close();
  }
}

log(`bench api (${new Date().toISOString().slice(0, 10)}): ${TASKS} tasks, ${MINERS} miners, ${CONCURRENCY} concurrent callers, ${SECONDS} s per route, loopback, one Node process`);

const lite = await openTestDb('pglite');
let liteResults: Results;
try {
  liteResults = await run('PGlite 0.5.16 (in memory)', lite.db);
} finally {
  await lite.cleanup();
}

let pgUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
let stopServer: (() => void) | undefined;
let pgResults: Results | undefined;
let pgNote = pgUrl ? 'server from TEST_DATABASE_URL/DATABASE_URL' : '';
if (!pgUrl) {
  const started = await temporaryPostgres('api');
  if (typeof started === 'string') pgNote = `NOT MEASURED: ${started}`;
  else {
    pgUrl = started.url;
    stopServer = started.stop;
    pgNote = 'temporary server started by the bench';
  }
}
if (pgUrl) {
  const scratch = await createPostgresDatabase(pgUrl);
  const db = await openPostgres({ url: scratch.url, max: 10 });
  try {
    await migrate(db);
    const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
    pgResults = await run(`PostgreSQL ${rows[0]?.server_version.split(' ')[0]} (pool 10)`, db);
    log(`  (PostgreSQL: ${pgNote})`);
  } finally {
    await db.close();
    await scratch.drop();
    stopServer?.();
  }
} else {
  log(`  PostgreSQL: ${pgNote}`);
}

const fmt = (m: Measured) => `${m.perSecond.toFixed(0)} req/s p99 ${m.p99.toFixed(0)} ms`;
const summary =
  `SUMMARY api (${TASKS} tasks, ${MINERS} miners, ${CONCURRENCY} callers): ` +
  `PGlite list ${fmt(liteResults.list)}, details ${fmt(liteResults.details)}, leaderboard ${fmt(liteResults.leaderboard)} (cached ${fmt(liteResults.leaderboardCached)}); ` +
  (pgResults
    ? `PostgreSQL list ${fmt(pgResults.list)}, details ${fmt(pgResults.details)}, leaderboard ${fmt(pgResults.leaderboard)} (cached ${fmt(pgResults.leaderboardCached)})`
    : `PostgreSQL ${pgNote}`);
log(summary);

if (APPEND) {
  appendFileSync(new URL('../RESULTS.md', import.meta.url), `\n## bench api\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
}
