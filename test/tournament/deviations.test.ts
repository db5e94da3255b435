/**
 * The lifecycle's fixes of the original's bugs (docs/deviations.md, D-tournament-lifecycle-*), each shown on the
 * database with real loopback miners and trainer, plus the rules kept from the reference (stake re-check).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimTraining, listGpus } from '../../src/db/queries/tournament-training.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { lifecyclePass, lifecycleUntilIdle, schedulingPass } from '../../src/tournament/lifecycle.ts';
import { fetchPass, gpuSyncPass, handOffPass, monitorPass, schedulePass } from '../../src/tournament/orchestrator.ts';
import { BURN, commitOf, evaluateTournamentTasks, harness, minerHotkey, NETUID, tick, tournamentRows, type Harness } from './support.ts';

let t: TestDb;
let h: Harness;

beforeAll(async () => {
  await initCrypto();
});

afterEach(async () => {
  await h?.close();
  await t?.cleanup();
});

const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 10;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

async function participants(): Promise<{ hotkey: string; eliminated_in_round_id: string | null; training_repo: string | null }[]> {
  return (await t.db.query<{ hotkey: string; eliminated_in_round_id: string | null; training_repo: string | null }>('SELECT hotkey, eliminated_in_round_id, training_repo FROM tournament_participants ORDER BY hotkey')).rows;
}

/** Orchestrator passes and the evaluation stand-in, without the lifecycle's advance. */
async function trainAndEvaluate(): Promise<void> {
  await fetchPass(h.ctx);
  await schedulePass(h.ctx);
  await monitorPass(h.ctx);
  await handOffPass(h.ctx);
  await evaluateTournamentTasks(t.db, loss);
}

describe('entry (D-tournament-lifecycle-1, -2)', () => {
  it('replaces the previous attempt’s entrants instead of accumulating them, and ignores unusable repo answers', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 12 });
    const valid = (i: number) => ({ github_repo: `https://github.com/miner${i}/G.O.D`, commit_hash: commitOf(i) });
    h.miners.answers.set(minerHotkey(7), 'garbage');
    h.miners.answers.set(minerHotkey(8), { github_repo: 'git@github.com:miner8/G.O.D.git', commit_hash: commitOf(8) });
    h.miners.answers.set(minerHotkey(9), { github_repo: 'https://github.com/miner9/G.O.D', commit_hash: 'abc123' });
    h.miners.answers.delete(minerHotkey(10));
    h.miners.answers.delete(minerHotkey(11));
    expect(await schedulingPass(h.ctx)).toHaveLength(1);
    expect(await lifecyclePass(h.ctx)).toBe(true);
    let [tour] = await tournamentRows(t.db);
    expect(tour?.status).toBe('pending');
    expect((await participants()).map((p) => p.hotkey).sort()).toEqual([BURN, ...[0, 1, 2, 3, 4, 5, 6].map(minerHotkey)].sort());
    expect(await lifecyclePass(h.ctx)).toBe(false); // not due before the retry interval
    for (const i of [0, 1, 2]) h.miners.answers.delete(minerHotkey(i));
    for (const i of [7, 8, 10, 11]) h.miners.answers.set(minerHotkey(i), valid(i));
    await h.clock.advance(h.ctx.rules.participantRetrySeconds * 1000);
    expect(await lifecyclePass(h.ctx)).toBe(true);
    [tour] = await tournamentRows(t.db);
    expect(tour?.status).toBe('active');
    // The reference would now hold 0–8, 10, 11: every responder of every attempt.
    expect((await participants()).map((p) => p.hotkey).sort()).toEqual([BURN, ...[3, 4, 5, 6, 7, 8, 10, 11].map(minerHotkey)].sort());
  });

  it('keeps only the top N by boosted stake', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 10, rules: { topNByStake: 8 } });
    await schedulingPass(h.ctx);
    await lifecyclePass(h.ctx);
    // stakes are 1000 + 10·i: miners 0 and 1 have the least
    expect((await participants()).map((p) => p.hotkey).sort()).toEqual([BURN, ...[2, 3, 4, 5, 6, 7, 8, 9].map(minerHotkey)].sort());
  });
});

