/**
 * The task state machine end to end on a real (PGlite) database, with real signed HTTP to in-process miners on
 * loopback and a ManualClock: every loop's transitions, every reply stored, and misbehaving miners handled as
 * the rules say while the task goes on.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.ts';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../../src/core/models/tasks.ts';
import { getTask, insertTask, listTaskEvents } from '../../src/db/queries/tasks.ts';
import { claimTask, finishTask } from '../../src/db/queries/validator-tasks.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { evaluationPass } from '../../src/validator/cycle/evaluation.ts';
import { delayedPass, offersPass } from '../../src/validator/cycle/offers.ts';
import { prepPass } from '../../src/validator/cycle/prep.ts';
import { preevaluationPass, recoveryPass } from '../../src/validator/cycle/recovery.ts';
import { trainingPass } from '../../src/validator/cycle/training.ts';
import { createMetrics } from '../../src/ops/metrics.ts';
import { GpuPool } from '../../src/validator/evaluation/gpus.ts';
import type { ValidatorContext } from '../../src/validator/context.ts';
import { FakeMiner, type MinerBehaviour } from './support/fake-miner.ts';
import { registerNodes, TableExecutor, TableHub, testConfig, testContext } from './support/context.ts';

const T0 = Date.parse('2025-08-01T10:00:00Z');
const HOUR = 3_600_000;

let validatorKey: Sr25519Keypair;
let t: TestDb;
let clock: ManualClock;
const started: FakeMiner[] = [];

beforeAll(async () => {
  await initCrypto();
  validatorKey = Sr25519Keypair.fromUri('//ValidatorOne');
});

beforeEach(async () => {
  t = await openTestDb('pglite');
  clock = new ManualClock(T0);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
  await t.cleanup();
});

afterAll(() => {});

const fastTimeouts = testConfig({
  validator: { offerTimeoutSeconds: 0.4, startTrainingTimeoutSeconds: 0.4, submissionTimeoutSeconds: 0.4 },
});

async function miners<const S extends readonly (readonly [string, MinerBehaviour])[]>(specs: S): Promise<{ -readonly [K in keyof S]: FakeMiner }> {
  const out = specs.map(([uri, behaviour]) => new FakeMiner({ uri, behaviour, slowMs: 1500 }));
  await Promise.all(out.map((m) => m.start()));
  started.push(...out);
  await registerNodes(t.db, 56, out, new Date(clock.now()), validatorKey.ss58Address);
  return out as { -readonly [K in keyof S]: FakeMiner };
}

function instructTask(overrides: Partial<AnyRawTask> = {}): AnyRawTask {
  return {
    task_type: 'InstructTextTask',
    is_organic: true,
    status: 'pending',
    model_id: 'builtin/tiny-gpt',
    ds: 'god-local/strings-instruct@4500',
    account_id: 'e3947cb3-7c20-41c7-b215-9a5e96c29011',
    hours_to_complete: 2,
    created_at: new Date(clock.now()).toISOString(),
    next_delay_at: new Date(clock.now()).toISOString(),
    field_instruction: 'instruction',
    field_input: 'input',
    field_output: 'output',
    ...overrides,
  } as AnyRawTask;
}

async function statusOf(id: string): Promise<string> {
  return (await getTask(t.db, id))!.status;
}

function ctxWith(extra: Partial<Parameters<typeof testContext>[0]> = {}): ValidatorContext {
  return testContext({ db: t.db, clock, keypair: validatorKey, config: fastTimeouts, ...extra });
}

describe('the full pipeline with well-behaved and misbehaving miners', () => {
  it('takes an instruct task from pending to success and scores each miner by the rules', async () => {
    const [good, second, , slow, garbage, wrong, copier, , silent] = await miners([
      ['//Good', 'good'],
      ['//Second', 'good'],
      ['//Down', 'down'],
      ['//Slow', 'slow'],
      ['//Garbage', 'garbage'],
      ['//Wrong', 'wrong_repo'],
      ['//Copier', 'good'],
      ['//Decline', 'decline'],
      ['//Silent', 'no_submission'],
    ]);
    const hub = new TableHub();
    // The copier's repo holds the same weights as Good's: identical losses; Good uploaded first.
    const executor = new TableExecutor((repo) => {
      if (repo.startsWith('good/') || repo.startsWith('copier/')) return 0.5;
      if (repo.startsWith('second/')) return 0.7;
      return 2.0;
    });
    const metrics = createMetrics('validator', { processMetrics: false });
    const ctx = ctxWith({ executor, hub, metrics });
    const task = await insertTask(t.db, instructTask(), { now: new Date(clock.now()) });
    const id = task.task_id as string;

    // prep
    expect(await prepPass(ctx)).toBe(1);
    const prepared = (await getTask(t.db, id))!;
    expect(prepared.status).toBe('looking_for_nodes');
    expect(prepared).toMatchObject({ field_instruction: 'instruct', field_output: 'output', field_input: 'input', field_system: null });
    expect(prepared.training_data).toMatch(/^memblob:\/\/[0-9a-f]{16}_train_data\.json\?expires=/);
    expect(prepared.test_data).toMatch(/_test_data\.json/);
    const synthUrl = prepared.task_type === 'InstructTextTask' ? prepared.synthetic_data : null;
    expect(synthUrl).toMatch(/_synth_data\.json/);
    const testRows = JSON.parse(new TextDecoder().decode(await ctx.fetch(prepared.test_data!))) as Record<string, string>[];
    const trainRows = JSON.parse(new TextDecoder().decode(await ctx.fetch(prepared.training_data!))) as Record<string, string>[];
    expect(Object.keys(testRows[0]!).sort()).toEqual(['input', 'instruct', 'output']);
    // 50–100 % of 4500 rows, 10 % (at most 1000) of them held out; train gets a third of the paraphrases.
    expect(testRows.length).toBeGreaterThanOrEqual(225);
    expect(testRows.length).toBeLessThanOrEqual(450);
    expect(trainRows.length).toBeGreaterThan(testRows.length * 8);

    // offers: one at a time, every reply stored, acceptances assigned
    expect(await offersPass(ctx)).toBe(1);
    expect(await statusOf(id)).toBe('ready');
    const { rows: replies } = await t.db.query<{ hotkey: string; offer_response: { accepted: boolean; message: string } }>(
      'SELECT hotkey, offer_response FROM offer_responses WHERE task_id = $1',
      [id],
    );
    const replyOf = (m: FakeMiner) => replies.find((r) => r.hotkey === m.hotkey)?.offer_response;
    expect(replies).toHaveLength(10); // 9 miners + our own validator node (no axon)
    expect(replyOf(good)).toEqual({ message: 'Yes. I will do this task', accepted: true });
    expect(replyOf(slow)).toEqual({ message: 'Error during offer: no answer before the timeout', accepted: false });
    expect(replyOf(garbage)?.accepted).toBe(false);
    expect(replies.find((r) => r.hotkey === validatorKey.ss58Address)?.offer_response.accepted).toBe(false);
    expect(good.offers[0]).toEqual({
      ds_size: 100000,
      model: 'builtin/tiny-gpt',
      hours_to_complete: 2,
      task_id: id,
      task_type: 'InstructTextTask',
      model_params_count: null,
    });
    const { rows: assigned } = await t.db.query<{ hotkey: string }>('SELECT hotkey FROM task_nodes WHERE task_id = $1 ORDER BY hotkey', [id]);
    expect(assigned.map((r) => r.hotkey).sort()).toEqual([good, second, wrong, copier, silent].map((m) => m.hotkey).sort());

    // training: a fresh expected repo name per miner, deadline = now + hours
    expect(await trainingPass(ctx)).toBe(1);
    const training = (await getTask(t.db, id))!;
    expect(training.status).toBe('training');
    expect(Date.parse(training.termination_at!)).toBe(clock.now() + 2 * HOUR);
    const names = [good, second, wrong, copier, silent].map((m) => m.starts[0]?.body.expected_repo_name);
    expect(new Set(names).size).toBe(5);
    expect(good.starts[0]).toMatchObject({ path: '/start_training/', body: { task_id: id, file_format: 's3', dataset: prepared.training_data } });
    expect(good.starts[0]!.body.dataset_type).toEqual({
      system_prompt: '',
      system_format: '{system}',
      field_system: null,
      field_instruction: 'instruct',
      field_input: 'input',
      field_output: 'output',
      format: null,
      no_input_format: null,
      field: null,
    });

    // deadline
    await clock.advance(2 * HOUR - 1);
    expect(await preevaluationPass(ctx)).toBe(0);
    await clock.advance(1);
    expect(await preevaluationPass(ctx)).toBe(1);
    expect(await statusOf(id)).toBe('preevaluation');

    hub.uploads.set(good.repoFor(id)!, new Date(T0 + HOUR));
    hub.uploads.set(copier.repoFor(id)!, new Date(T0 + HOUR + 60_000));

    // evaluation and scoring
    expect(await evaluationPass(ctx, new GpuPool([0]))).toBe(true);
    const done = (await getTask(t.db, id))!;
    expect(done).toMatchObject({ status: 'success', n_eval_attempts: 1, model_params_count: 123_456 });
    expect(done.completed_at).not.toBeNull();
    const { rows: scores } = await t.db.query<{ hotkey: string; quality_score: number; score_reason: string; test_loss: number }>(
      'SELECT hotkey, quality_score, score_reason, test_loss FROM task_nodes WHERE task_id = $1',
      [id],
    );
    const scoreOf = (m: FakeMiner) => scores.find((s) => s.hotkey === m.hotkey);
    expect(scoreOf(good)).toMatchObject({ quality_score: 3, test_loss: 0.5 });
    expect(scoreOf(good)!.score_reason).toMatch(/^Ranked 1st/);
    expect(scoreOf(second)).toMatchObject({ quality_score: 0 });
    expect(scoreOf(copier)).toMatchObject({ quality_score: -1, score_reason: 'Duplicated submission' });
    expect(scoreOf(wrong)).toMatchObject({ quality_score: -1, score_reason: 'Repository name mismatch' });
    expect(scoreOf(silent)).toMatchObject({ quality_score: -1, score_reason: 'Invalid/No repo submitted' });
    // two-stage evaluation: everyone on test, the best four on the synthetic set
    expect(executor.jobs.map((j) => [j.split, j.repos.length])).toEqual([
      ['test', 3],
      ['synth', 3],
    ]);
    const { rows: subs } = await t.db.query<{ hotkey: string; repo: string }>('SELECT hotkey, repo FROM submissions WHERE task_id = $1', [id]);
    expect(subs.find((s) => s.hotkey === good.hotkey)?.repo).toBe(good.repoFor(id));
    // files are deleted once the outcome is final
    expect(ctx.blobs.keyOfUrl(prepared.training_data!)).not.toBeNull();
    expect((ctx.blobs as unknown as { objects: Map<string, unknown> }).objects.has(ctx.blobs.keyOfUrl(prepared.training_data!)!)).toBe(false);
    // /metrics: one offer counted per stored reply, by outcome; one evaluation run observed
    const offerCounts = (await metrics.offers.get()).values;
    const { rows: stored } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM offer_responses WHERE task_id = $1', [id]);
    expect(offerCounts.reduce((a, v) => a + v.value, 0)).toBe(stored[0]!.n);
    expect(offerCounts.find((v) => v.labels.outcome === 'accepted')?.value).toBe(5);
    expect(offerCounts.every((v) => v.labels.task_type === 'InstructTextTask')).toBe(true);
    const evalCount = (await metrics.evaluationSeconds.get()).values.find((v) => v.metricName === 'god_evaluation_duration_seconds_count');
    expect(evalCount).toMatchObject({ value: 1, labels: { task_type: 'InstructTextTask', outcome: 'ok' } });
    // no miner ever refused our signature
    expect([good, second, wrong, copier, silent].reduce((s, m) => s + m.rejected, 0)).toBe(0);

    const events = await listTaskEvents(t.db, id);
    expect(events.filter((e) => e.to_status !== null).map((e) => e.to_status)).toEqual(['pending', 'preparing_data', 'looking_for_nodes', 'ready', 'training', 'preevaluation', 'evaluating', 'success']);
  }, 60_000);

  it('re-evaluates when every score is exactly zero, at most four times, then fails', async () => {
    const [a, b] = await miners([
      ['//A', 'good'],
      ['//B', 'good'],
    ]);
    const executor = new TableExecutor(() => 'CUDA out of memory');
    const ctx = ctxWith({ executor });
    const task = await insertTask(t.db, instructTask({ is_organic: false, account_id: SYNTHETIC_ACCOUNT_ID }), { now: new Date(clock.now()) });
    const id = task.task_id as string;
    await prepPass(ctx);
    await offersPass(ctx);
    await trainingPass(ctx);
    await clock.advance(2 * HOUR);
    await preevaluationPass(ctx);
    const pool = new GpuPool([0]);
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await evaluationPass(ctx, pool)).toBe(true);
      const after = (await getTask(t.db, id))!;
      expect(after.n_eval_attempts).toBe(attempt);
      expect(after.status).toBe(attempt < 4 ? 'preevaluation' : 'failure');
    }
    expect(await evaluationPass(ctx, pool)).toBe(false);
    const { rows } = await t.db.query<{ quality_score: number; score_reason: string }>('SELECT quality_score, score_reason FROM task_nodes WHERE task_id = $1', [id]);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toEqual({ quality_score: 0, score_reason: 'Evaluation failed: CUDA out of memory' });
    // the submission was asked for again on every attempt
    expect(a.submissionCalls).toHaveLength(4);
    expect(b.submissionCalls).toHaveLength(4);
  }, 60_000);
});

describe('task files after the outcome', () => {
  it('deletes a real-time task\'s files but keeps a tournament task\'s, which its general-network copy reuses', async () => {
    const ctx = ctxWith({ executor: new TableExecutor(() => 1.0) });
    const plain = (await insertTask(t.db, instructTask(), { now: new Date(clock.now()) })).task_id as string;
    const linked = (await insertTask(t.db, instructTask(), { now: new Date(clock.now()) })).task_id as string;
    await t.db.query(`INSERT INTO tournaments (tournament_id, tournament_type, status) VALUES ('tourn_0000000000000001_20250801', 'text', 'active')`);
    await t.db.query(
      `INSERT INTO tournament_rounds (round_id, tournament_id, round_number, round_type) VALUES ('tourn_0000000000000001_20250801_round_001', 'tourn_0000000000000001_20250801', 1, 'knockout')`,
    );
    await t.db.query(`INSERT INTO tournament_pairs (pair_id, round_id, hotkey1, hotkey2) VALUES ('tourn_0000000000000001_20250801_round_001_pair_001', 'tourn_0000000000000001_20250801_round_001', 'a', 'b')`);
    await t.db.query(
      `INSERT INTO tournament_tasks (tournament_id, round_id, task_id, pair_id)
       VALUES ('tourn_0000000000000001_20250801', 'tourn_0000000000000001_20250801_round_001', $1, 'tourn_0000000000000001_20250801_round_001_pair_001')`,
      [linked],
    );
    expect(await prepPass(ctx)).toBe(2);
    const objects = (ctx.blobs as unknown as { objects: Map<string, unknown> }).objects;
    const filesOf = async (id: string) => {
      const task = (await getTask(t.db, id))!;
      return [task.training_data, task.test_data].map((url) => ctx.blobs.keyOfUrl(url!)!);
    };
    const plainFiles = await filesOf(plain);
    const linkedFiles = await filesOf(linked);
    for (const key of [...plainFiles, ...linkedFiles]) expect(objects.has(key)).toBe(true);
    // No miner trained either task: both end at their first evaluation, a final outcome.
    await t.db.query(`UPDATE tasks SET status = 'preevaluation' WHERE task_id = ANY($1::uuid[])`, [[plain, linked]]);
    const pool = new GpuPool([0]);
    while (await evaluationPass(ctx, pool));
    expect(['success', 'failure']).toContain(await statusOf(plain));
    expect(['success', 'failure']).toContain(await statusOf(linked));
    for (const key of plainFiles) expect(objects.has(key)).toBe(false);
    for (const key of linkedFiles) expect(objects.has(key)).toBe(true);
  }, 60_000);
});

describe('finding miners', () => {
  it('delays an organic task every 15 minutes up to six times, then fails it', async () => {
    await miners([['//Nope', 'decline']]);
    const ctx = ctxWith();
    const task = await insertTask(t.db, instructTask(), { now: new Date(clock.now()) });
    const id = task.task_id as string;
    await prepPass(ctx);
    for (let round = 1; round <= 6; round++) {
      expect(await offersPass(ctx)).toBe(1);
      const delayed = (await getTask(t.db, id))!;
      expect(delayed).toMatchObject({ status: 'delayed', times_delayed: round });
      expect(Date.parse(delayed.next_delay_at!)).toBe(clock.now() + 15 * 60_000);
      await clock.advance(15 * 60_000 - 1);
      expect(await delayedPass(ctx)).toBe(0);
      await clock.advance(1);
      expect(await delayedPass(ctx)).toBe(1);
      expect(await statusOf(id)).toBe('looking_for_nodes');
    }
    await offersPass(ctx);
    expect(await getTask(t.db, id)).toMatchObject({ status: 'failure_finding_nodes', times_delayed: 6 });
  }, 60_000);

  it('fails a synthetic task at once when nobody accepts, and when there is no node at all', async () => {
    const ctx = ctxWith();
    const lonely = await insertTask(t.db, instructTask({ is_organic: false, account_id: SYNTHETIC_ACCOUNT_ID }), { now: new Date(clock.now()) });
    await prepPass(ctx);
    await offersPass(ctx);
    expect(await statusOf(lonely.task_id as string)).toBe('failure_finding_nodes');
    const events = await listTaskEvents(t.db, lonely.task_id as string);
    expect(events.at(-1)?.detail).toMatchObject({ reason: 'no eligible miner' });
  }, 60_000);

  it('stops offering once the random target of acceptances is reached', async () => {
    const specs = Array.from({ length: 18 }, (_, i) => [`//M${i}`, 'good'] as [string, MinerBehaviour]);
    const ms = await miners(specs);
    const ctx = ctxWith();
    const task = await insertTask(t.db, instructTask(), { now: new Date(clock.now()) });
    await prepPass(ctx);
    await offersPass(ctx);
    const offered = ms.filter((m) => m.offers.length > 0).length;
    // target is randint(8, 15): the round stops as soon as that many accepted
    expect(offered).toBeGreaterThanOrEqual(8);
    expect(offered).toBeLessThanOrEqual(15);
    expect(await statusOf(task.task_id as string)).toBe('ready');
  }, 60_000);
});

describe('prep', () => {
  it('fails a task whose dataset lacks a named column, and records why', async () => {
    const ctx = ctxWith();
    const task = await insertTask(t.db, instructTask({ field_input: 'context' } as Partial<AnyRawTask>), { now: new Date(clock.now()) });
    await prepPass(ctx);
    expect(await statusOf(task.task_id as string)).toBe('prep_task_failure');
    const events = await listTaskEvents(t.db, task.task_id as string);
    expect(String(events.at(-1)?.detail.error)).toContain('column "context" not found');
  });

  it('prepares an image task into two zips with signed URLs', async () => {
    const ctx = ctxWith();
    const pairs = [];
    for (let i = 0; i < 12; i++) {
      await ctx.blobs.put(`img${i}.png`, new Uint8Array([i]));
      await ctx.blobs.put(`img${i}.txt`, new TextEncoder().encode(`caption ${i}`));
      pairs.push({ image_url: `memblob://img${i}.png?expires=${T0 + HOUR}`, text_url: `memblob://img${i}.txt?expires=${T0 + HOUR}` });
    }
    const task = await insertTask(
      t.db,
      { ...instructTask(), task_type: 'ImageTask', ds: 'x', model_type: 'sdxl', image_text_pairs: pairs } as unknown as AnyRawTask,
      { now: new Date(clock.now()) },
    );
    await prepPass(ctx);
    const done = (await getTask(t.db, task.task_id as string))!;
    expect(done.status).toBe('looking_for_nodes');
    const { unzipStore } = await import('../../src/validator/prep/zip.ts');
    const testZip = unzipStore(await ctx.fetch(done.test_data!));
    const trainZip = unzipStore(await ctx.fetch(done.training_data!));
    expect(testZip.map((e) => e.name)).toEqual(['test_data/0.png', 'test_data/0.txt', 'test_data/1.png', 'test_data/1.txt']);
    expect(trainZip).toHaveLength(20);
    expect(trainZip.every((e) => e.name.startsWith('train_data/'))).toBe(true);
  });
});

describe('claims and leases', () => {
  it('gives an interrupted prep back to pending once its lease runs out, and refuses the dead worker\'s result', async () => {
    const ctx = ctxWith({ worker: 'B' });
    const task = await insertTask(t.db, instructTask(), { now: new Date(clock.now()) });
    const id = task.task_id as string;
    const lease = ctx.config.validator.claimLeaseSeconds * 1000;
    // worker A claims and "dies"
    const claimed = await claimTask(t.db, { from: 'pending', to: 'preparing_data', worker: 'A', leaseMs: lease, now: new Date(clock.now()) });
    expect(claimed?.claimed_by).toBe('A');
    expect(await recoveryPass(ctx)).toBe(0);
    await clock.advance(lease);
    expect(await recoveryPass(ctx)).toBe(1);
    expect(await statusOf(id)).toBe('pending');
    expect(await prepPass(ctx)).toBe(1);
    expect(await statusOf(id)).toBe('looking_for_nodes');
    // A wakes up and tries to finish: refused, nothing changes
    await expect(
      t.db.transaction((tx) => finishTask(tx, id, 'preparing_data', 'prep_task_failure', { worker: 'A', now: new Date(clock.now()) })),
    ).rejects.toThrow();
    expect(await statusOf(id)).toBe('looking_for_nodes');
  });

  it('scores a task once even when two workers evaluated it', async () => {
    await miners([['//Only', 'good']]);
    const ctx = ctxWith({ executor: new TableExecutor(() => 0.3) });
    const task = await insertTask(t.db, instructTask(), { now: new Date(clock.now()) });
    const id = task.task_id as string;
    await prepPass(ctx);
    await offersPass(ctx);
    await trainingPass(ctx);
    await clock.advance(2 * HOUR);
    await preevaluationPass(ctx);
    const lease = ctx.config.validator.claimLeaseSeconds * 1000;
    await claimTask(t.db, { from: 'preevaluation', to: 'evaluating', worker: 'stale', leaseMs: lease, now: new Date(clock.now()) });
    await clock.advance(lease);
    expect(await recoveryPass(ctx)).toBe(1);
    expect(await evaluationPass(ctx, new GpuPool([0]))).toBe(true);
    await expect(
      t.db.transaction((tx) => finishTask(tx, id, 'evaluating', 'success', { worker: 'stale', now: new Date(clock.now()), incrementEvalAttempts: true })),
    ).rejects.toThrow();
    expect(await getTask(t.db, id)).toMatchObject({ status: 'success', n_eval_attempts: 1 });
    const events = await listTaskEvents(t.db, id);
    expect(events.filter((e) => e.to_status === 'success')).toHaveLength(1);
  }, 60_000);
});
