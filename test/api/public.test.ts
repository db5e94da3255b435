import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeLatestScoresUrl } from '../../src/db/queries/validator-weights.ts';
import { client, json, seedNode, seedResult, seedTask, startHarness, type Harness } from './harness.ts';

let h: Harness;
let alice: ReturnType<typeof client>;
const anon = () => client(h.base);

beforeAll(async () => {
  h = await startHarness();
  alice = client(h.base, h.customer.key);
});
afterAll(async () => {
  await h?.close();
});

describe('public auditing routes', () => {
  it('scores-url: 400 before any weight setting, then the latest unexpired URL, without a key', async () => {
    const none = await anon().get('/auditing/scores-url');
    expect(none.status).toBe(400);
    expect(await json(none)).toEqual({ detail: 'No scores url found... sorry :/' });
    await storeLatestScoresUrl(h.db, 'https://blobs.example/latest_scores_1.json', new Date('2025-08-01T00:00:00Z'));
    await storeLatestScoresUrl(h.db, 'https://blobs.example/latest_scores_2.json', new Date('2025-08-01T01:00:00Z'));
    expect(await json(await anon().get('/auditing/scores-url'))).toEqual({ url: 'https://blobs.example/latest_scores_2.json' });
  });

  it('one task with every miner: normalised scores, SQL rank, repo, submission id and offer answer', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'success');
    await seedResult(h.db, id, 'hk-1', { quality: 3, test: 0.1, synth: 0.2, repo: 'one/model' });
    await seedResult(h.db, id, 'hk-2', { quality: -1, test: Number.NaN, synth: -Infinity, repo: 'two/model', reason: 'penalty' });
    await seedResult(h.db, id, 'hk-3', { quality: null });
    await h.db.query(`INSERT INTO offer_responses (task_id, hotkey, offer_response) VALUES ($1, 'hk-1', '{"message":"Yes","accepted":true}')`, [id]);
    const res = await anon().get(`/auditing/tasks/${id}`);
    expect(res.status).toBe(200);
    const task = await json(res);
    expect(task).toMatchObject({ task_id: id, status: 'success', ds: 'tatsu-lab/alpaca', test_data: 'https://blobs.example/test.json', trained_model_repository: 'one/model' });
    const byHotkey = Object.fromEntries(task.hotkey_details.map((d: { hotkey: string }) => [d.hotkey, d]));
    // PostgreSQL's RANK over score DESC puts unscored (NULL) rows first; null scores then show as 0.0.
    expect(byHotkey['hk-3']).toMatchObject({ rank: 1, quality_score: 0, test_loss: 0, repo: null, submission_id: null });
    expect(byHotkey['hk-1']).toMatchObject({ rank: 2, quality_score: 3, test_loss: 0.1, repo: 'one/model', offer_response: { message: 'Yes', accepted: true } });
    expect(byHotkey['hk-1'].submission_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(byHotkey['hk-2']).toMatchObject({ rank: 3, quality_score: -1, test_loss: null, synth_loss: -1e100, score_reason: 'penalty' });
    expect((await anon().get('/auditing/tasks/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab')).status).toBe(404);
    expect((await anon().get('/auditing/tasks/not-a-task')).status).toBe(404);
  });

  it('recent tasks exclude tournament and benchmark tasks and hide running data; per-hotkey lists submissions', async () => {
    const visible = await seedTask(h.db, h.customer.accountId, 'training', {}, new Date(Date.now() + 5000));
    const tourn = await seedTask(h.db, h.customer.accountId, 'training', {}, new Date(Date.now() + 6000));
    const bench = await seedTask(h.db, h.customer.accountId, 'success', {}, new Date(Date.now() + 7000));
    await h.db.query(`INSERT INTO tournaments (tournament_id, tournament_type) VALUES ('tourn_a', 'text')`);
    await h.db.query(`INSERT INTO tournament_rounds (round_id, tournament_id, round_number, round_type) VALUES ('tourn_a_round_001', 'tourn_a', 1, 'group')`);
    await h.db.query(`INSERT INTO tournament_groups (group_id, round_id) VALUES ('g1', 'tourn_a_round_001')`);
    await h.db.query(`INSERT INTO tournament_tasks (tournament_id, round_id, task_id, group_id) VALUES ('tourn_a', 'tourn_a_round_001', $1, 'g1')`, [tourn]);
    await h.db.query(`INSERT INTO benchmark_root_tasks (task_id, task_type) VALUES ($1, 'InstructTextTask')`, [bench]);
    const recent = await json<{ task_id: string; ds: string; training_data: string | null }[]>(await anon().get('/auditing/tasks?limit=3'));
    expect(recent.map((t) => t.task_id)).not.toContain(tourn);
    expect(recent.map((t) => t.task_id)).not.toContain(bench);
    expect(recent[0]).toMatchObject({ task_id: visible, ds: 'Hidden', training_data: null });

    // A finished task of a tournament still running stays hidden; once the tournament completes it shows.
    await h.db.query(`UPDATE tasks SET status = 'success' WHERE task_id = $1`, [tourn]);
    expect((await json(await anon().get(`/auditing/tasks/${tourn}`))).ds).toBe('Hidden');
    await h.db.query(`UPDATE tournaments SET status = 'completed' WHERE tournament_id = 'tourn_a'`);
    expect((await json(await anon().get(`/auditing/tasks/${tourn}`))).ds).toBe('tatsu-lab/alpaca');

    await seedResult(h.db, visible, 'hk-audit', { quality: null, repo: 'audit/model' });
    const forHotkey = await json(await anon().get('/auditing/tasks/hotkey/hk-audit'));
    expect(forHotkey).toHaveLength(1);
    expect(forHotkey[0]).toMatchObject({ task_id: visible, hotkey_details: [{ hotkey: 'hk-audit', repo: 'audit/model' }] });
    expect(await json(await anon().get('/auditing/tasks/hotkey/nobody'))).toEqual([]);
  });
});