describe('per-tournament training repos (D-tournament-lifecycle-5)', () => {
  it('trains each hotkey with the repo it entered this tournament with', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8, types: ['text', 'image'] });
    for (let i = 0; i < 8; i++) h.miners.answers.set(`${minerHotkey(i)}:image`, { github_repo: `https://github.com/miner${i}/image-trainer`, commit_hash: commitOf(100 + i) });
    await schedulingPass(h.ctx);
    await lifecycleUntilIdle(h.ctx);
    await fetchPass(h.ctx);
    const rows = (
      await t.db.query<{ hotkey: string; training_repo: string; tournament_type: string }>(
        `SELECT tr.hotkey, tr.training_repo, tu.tournament_type FROM tournament_task_hotkey_trainings tr
           JOIN tournament_tasks tt ON tt.task_id = tr.task_id JOIN tournaments tu ON tu.tournament_id = tt.tournament_id`,
      )
    ).rows;
    expect(rows.length).toBeGreaterThan(8);
    for (const r of rows) {
      if (r.hotkey === BURN) expect(r.training_repo).toBe(h.ctx.rules.defaultParticipantRepo);
      else expect(r.training_repo.endsWith(r.tournament_type === 'image' ? '/image-trainer.git' : '/G.O.D.git')).toBe(true);
    }
  });
});

describe('stake re-check and the placeholder (D-tournament-lifecycle-4, -6)', () => {
  it('eliminates a winner whose stake fell or who left the metagraph, never the placeholder, and the champion retains when no winner is left', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 4, rules: { minMinersForTournament: 4 } });
    await schedulingPass(h.ctx);
    await lifecycleUntilIdle(h.ctx);
    const pairs = (await t.db.query<{ hotkey1: string; hotkey2: string }>('SELECT hotkey1, hotkey2 FROM tournament_pairs')).rows;
    expect(pairs).toHaveLength(2);
    await trainAndEvaluate();
    // Miner 0 wins its pair but unstaked a little; the other pair's winner deregistered.
    const other = pairs.find((p) => p.hotkey1 !== minerHotkey(0) && p.hotkey2 !== minerHotkey(0))!;
    const otherWinner = [other.hotkey1, other.hotkey2].sort()[0]!;
    await t.db.query('UPDATE nodes SET alpha_stake = alpha_stake - 1 WHERE hotkey = $1', [minerHotkey(0)]);
    await t.db.query('DELETE FROM nodes WHERE hotkey = $1', [otherWinner]);
    await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
    await lifecycleUntilIdle(h.ctx);
    const [tour] = await tournamentRows(t.db);
    expect(tour).toMatchObject({ status: 'completed', winner_hotkey: BURN });
    const ps = await participants();
    expect(ps.find((p) => p.hotkey === BURN)?.eliminated_in_round_id).toBeNull();
    expect(ps.filter((p) => p.hotkey !== BURN).every((p) => p.eliminated_in_round_id !== null)).toBe(true);
    expect((await t.db.query('SELECT 1 FROM tournament_rounds')).rows).toHaveLength(1);
  });
});

