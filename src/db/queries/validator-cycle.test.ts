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
import { ensureExpectedRepoNames, offerRoundState, storeOfferResponse, submissionsWrite, taskScoresWrite } from './validator-nodes.ts';
import { claimFullTask, finishTask, grpoRewardFunctionsRemoval, subtypeUpdate } from './validator-tasks.ts';

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
    expect(got?.membership).toEqual({ tournament: false, benchmark: false });
    expect(await claimFullTask(db, { from: 'pending', worker: 'w2', leaseMs: 60_000, now: new Date(T0.getTime() + 2000) })).toBeNull();
  });

  it('an image task without pairs is created in one statement, and reads back as stored', async () => {
    const { db } = await fresh();
    const stored = await insertTask(db, { ...common, task_type: 'ImageTask', model_type: 'flux', image_text_pairs: [] }, { now: T0, actor: 'test' });
    expect(stored).toMatchObject({ task_type: 'ImageTask', model_type: 'flux', image_text_pairs: [], status: 'pending' });
    expect(await getTask(db, String(stored.task_id))).toEqual(stored);
    const { rows } = await db.query<{ event_type: string; actor: string }>('SELECT event_type, actor FROM task_events WHERE task_id = $1', [stored.task_id]);
    expect(rows).toEqual([{ event_type: 'created', actor: 'test' }]);
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

  it('a prep finish rewrites the per-type fields and drops rejected reward functions in its statement', async () => {
    const { db } = await fresh();
    const stored = await insertTask(db, TASKS[1]!, { now: T0 });
    const id = String(stored.task_id);
    const rejected = stored.task_type === 'GrpoTask' ? stored.reward_functions[0]!.reward_id! : '';
    await claimFullTask(db, { from: 'pending', to: 'preparing_data', worker: 'w1', leaseMs: 60_000, now: T0 });
    const writes = [subtypeUpdate('GrpoTask', { field_prompt: 'prompt', synthetic_data: 'https://x/synth', not_a_column: 1 }), grpoRewardFunctionsRemoval([rejected])];
    expect(subtypeUpdate('GrpoTask', { not_a_column: 1 })).toBeNull();
    expect(grpoRewardFunctionsRemoval([])).toBeNull();
    await finishTask(db, id, 'preparing_data', 'looking_for_nodes', { worker: 'w1', now: T0, writes: writes.filter((w) => w !== null) });
    const after = await getTask(db, id);
    expect(after).toMatchObject({ status: 'looking_for_nodes', field_prompt: 'prompt', synthetic_data: 'https://x/synth' });
    expect(after?.task_type === 'GrpoTask' && after.reward_functions.map((f) => f.reward_id)).toEqual(
      stored.task_type === 'GrpoTask' ? [stored.reward_functions[1]!.reward_id] : [],
    );
  });

  it('an offer round starts from its acceptances, the eligible candidates and their participation today, in one statement', async () => {
    const { db } = await fresh();
    const node = (hotkey: string, uid: number) =>
      db.query(
        `INSERT INTO nodes (hotkey, netuid, node_id, coldkey, ip, ip_type, port, stake, alpha_stake, tao_stake)
         VALUES ($1, $2, $3, 'cold', $4, 4, $5, 1, 1, 0)`,
        [hotkey, NETUID, uid, `10.0.0.${uid}`, 8000 + uid],
      );
    const task = async (createdAt: Date) => String((await insertTask(db, { ...TASKS[0]!, created_at: createdAt.toISOString() }, { now: createdAt })).task_id);
    const score = (taskId: string, hotkey: string, q: number | null) =>
      db.query('INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score) VALUES ($1, $2, $3, $4)', [taskId, hotkey, NETUID, q]);
    const day = new Date('2025-08-02T00:00:00.000Z');
    const now = new Date('2025-08-02T12:00:00.000Z');
    const since = new Date(now.getTime() - 3 * 86_400_000);
    for (const [hotkey, uid] of [['hk-new', 4], ['hk-good', 1], ['hk-bad-old', 2], ['hk-null', 3], ['hk-assigned', 0], ['hk-bench', 5]] as const) await node(hotkey, uid);
    const today = await task(new Date('2025-08-02T01:00:00.000Z'));
    const todayToo = await task(new Date('2025-08-02T02:00:00.000Z'));
    const yesterday = await task(new Date('2025-08-01T01:00:00.000Z'));
    const old = await task(new Date('2025-07-01T00:00:00.000Z'));
    const bench = await task(new Date('2025-08-02T03:00:00.000Z'));
    await db.query('INSERT INTO benchmark_root_tasks (task_id, task_type) VALUES ($1, $2)', [bench, 'InstructTextTask']);
    await score(today, 'hk-good', 0.5);
    await score(todayToo, 'hk-good', 1.5);
    await score(yesterday, 'hk-good', 3);
    await score(old, 'hk-bad-old', 2);
    await score(today, 'hk-bad-old', 0);
    await score(today, 'hk-null', null);
    await score(bench, 'hk-bench', 2);
    const current = await task(now);
    await score(current, 'hk-assigned', null);

    const elsewhere = await offerRoundState(db, { taskId: current, netuid: NETUID, mainnetRules: false, since, dayStart: day });
    expect(elsewhere.accepted).toBe(1);
    expect(elsewhere.candidates.map((c) => c.hotkey)).toEqual(['hk-good', 'hk-bad-old', 'hk-null', 'hk-new', 'hk-bench']);
    expect(elsewhere.candidates[0]).toEqual({ hotkey: 'hk-good', node_id: 1, ip: '10.0.0.1', ip_type: 4, port: 8001 });
    expect(Object.fromEntries(elsewhere.daily.map((d) => [d.hotkey, [d.tasks, d.avg_quality]]))).toEqual({
      'hk-good': [2, 1],
      'hk-bad-old': [1, 0],
      'hk-null': [0, null],
      'hk-new': [0, null],
      'hk-bench': [0, null],
    });
    // Mainnet: a hotkey whose only positive score is older than the look-back window is not offered the task.
    const mainnet = await offerRoundState(db, { taskId: current, netuid: NETUID, mainnetRules: true, since, dayStart: day });
    expect(mainnet.candidates.map((c) => c.hotkey)).toEqual(['hk-good', 'hk-null', 'hk-new', 'hk-bench']);
    const none = await offerRoundState(db, { taskId: current, netuid: NETUID + 1, mainnetRules: false, since, dayStart: day });
    expect(none).toEqual({ accepted: 0, candidates: [], daily: [] });
  });

  it('offer replies, repo names, scores and submissions: one statement each, the rows one per miner would write', async () => {
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

    // Scores and submissions ride in the evaluation's status change: nothing when the claim is lost, all when held.
    const at = new Date(T0.getTime() + 60_000);
    await claimFullTask(db, { from: 'pending', to: 'preparing_data', worker: 'w1', leaseMs: 60_000, now: at });
    const scores = [
      { hotkey: 'hk-a', quality_score: 1.25, test_loss: 0.123456789012345, synth_loss: Number.NaN, score_reason: null },
      { hotkey: 'hk-c', quality_score: -1, test_loss: Infinity, synth_loss: -Infinity, score_reason: 'Duplicated submission' },
    ];
    const submissions = [
      { hotkey: 'hk-a', repo: 'miner-a/name-a1', modelHash: 'f'.repeat(64) },
      { hotkey: 'hk-c', repo: 'miner-c/name-c1', modelHash: null },
    ];
    const writes = (when: Date) => [taskScoresWrite(NETUID, scores), submissionsWrite(NETUID, submissions, when)].filter((w) => w !== null);
    await expect(finishTask(db, id, 'preparing_data', 'looking_for_nodes', { worker: 'intruder', now: at, writes: writes(at) })).rejects.toBeInstanceOf(TaskClaimError);
    const scoreRows = async () =>
      (
        await db.query<{ hotkey: string; quality_score: number | null; test_loss: number | null; synth_loss: number | null; score_reason: string | null }>(
          'SELECT hotkey, quality_score, test_loss, synth_loss, score_reason FROM task_nodes WHERE task_id = $1 ORDER BY hotkey',
          [id],
        )
      ).rows;
    const submissionRows = async () =>
      (
        await db.query<{ hotkey: string; repo: string; model_hash: string | null; created_on: Date; updated_on: Date }>(
          'SELECT hotkey, repo, model_hash, created_on, updated_on FROM submissions WHERE task_id = $1 ORDER BY hotkey',
          [id],
        )
      ).rows;
    expect((await scoreRows()).every((r) => r.quality_score === null)).toBe(true);
    expect(await submissionRows()).toEqual([]);
    await finishTask(db, id, 'preparing_data', 'looking_for_nodes', { worker: 'w1', now: at, writes: writes(at) });
    expect(await scoreRows()).toEqual(scores);
    // A later upsert (a re-evaluation) replaces the repo and hash and keeps created_on.
    const later = new Date(at.getTime() + 60_000);
    await claimFullTask(db, { from: 'looking_for_nodes', worker: 'w1', leaseMs: 60_000, now: later });
    await finishTask(db, id, 'looking_for_nodes', 'ready', {
      worker: 'w1',
      now: later,
      writes: [submissionsWrite(NETUID, [{ hotkey: 'hk-a', repo: 'miner-a/name-a1-v2', modelHash: null }], later)].filter((w) => w !== null),
    });
    expect(await submissionRows()).toEqual([
      { hotkey: 'hk-a', repo: 'miner-a/name-a1-v2', model_hash: null, created_on: at, updated_on: later },
      { hotkey: 'hk-c', repo: 'miner-c/name-c1', model_hash: null, created_on: at, updated_on: at },
    ]);
    expect(taskScoresWrite(NETUID, [])).toBeNull();
    expect(submissionsWrite(NETUID, [], at)).toBeNull();
  });
});