describe('network status and leaderboard', () => {
  it('counts training / preevaluation / evaluating / success and the next training end', async () => {
    const before = await json(await alice.get('/v1/network/status'));
    const end = new Date(Date.now() + 3_600_000);
    await seedTask(h.db, h.customer.accountId, 'training', { termination_at: end.toISOString() });
    await seedTask(h.db, h.customer.accountId, 'preevaluation');
    await seedTask(h.db, h.customer.accountId, 'evaluating', { task_type: 'ChatTask', chat_template: 'chatml', field_instruction: undefined });
    const after = await json(await alice.get('/v1/network/status'));
    expect(after.number_of_jobs_training).toBe(before.number_of_jobs_training + 1);
    expect(after.number_of_jobs_preevaluation).toBe(before.number_of_jobs_preevaluation + 1);
    expect(after.number_of_jobs_evaluating).toBe(before.number_of_jobs_evaluating + 1);
    expect(after.job_can_be_made).toBe(true);
    expect(Date.parse(after.next_training_end)).toBeLessThanOrEqual(end.getTime());
    const detailed = await json(await alice.get('/v1/network/detailed_status'));
    expect(detailed.chat_evaluating).toBe(1);
    expect(detailed.instruct_preevaluation).toBeGreaterThanOrEqual(1);
    expect(detailed.image_training).toBe(0);
    expect((await anon().get('/v1/network/status')).status).toBe(401);
  });

  it('leaderboard: every node, zero stats without results, per-period metrics from the scored tasks', async () => {
    await seedNode(h.db, 'hk-lead', 1);
    await seedNode(h.db, 'hk-idle', 2);
    const recent = await seedTask(h.db, h.customer.accountId, 'success', { model_id: 'unsloth/Llama-3.1-8B', ds: 'ds/one', hours_to_complete: 3 });
    const old = await seedTask(h.db, h.customer.accountId, 'success', { model_id: 'org/SmolLM2-135M', ds: 'ds/two', hours_to_complete: 5 }, new Date(Date.now() - 10 * 24 * 3_600_000));
    const other = await seedTask(h.db, h.customer.accountId, 'success', { model_id: 'unsloth/Llama-3.1-8B', ds: 'ds/three', hours_to_complete: 1 });
    await seedResult(h.db, recent, 'hk-lead', { quality: 3 });
    await seedResult(h.db, other, 'hk-lead', { quality: -1 });
    await seedResult(h.db, old, 'hk-lead', { quality: 0 });
    const rows = await json(await alice.get('/v1/leaderboard'));
    expect(rows.map((r: { hotkey: string }) => r.hotkey)).toEqual(['hk-lead', 'hk-idle']);
    const lead = rows[0]!.stats;
    expect(lead.daily.quality_metrics).toEqual({
      total_score: 2, total_count: 2, total_success: 1, total_quality: 1, avg_quality_score: 1, success_rate: 0.5, quality_rate: 0.5,
    });
    expect(lead.daily.workload_metrics).toEqual({ competition_hours: 4, total_params_billions: 16 });
    expect(lead.daily.model_metrics).toEqual({ modal_model: 'unsloth/Llama-3.1-8B', unique_models: 1, unique_datasets: 2 });
    expect(lead.monthly.quality_metrics.total_count).toBe(3);
    expect(lead.monthly.workload_metrics.total_params_billions).toBeCloseTo(16.135, 6);
    expect(lead.all_time.model_metrics.unique_models).toBe(2);
    expect(rows[1]!.stats.all_time).toEqual({
      quality_metrics: { total_score: 0, total_count: 0, total_success: 0, total_quality: 0, avg_quality_score: 0, success_rate: 0, quality_rate: 0 },
      workload_metrics: { competition_hours: 0, total_params_billions: 0 },
      model_metrics: { modal_model: 'none', unique_models: 0, unique_datasets: 0 },
    });
  });

  it('health answers GET and POST without a key', async () => {
    expect(await json(await anon().get('/health'))).toEqual({ status: 'healthy' });
    expect(await json(await anon().post('/health'))).toEqual({ status: 'healthy' });
  });
});

describe('leaderboard cache', () => {
  it('serves one computation for leaderboardCacheMs and recomputes after it', async () => {
    const { ManualClock } = await import('../../src/clock/index.ts');
    const { cachedLeaderboard } = await import('../../src/api/leaderboard.ts');
    const clock = new ManualClock(Date.now());
    const board = cachedLeaderboard({ ...h.api.context, clock, rules: { ...h.api.context.rules, leaderboardCacheMs: 1000 } });
    const [a, b] = await Promise.all([board(), board()]);
    expect(b).toBe(a);
    await seedNode(h.db, 'hk-late', 99);
    expect(await board()).toBe(a);
    await clock.advance(1000);
    const fresh = await board();
    expect(fresh).not.toBe(a);
    expect(fresh.rows.map((r) => r.hotkey)).toContain('hk-late');
    expect(JSON.parse(fresh.json)).toEqual(fresh.rows);
  });
});