describe('failed tasks (D-tournament-lifecycle-8, -9)', () => {
  it('replaces a task that failed its prep with fresh expected repo names, in the same slot', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    await schedulingPass(h.ctx);
    await lifecycleUntilIdle(h.ctx);
    const [victim] = (await t.db.query<{ task_id: string; pair_id: string; slot: number }>('SELECT task_id::text AS task_id, pair_id, slot FROM tournament_tasks ORDER BY pair_id LIMIT 1')).rows;
    await t.db.query(`UPDATE tasks SET status = 'prep_task_failure' WHERE task_id = $1`, [victim!.task_id]);
    await trainAndEvaluate();
    await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
    await lifecycleUntilIdle(h.ctx);
    const linked = (await t.db.query<{ task_id: string }>('SELECT task_id::text AS task_id FROM tournament_tasks WHERE pair_id = $1 AND slot = $2', [victim!.pair_id, victim!.slot])).rows;
    expect(linked).toHaveLength(1);
    expect(linked[0]!.task_id).not.toBe(victim!.task_id);
    expect((await t.db.query('SELECT 1 FROM tasks WHERE task_id = $1', [victim!.task_id])).rows).toHaveLength(0);
    const names = (await t.db.query<{ expected_repo_name: string }>('SELECT expected_repo_name FROM task_nodes WHERE task_id = $1', [linked[0]!.task_id])).rows;
    expect(names).toHaveLength(2);
    for (const n of names) expect(n.expected_repo_name).toContain(linked[0]!.task_id);
  });

  it('completes a final whose general-network copy failed its prep (the reference waited forever)', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    for (let i = 0; i < 30; i++) {
      await schedulingPass(h.ctx);
      await lifecycleUntilIdle(h.ctx);
      await trainAndEvaluate();
      await lifecycleUntilIdle(h.ctx);
      // The general network never manages to prepare the copies.
      await t.db.query(`UPDATE tasks SET status = 'prep_task_failure' WHERE task_id IN (SELECT general_task_id FROM boss_round_synced_tasks) AND status = 'looking_for_nodes'`);
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      if ((await tournamentRows(t.db))[0]?.status === 'completed') break;
    }
    expect((await tournamentRows(t.db))[0]).toMatchObject({ status: 'completed', winner_hotkey: minerHotkey(0) });
  });
});
  it('completes a final whose general-network copy found no miners (failure_finding_nodes stalled it forever)', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    for (let i = 0; i < 30; i++) {
      await schedulingPass(h.ctx);
      await lifecycleUntilIdle(h.ctx);
      await trainAndEvaluate();
      await lifecycleUntilIdle(h.ctx);
      // No real-time miner takes the copies (e.g. every one has zero recent scores).
      await t.db.query(`UPDATE tasks SET status = 'failure_finding_nodes' WHERE task_id IN (SELECT general_task_id FROM boss_round_synced_tasks) AND status = 'looking_for_nodes'`);
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      if ((await tournamentRows(t.db))[0]?.status === 'completed') break;
    }
    expect((await t.db.query(`SELECT 1 FROM tasks WHERE status = 'failure_finding_nodes'`)).rows.length).toBeGreaterThan(0);
    expect((await tournamentRows(t.db))[0]).toMatchObject({ status: 'completed', winner_hotkey: minerHotkey(0) });
  });


