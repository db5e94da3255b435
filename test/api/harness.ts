/**
 * A real API on loopback over a freshly migrated PGlite database, with a customer, a second customer and an
 * admin key, plus helpers to seed tasks, miners and results the way the validator writes them.
 */
import { createAccountWithKey, SqlApiKeyStore } from '../../src/auth/index.ts';
import { insertTask } from '../../src/db/queries/tasks.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import type { Db, DbDriver } from '../../src/db/types.ts';
import type { AnyRawTask } from '../../src/core/models/tasks.ts';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/index.ts';

export interface Harness {
  t: TestDb;
  db: Db;
  api: ApiServer;
  base: string;
  customer: { key: string; accountId: string };
  other: { key: string; accountId: string };
  admin: { key: string; accountId: string };
  close(): Promise<void>;
}

export async function startHarness(options: Partial<Omit<ApiServerOptions, 'db'>> = {}, driver: DbDriver = 'pglite'): Promise<Harness> {
  const t = await openTestDb(driver);
  const store = new SqlApiKeyStore(t.db);
  const c = await createAccountWithKey(store, 'alice', ['customer']);
  const o = await createAccountWithKey(store, 'bob', ['customer']);
  const a = await createAccountWithKey(store, 'operator', ['admin']);
  const api = createApiServer({ db: t.db, logRequests: false, webhooks: false, ...options });
  const base = await api.listen({ port: 0, host: '127.0.0.1' });
  return {
    t,
    db: t.db,
    api,
    base,
    customer: { key: c.key, accountId: c.account.id },
    other: { key: o.key, accountId: o.account.id },
    admin: { key: a.key, accountId: a.account.id },
    async close() {
      await api.close();
      await t.cleanup();
    },
  };
}

export function client(base: string, key?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra });
  return {
    get: (path: string, extra?: Record<string, string>) => fetch(base + path, { headers: headers(extra) }),
    post: (path: string, body?: unknown, extra?: Record<string, string>) =>
      fetch(base + path, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json', ...extra }),
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    put: (path: string) => fetch(base + path, { method: 'PUT', headers: headers() }),
    del: (path: string) => fetch(base + path, { method: 'DELETE', headers: headers() }),
  };
}

// Response bodies are checked field by field by the assertions that read them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export function instructBody(accountId: string, extra: Record<string, unknown> = {}) {
  return {
    account_id: accountId,
    model_repo: 'Qwen/Qwen2-0.5B',
    ds_repo: 'tatsu-lab/alpaca',
    field_instruction: 'instruction',
    field_input: 'input',
    field_output: 'output',
    hours_to_complete: 3,
    result_model_name: 'my-alpaca-qwen',
    ...extra,
  };
}

export function imagePairs(n: number) {
  return Array.from({ length: n }, (_, i) => ({ image_url: `https://data.example/${i}.png`, text_url: `https://data.example/${i}.txt` }));
}

/** A stored organic instruct task in `status` (seeded directly, as the pipeline would leave it). */
export async function seedTask(db: Db, accountId: string, status: string, extra: Partial<Record<string, unknown>> = {}, createdAt = new Date()): Promise<string> {
  const task = {
    is_organic: true,
    status: 'pending',
    model_id: 'Qwen/Qwen2-0.5B',
    ds: 'tatsu-lab/alpaca',
    account_id: accountId,
    hours_to_complete: 2,
    created_at: createdAt.toISOString(),
    task_type: 'InstructTextTask',
    field_instruction: 'instruct',
    field_output: 'output',
    test_data: 'https://blobs.example/test.json',
    training_data: 'https://blobs.example/train.json',
    synthetic_data: 'https://blobs.example/synth.json',
    ...extra,
  } as unknown as AnyRawTask;
  const stored = await insertTask(db, task, { now: createdAt });
  if (status !== 'pending') await db.query('UPDATE tasks SET status = $2 WHERE task_id = $1', [stored.task_id, status]);
  return stored.task_id as string;
}

export async function seedNode(db: Db, hotkey: string, uid: number, netuid = 56): Promise<void> {
  await db.query(
    `INSERT INTO nodes (hotkey, netuid, node_id, coldkey, ip, ip_type, port, stake, alpha_stake, tao_stake)
     VALUES ($1, $2, $3, 'cold', '127.0.0.1', 4, 1, 100, 100, 0)`,
    [hotkey, netuid, uid],
  );
}

/** An assignment, a submission and (when given) a score, as the evaluation writes them. */
export async function seedResult(
  db: Db,
  taskId: string,
  hotkey: string,
  score: { quality: number | null; test?: number; synth?: number; repo?: string; reason?: string },
  netuid = 56,
): Promise<void> {
  await db.query('INSERT INTO task_nodes (task_id, hotkey, netuid) VALUES ($1, $2, $3)', [taskId, hotkey, netuid]);
  if (score.repo) {
    await db.query('INSERT INTO submissions (task_id, hotkey, netuid, repo) VALUES ($1, $2, $3, $4)', [taskId, hotkey, netuid, score.repo]);
  }
  if (score.quality !== null) {
    const f = (x: number | undefined) => (x === undefined ? null : Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x);
    await db.query(
      `UPDATE task_nodes SET quality_score = $4::float8, test_loss = $5::float8, synth_loss = $6::float8, score_reason = $7
        WHERE task_id = $1 AND hotkey = $2 AND netuid = $3`,
      [taskId, hotkey, netuid, f(score.quality), f(score.test), f(score.synth), score.reason ?? null],
    );
  }
}
