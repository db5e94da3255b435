/**
 * Restart in every state: the tournament loops run on a database handle that "kills the process" after a varying
 * number of statements (that statement fails, a transaction in flight rolls back, every later call fails); a fresh
 * process (new worker id) then carries on from the database, with the clock moved past every lease. The outcome must
 * be the one a run without crashes gives, with nothing duplicated: one task per slot, one round per number, one
 * training per (task, hotkey), no training started more often than allowed, no two trainings on the same GPU and
 * no task without its tournament link.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { BURN, Crash, crashingDb, harness, minerHotkey, tick, tournamentRows, type Harness } from './support.ts';

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

describe('tournament restart', () => {
  it('reaches the same champion with nothing duplicated when killed between statements over and over', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    let crashes = 0;
    let statements = 0;
    const states = new Set<string>();
    for (let i = 0; i < 400; i++) {
      // Budgets from a few statements to most of a tick (tuned to the statements a tick issues: fewer since claims
      // return their task and status changes carry their writes), so crashes land in every state.
      const budget = 7 + ((i * 37) % 80);
      const db = crashingDb(t.db, budget);
      const ctx = h.fresh(db);
      try {
        await tick(ctx, loss, () => 1.0, t.db);
      } catch (err) {
        if (!(err instanceof Crash)) throw err;
        crashes++;
        const [tour] = await tournamentRows(t.db);
        const round = (await t.db.query<{ status: string; is_final_round: boolean }>('SELECT status, is_final_round FROM tournament_rounds ORDER BY round_number DESC LIMIT 1')).rows[0];
        states.add(`${tour?.status ?? 'none'}/${round ? `${round.status}${round.is_final_round ? '-final' : ''}` : 'no-round'}`);
      }
      statements += db.used;
      // Past every lease: a dead worker's claims lapse.
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      const [tour] = await tournamentRows(t.db);
      if (tour?.status === 'completed' && !db.dead) break;
    }
    const [tour] = await tournamentRows(t.db);
    expect(tour).toMatchObject({ status: 'completed', winner_hotkey: minerHotkey(0) });
    expect(crashes).toBeGreaterThan(10);
    // Crashes happened in every state the tournament passes through.
    for (const s of ['pending/no-round', 'active/pending', 'active/active', 'active/active-final', 'completed/completed-final']) expect([...states]).toContain(s);

    const q = async (sql: string) => (await t.db.query<{ n: number }>(sql)).rows[0]?.n;
    // one task per slot, no more tasks than slots, one round per number
    expect(await q(`SELECT count(*)::int AS n FROM (SELECT round_id, COALESCE(group_id, pair_id), slot FROM tournament_tasks GROUP BY 1, 2, 3 HAVING count(*) > 1) d`)).toBe(0);
    const pairs = await q(`SELECT count(*)::int AS n FROM tournament_pairs p JOIN tournament_rounds r ON r.round_id = p.round_id WHERE NOT r.is_final_round`);
    const finals = await q(`SELECT count(*)::int AS n FROM tournament_rounds WHERE is_final_round`);
    expect(await q('SELECT count(*)::int AS n FROM tournament_tasks')).toBe((pairs ?? 0) + 3 * (finals ?? 0));
    expect(finals).toBe(1);
    // every task is a tournament task or a boss-round copy: none leaked to the general market unlinked
    expect(await q(`SELECT count(*)::int AS n FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)
                     AND NOT EXISTS (SELECT 1 FROM boss_round_synced_tasks s WHERE s.general_task_id = t.task_id)`)).toBe(0);
    expect(await q('SELECT count(*)::int AS n FROM boss_round_synced_tasks')).toBe(3);
    // trainings: at most the allowed starts per (task, hotkey), never two on one GPU at once
    for (const job of h.trainer.jobs.values()) expect(job.starts).toBeLessThanOrEqual(h.ctx.rules.maxTrainingAttempts);
    expect(h.trainer.overlaps).toEqual([]);
    expect(await q(`SELECT count(*)::int AS n FROM tournament_task_hotkey_trainings WHERE training_status <> 'success'`)).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM trainers_gpus WHERE held_task_id IS NOT NULL`)).toBe(0);
    // participants: the 8 entrants and the placeholder, the champion the only entrant not eliminated
    expect(await q('SELECT count(*)::int AS n FROM tournament_participants')).toBe(9);
    expect(await q(`SELECT count(*)::int AS n FROM tournament_participants WHERE eliminated_in_round_id IS NULL AND hotkey <> '${BURN}'`)).toBe(1);
    expect(statements).toBeGreaterThan(0);
  });
});