describe('orchestrator (D-tournament-lifecycle-10, -11)', () => {
  it('starts the highest priority first, then the oldest', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    await schedulingPass(h.ctx);
    await lifecycleUntilIdle(h.ctx);
    await fetchPass(h.ctx);
    const [a, b] = (await t.db.query<{ task_id: string; hotkey: string }>('SELECT task_id::text AS task_id, hotkey FROM tournament_task_hotkey_trainings ORDER BY task_id, hotkey LIMIT 2')).rows;
    await t.db.query('UPDATE tournament_task_hotkey_trainings SET priority = 2');
    await t.db.query(`UPDATE tournament_task_hotkey_trainings SET priority = 1, created_at = now() WHERE task_id = $1 AND hotkey = $2`, [b!.task_id, b!.hotkey]);
    await t.db.query(`UPDATE tournament_task_hotkey_trainings SET created_at = '2000-01-01' WHERE task_id = $1 AND hotkey = $2`, [a!.task_id, a!.hotkey]);
    const first = await claimTraining(t.db, { status: 'pending', worker: 'w', leaseMs: 1000, now: h.clock.date() });
    const second = await claimTraining(t.db, { status: 'pending', worker: 'w', leaseMs: 1000, now: h.clock.date() });
    expect([first?.task_id, first?.hotkey]).toEqual([b!.task_id, b!.hotkey]);
    expect([second?.task_id, second?.hotkey]).toEqual([a!.task_id, a!.hotkey]);
  });

  it('corrects the GPU view in both directions from the trainer', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    await t.db.query(`UPDATE trainers_gpus SET used_until = '2100-01-01' WHERE gpu_id = 0`);
    const job = { training_data: { task_id: 'x', model: 'm', hours_to_complete: 1, dataset_zip: 'z', model_type: 'sdxl' }, github_repo: 'r', gpu_ids: [3], hotkey: 'hk' };
    h.trainer.jobs.set('x:hk', { request: job as never, status: 'training', starts: 1 });
    await gpuSyncPass(h.ctx);
    const gpus = await listGpus(t.db);
    expect(gpus.find((g) => g.gpu_id === 0)?.used_until).toBeNull();
    expect(gpus.find((g) => g.gpu_id === 3)?.used_until?.getTime()).toBeGreaterThan(h.clock.now());
    await h.trainer.close();
    await gpuSyncPass(h.ctx);
    expect((await listGpus(t.db)).every((g) => g.used_until !== null && g.used_until.getTime() > h.clock.now())).toBe(true);
  });

  it('fails a training that runs past its deadline, after one retry (D-tournament-lifecycle-12)', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    h.trainer.outcome = (r) => (r.hotkey === minerHotkey(5) ? 'training' : 'success');
    await schedulingPass(h.ctx);
    await lifecycleUntilIdle(h.ctx);
    const status = async () =>
      (await t.db.query<{ training_status: string; n_training_attempts: number; task_status: string }>(
        `SELECT tr.training_status, tr.n_training_attempts, t.status AS task_status FROM tournament_task_hotkey_trainings tr JOIN tasks t ON t.task_id = tr.task_id WHERE tr.hotkey = $1`,
        [minerHotkey(5)],
      )).rows[0];
    const orchestrate = async () => {
      await fetchPass(h.ctx);
      await schedulePass(h.ctx);
      await monitorPass(h.ctx);
      await handOffPass(h.ctx);
    };
    await orchestrate();
    expect(await status()).toEqual({ training_status: 'training', n_training_attempts: 1, task_status: 'training' });
    await h.clock.advance(30 * 60_000); // within 1 h + grace: still running
    await orchestrate();
    expect((await status())?.training_status).toBe('training');
    await h.clock.advance(2 * 3_600_000);
    await orchestrate(); // past the deadline: the attempt fails …
    await orchestrate(); // … and the training is started again
    expect(await status()).toEqual({ training_status: 'training', n_training_attempts: 2, task_status: 'training' });
    await h.clock.advance(2 * 3_600_000);
    await orchestrate();
    expect(await status()).toEqual({ training_status: 'failure', n_training_attempts: 2, task_status: 'preevaluation' });
  });

  it('retries a failed training once and then marks it failed; the task still goes to evaluation', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    h.trainer.outcome = (r) => (r.hotkey === minerHotkey(3) ? 'failure' : 'success');
    for (let i = 0; i < 4; i++) {
      await tick(h.ctx, loss);
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
    }
    const [row] = (await t.db.query<{ training_status: string; n_training_attempts: number }>('SELECT training_status, n_training_attempts FROM tournament_task_hotkey_trainings WHERE hotkey = $1 ORDER BY created_at LIMIT 1', [minerHotkey(3)])).rows;
    expect(row).toEqual({ training_status: 'failure', n_training_attempts: 2 });
    const job = [...h.trainer.jobs.entries()].find(([k]) => k.endsWith(`:${minerHotkey(3)}`))?.[1];
    expect(job?.starts).toBe(2);
    expect(NETUID).toBe(56);
  });
});
