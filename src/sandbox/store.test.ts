import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rewardFuncHash } from '../core/models/reward-functions.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import { libraryNames } from './library.ts';
import {
  getRewardFunction,
  getRewardFunctionByHash,
  getTaskRewardFunctions,
  listManualRewardFunctions,
  randomGenericRewardFunctions,
  saveRewardFunction,
  seedLibrary,
  setTaskRewardFunctions,
} from './store.ts';

let t: TestDb;
beforeEach(async () => {
  t = await openTestDb('pglite');
});
afterEach(async () => {
  await t?.cleanup();
});

async function grpoTask(): Promise<string> {
  const task = await t.db.query<{ task_id: string }>(
    `INSERT INTO tasks (model_id, ds, status, account_id, task_type) VALUES ('m', 'd', 'pending', '00000000-0000-0000-0000-000000000000', 'GrpoTask') RETURNING task_id::text AS task_id`,
  );
  const taskId = task.rows[0]!.task_id;
  await t.db.query(`INSERT INTO grpo_tasks (task_id, field_prompt) VALUES ($1::uuid, 'prompt')`, [taskId]);
  return taskId;
}

const A = 'def a(completions, **kwargs):\n    return [1.0] * len(completions)\n';
const B = 'def b(completions, **kwargs):\n    return [0.0] * len(completions)\n';

describe('reward function storage', () => {
  it('deduplicates by sha256 of the code and returns the existing id', async () => {
    const first = await saveRewardFunction(t.db, { code: A });
    const again = await saveRewardFunction(t.db, { code: A, isManual: true });
    expect(again).toBe(first);
    const stored = await getRewardFunction(t.db, first);
    expect(stored).toMatchObject({ reward_id: first, reward_func: A, func_hash: rewardFuncHash(A), is_generic: false, is_manual: false });
    expect(await getRewardFunctionByHash(t.db, rewardFuncHash(A))).toMatchObject({ reward_id: first });
    // With upgradeFlags the flags are OR-ed in.
    await saveRewardFunction(t.db, { code: A, isManual: true }, true);
    expect(await getRewardFunction(t.db, first)).toMatchObject({ is_manual: true, is_generic: false });
  });

  it('stores per-task weights in grpo_task_functions, sharing the code row between tasks', async () => {
    const [t1, t2] = [await grpoTask(), await grpoTask()];
    const ids1 = await setTaskRewardFunctions(t.db, t1, [
      { reward_func: A, reward_weight: 0.25 },
      { reward_func: B, reward_weight: 3 },
    ]);
    const ids2 = await setTaskRewardFunctions(t.db, t2, [{ reward_func: A, reward_weight: 7 }]);
    expect(ids2[0]).toBe(ids1[0]);
    const read1 = await getTaskRewardFunctions(t.db, t1);
    expect(read1.map((f) => [f.reward_func, f.reward_weight]).sort()).toEqual([
      [A, 0.25],
      [B, 3],
    ]);
    expect((await getTaskRewardFunctions(t.db, t2)).map((f) => f.reward_weight)).toEqual([7]);
    const count = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reward_functions');
    expect(count.rows[0]?.n).toBe(2);
  });

  it('seeds the built-in library as generic manual functions, idempotently', async () => {
    const ids = await seedLibrary(t.db);
    expect(Object.keys(ids).sort()).toEqual([...libraryNames].sort());
    expect(await seedLibrary(t.db)).toEqual(ids);
    expect((await listManualRewardFunctions(t.db)).length).toBe(libraryNames.length);
    const drawn = await randomGenericRewardFunctions(t.db, 3);
    expect(drawn).toHaveLength(3);
    expect(new Set(drawn.map((f) => f.reward_id)).size).toBe(3);
    expect(await getRewardFunction(t.db, '00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
