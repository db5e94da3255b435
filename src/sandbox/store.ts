/**
 * Reward functions in the database (`reward_functions`, `grpo_task_functions`; evaluation.md §9.4). Code is stored
 * once per sha256 (`func_hash`); a task's weights live only in `grpo_task_functions`.
 */
import { rewardFuncHash, storedRewardFunctionSchema, type RewardFunction, type StoredRewardFunction } from '../core/models/reward-functions.ts';
import type { Queryable } from '../db/types.ts';
import { libraryFunctions } from './library.ts';

interface Row {
  reward_id: string;
  reward_func: string;
  func_hash: string;
  is_generic: boolean;
  is_manual: boolean;
  created_at: Date | null;
}

const COLUMNS = 'reward_id::text AS reward_id, reward_func, func_hash, is_generic, is_manual, created_at';

function toStored(row: Row): StoredRewardFunction {
  return storedRewardFunctionSchema.parse({
    ...row,
    func_hash: row.func_hash.trim(),
    created_at: row.created_at ? row.created_at.toISOString() : null,
  });
}

export interface NewRewardFunction {
  code: string;
  isGeneric?: boolean;
  isManual?: boolean;
}

/**
 * Inserts a function unless the same code is stored already, and returns its id either way. An existing row keeps
 * its flags unless `upgradeFlags` is set, in which case the flags are OR-ed in (a function once marked manual
 * stays manual).
 */
export async function saveRewardFunction(db: Queryable, fn: NewRewardFunction, upgradeFlags = false): Promise<string> {
  const hash = rewardFuncHash(fn.code);
  const onConflict = upgradeFlags
    ? 'DO UPDATE SET is_generic = reward_functions.is_generic OR EXCLUDED.is_generic, is_manual = reward_functions.is_manual OR EXCLUDED.is_manual'
    : 'DO UPDATE SET func_hash = EXCLUDED.func_hash';
  const result = await db.query<{ reward_id: string }>(
    `INSERT INTO reward_functions (reward_func, func_hash, is_generic, is_manual) VALUES ($1, $2, $3, $4)
     ON CONFLICT (func_hash) ${onConflict} RETURNING reward_id::text AS reward_id`,
    [fn.code, hash, fn.isGeneric ?? false, fn.isManual ?? false],
  );
  const id = result.rows[0]?.reward_id;
  if (!id) throw new Error('saveRewardFunction: no id returned');
  return id;
}

export async function getRewardFunction(db: Queryable, rewardId: string): Promise<StoredRewardFunction | null> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM reward_functions WHERE reward_id = $1::uuid`, [rewardId]);
  const row = result.rows[0];
  return row ? toStored(row) : null;
}

export async function getRewardFunctionByHash(db: Queryable, funcHash: string): Promise<StoredRewardFunction | null> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM reward_functions WHERE func_hash = $1`, [funcHash]);
  const row = result.rows[0];
  return row ? toStored(row) : null;
}

/** Manual functions, newest first (what GET /v1/grpo/reward_functions lists). */
export async function listManualRewardFunctions(db: Queryable): Promise<StoredRewardFunction[]> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM reward_functions WHERE is_manual ORDER BY created_at DESC, reward_id`);
  return result.rows.map(toStored);
}

/** Up to `count` random generic manual functions (the synthetic scheduler's draw, evaluation.md §9.5). */
export async function randomGenericRewardFunctions(db: Queryable, count: number): Promise<StoredRewardFunction[]> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM reward_functions WHERE is_generic AND is_manual ORDER BY random() LIMIT $1`, [count]);
  return result.rows.map(toStored);
}

/**
 * Stores a task's functions with their weights: each function's code is saved (deduplicated by hash) and linked to
 * the task; a function listed twice keeps its last weight. Returns the ids in input order.
 */
export async function setTaskRewardFunctions(db: Queryable, taskId: string, functions: readonly RewardFunction[]): Promise<string[]> {
  const ids: string[] = [];
  for (const fn of functions) {
    const id = await saveRewardFunction(db, { code: fn.reward_func, isGeneric: fn.is_generic ?? false, isManual: fn.is_manual ?? false });
    await db.query(
      `INSERT INTO grpo_task_functions (task_id, reward_id, reward_weight) VALUES ($1::uuid, $2::uuid, $3)
       ON CONFLICT (task_id, reward_id) DO UPDATE SET reward_weight = EXCLUDED.reward_weight`,
      [taskId, id, fn.reward_weight],
    );
    ids.push(id);
  }
  return ids;
}

/** A task's functions with their per-task weights, ordered by function id (the reference leaves order unspecified). */
export async function getTaskRewardFunctions(db: Queryable, taskId: string): Promise<RewardFunction[]> {
  const result = await db.query<Row & { reward_weight: number }>(
    `SELECT rf.reward_id::text AS reward_id, rf.reward_func, rf.func_hash, rf.is_generic, rf.is_manual, rf.created_at, gtf.reward_weight
       FROM grpo_task_functions gtf JOIN reward_functions rf ON rf.reward_id = gtf.reward_id
      WHERE gtf.task_id = $1::uuid ORDER BY rf.reward_id`,
    [taskId],
  );
  return result.rows.map((row) => ({
    reward_id: row.reward_id,
    reward_func: row.reward_func,
    reward_weight: row.reward_weight,
    func_hash: row.func_hash.trim(),
    is_generic: row.is_generic,
    is_manual: row.is_manual,
  }));
}

/** Inserts the built-in library as generic manual functions (idempotent); returns name → id. */
export async function seedLibrary(db: Queryable): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const fn of libraryFunctions()) ids[fn.name] = await saveRewardFunction(db, { code: fn.code, isGeneric: true, isManual: true }, true);
  return ids;
}
