/**
 * The validator cycle's few-statement writes (claim with the task, status change with its columns, per-task batches
 * of repo names, scores and submissions), on every configured driver: each must equal what the per-row statements
 * it replaced wrote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { openTestDb, type TestDb } from '../testing.ts';
import { reportPostgresNotRun, suiteDrivers } from '../test-support/drivers.ts';
import { getTask, insertTask, TaskClaimError } from './tasks.ts';
import { ensureExpectedRepoNames, storeOfferResponse, upsertSubmissions, writeTaskScores } from './validator-nodes.ts';
import { claimFullTask, finishTask } from './validator-tasks.ts';

const T0 = new Date('2025-08-01T12:00:00.000Z');
const NETUID = 56;

const common = {
  is_organic: false,
  status: 'pending',
  model_id: 'unsloth/Llama-3.2-1B',
  ds: 'yahma/alpaca-cleaned',
  account_id: '00000000-0000-0000-0000-000000000000',
  hours_to_complete: 2,
  created_at: T0.toISOString(),
} as const;

const TASKS: AnyRawTask[] = [
  { ...common, task_type: 'InstructTextTask', field_instruction: 'q', field_output: 'a', field_input: null, field_system: null, format: null, no_input_format: null, file_format: 'hf' },
  {
    ...common,
    task_type: 'GrpoTask',
    field_prompt: 'prompt',
    reward_functions: [
      { reward_func: 'def b(completions, **kwargs):\n    return [0.5 for _ in completions]', reward_weight: 0.25 },
      { reward_func: 'def a(completions, **kwargs):\n    return [1.0 for _ in completions]', reward_weight: 0.75 },
    ],
  },
  {
    ...common,
    task_type: 'ImageTask',
    model_type: 'sdxl',
    image_text_pairs: [
      { image_url: 'https://blob/b.png', text_url: 'https://blob/b.txt' },
      { image_url: 'https://blob/a.png', text_url: 'https://blob/a.txt' },
    ],
  },
];

reportPostgresNotRun('the validator cycle queries');

describe.each(suiteDrivers())('validator cycle queries on %s', (driver) => {
  const open: TestDb[] = [];
  async function fresh(): Promise<TestDb> {
    const t = await openTestDb(driver);
    open.push(t);
    return t;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.cleanup()));
  });

  it.each(TASKS.map((t) => [t.task_type, t] as const))('a claim returns the %s exactly as getTask reads it after the claim', async (_type, task) => {
    const { db } = await fresh();
    const stored = await insertTask(db, task, { now: T0 });
    const got = await claimFullTask(db, { from: 'pending', to: 'preparing_data', worker: 'w1', leaseMs: 60_000, now: new Date(T0.getTime() + 1000) });
    expect(got?.row.claimed_by).toBe('w1');
    expect(got?.task).toEqual(await getTask(db, String(stored.task_id)));
    expect(got?.task.status).toBe('preparing_data');
    expect(await claimFullTask(db, { from: 'pending', worker: 'w2', leaseMs: 60_000, now: new Date(T0.getTime() + 2000) })).toBeNull();
  });

  it('a finish writes its columns with the status change, and nothing when the claim is lost', async () => {
    const { db } = await fresh();
    const stored = await insertTask(db, TASKS[0]!, { now: T0 });
    const id = String(stored.task_id);
    const at = new Date(T0.getTime() + 5000);
    await claimFullTask(db, { from: 'pending', to: 'preparing_data', worker: 'w1', leaseMs: 60_000, now: at });
    await expect(
      finishTask(db, id, 'preparing_data', 'looking_for_nodes', { worker: 'intruder', now: at, set: { training_data: 'https://x/lost' } }),
    ).rejects.toBeInstanceOf(TaskClaimError);
    expect((await getTask(db, id))?.training_data).toBeNull();
    const row = await finishTask(db, id, 'preparing_data', 'looking_for_nodes', {
      worker: 'w1',
      now: at,
      set: { training_data: 'https://x/train', test_data: 'https://x/test', started_at: at },
      incrementEvalAttempts: true,
    });
    expect(row).toMatchObject({ status: 'looking_for_nodes', training_data: 'https://x/train', test_data: 'https://x/test', started_at: at, claimed_by: null });
    expect(row.n_eval_attempts).toBe(1);
    const { rows } = await db.query<{ to_status: string }>('SELECT to_status FROM task_events WHERE task_id = $1 ORDER BY id', [id]);
    expect(rows.map((r) => r.to_status)).toEqual(['pending', 'preparing_data', 'looking_for_nodes']);
  });

  it('offer replies, repo names, scores and submissions: one statement each, the same rows as one per miner', async () => {
    const { db } = await fresh();
    const id = String((await insertTask(db, TASKS[0]!, { now: T0 })).task_id);
    await storeOfferResponse(db, id, 'hk-a', { message: 'yes', accepted: true }, T0, NETUID);
    await storeOfferResponse(db, id, 'hk-b', { message: 'no', accepted: false }, T0);
    await storeOfferResponse(db, id, 'hk-c', { message: 'yes', accepted: true }, T0, NETUID);
    // The same acceptance stored twice (a retried round) keeps one assignment.
    await storeOfferResponse(db, id, 'hk-c', { message: 'yes', accepted: true }, T0, NETUID);
    const offers = await db.query<{ hotkey: string; offer_response: { accepted: boolean } }>(
      'SELECT hotkey, offer_response FROM offer_responses WHERE task_id = $1 ORDER BY hotkey',
      [id],
    );
    expect(offers.rows.map((r) => [r.hotkey, r.offer_response.accepted])).toEqual([['hk-a', true], ['hk-b', false], ['hk-c', true], ['hk-c', true]]);
    const assigned = async () =>
      (await db.query<{ hotkey: string; expected_repo_name: string | null }>('SELECT hotkey, expected_repo_name FROM task_nodes WHERE task_id = $1 ORDER BY hotkey', [id])).rows;
    expect((await assigned()).map((r) => r.hotkey)).toEqual(['hk-a', 'hk-c']);

    const first = await ensureExpectedRepoNames(db, id, NETUID, new Map([['hk-a', 'name-a1'], ['hk-c', 'name-c1'], ['hk-b', 'never-assigned']]));
    expect(Object.fromEntries(first)).toEqual({ 'hk-a': 'name-a1', 'hk-c': 'name-c1' });
    // A retried start keeps the names the miners may already have been told.
    const again = await ensureExpectedRepoNames(db, id, NETUID, new Map([['hk-a', 'name-a2'], ['hk-c', 'name-c2']]));
    expect(Object.fromEntries(again)).toEqual({ 'hk-a': 'name-a1', 'hk-c': 'name-c1' });
    expect(await ensureExpectedRepoNames(db, id, NETUID, new Map())).toEqual(new Map());

    await writeTaskScores(db, id, NETUID, [
      { hotkey: 'hk-a', quality_score: 1.25, test_loss: 0.123456789012345, synth_loss: Number.NaN, score_reason: null },
      { hotkey: 'hk-c', quality_score: -1, test_loss: Infinity, synth_loss: -Infinity, score_reason: 'Duplicated submission' },
    ]);
    const scores = await db.query<{ hotkey: string; quality_score: number; test_loss: number; synth_loss: number; score_reason: string | null }>(
      'SELECT hotkey, quality_score, test_loss, synth_loss, score_reason FROM task_nodes WHERE task_id = $1 ORDER BY hotkey',
      [id],
    );
    expect(scores.rows).toEqual([
      { hotkey: 'hk-a', quality_score: 1.25, test_loss: 0.123456789012345, synth_loss: Number.NaN, score_reason: null },
      { hotkey: 'hk-c', quality_score: -1, test_loss: Infinity, synth_loss: -Infinity, score_reason: 'Duplicated submission' },
    ]);

    const at = new Date(T0.getTime() + 60_000);
    await upsertSubmissions(db, [
      { taskId: id, hotkey: 'hk-a', netuid: NETUID, repo: 'miner-a/name-a1', modelHash: 'f'.repeat(64), now: T0 },
      { taskId: id, hotkey: 'hk-c', netuid: NETUID, repo: 'miner-c/name-c1', modelHash: null, now: T0 },
    ]);
    await upsertSubmissions(db, [{ taskId: id, hotkey: 'hk-a', netuid: NETUID, repo: 'miner-a/name-a1-v2', modelHash: null, now: at }]);
    await upsertSubmissions(db, []);
    const subs = await db.query<{ hotkey: string; repo: string; model_hash: string | null; created_on: Date; updated_on: Date }>(
      'SELECT hotkey, repo, model_hash, created_on, updated_on FROM submissions WHERE task_id = $1 ORDER BY hotkey',
      [id],
    );
    expect(subs.rows).toEqual([
      { hotkey: 'hk-a', repo: 'miner-a/name-a1-v2', model_hash: null, created_on: T0, updated_on: at },
      { hotkey: 'hk-c', repo: 'miner-c/name-c1', model_hash: null, created_on: T0, updated_on: T0 },
    ]);
  });
});
