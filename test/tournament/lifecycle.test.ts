/**
 * A text tournament from scheduling to champion over real loopback HTTP (signed miner pings, a fake trainer),
 * PGlite, and losses written in place of the validator's evaluation; then the next tournament, where the champion
 * defends through the burn placeholder.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { createLogger } from '../../src/log/index.ts';
import { tournamentWeightsSource } from '../../src/tournament/weights-source.ts';
import { BURN, commitOf, harness, minerHotkey, NETUID, tick, tournamentRows, type Harness } from './support.ts';

let t: TestDb;
let h: Harness;

beforeAll(async () => {
  await initCrypto();
});

afterEach(async () => {
  await h?.close();
  await t?.cleanup();
});

/** Miner i has loss 1 + i/10 (GRPO: reward 10 − that); the default champion's code (the placeholder) is far worse. */
const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 10;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

describe('tournament lifecycle', () => {
  it('runs a 10-miner text tournament to a champion, with every state transition in the database', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 10, log: process.env.TLOG ? createLogger({ level: 'info', pretty: false } as never) : undefined });
    for (let i = 0; i < 40; i++) {
      await tick(h.ctx, loss);
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      const [tour] = await tournamentRows(t.db);
      if (tour?.status === 'completed') break;
    }
    const [tour] = await tournamentRows(t.db);
    expect(tour).toMatchObject({ status: 'completed', tournament_type: 'text', winner_hotkey: minerHotkey(0), base_winner_hotkey: null });
    const rounds = (await t.db.query<{ round_number: number; round_type: string; is_final_round: boolean; status: string }>('SELECT round_number, round_type, is_final_round, status FROM tournament_rounds ORDER BY round_number')).rows;
    expect(rounds.at(-1)).toMatchObject({ is_final_round: true, status: 'completed' });
    expect(rounds.every((r) => r.status === 'completed')).toBe(true);
    // 10 entrants: knockout 5 pairs → 5 winners (+placeholder) → 3 pairs → … → final against the placeholder.
    expect(rounds[0]).toMatchObject({ round_type: 'knockout', is_final_round: false });
    const participants = (await t.db.query<{ hotkey: string; eliminated_in_round_id: string | null; final_position: number | null }>('SELECT hotkey, eliminated_in_round_id, final_position FROM tournament_participants ORDER BY hotkey')).rows;
    expect(participants.filter((p) => p.eliminated_in_round_id === null).map((p) => p.hotkey).sort()).toEqual([BURN, minerHotkey(0)].sort());
    expect(participants.find((p) => p.hotkey === minerHotkey(0))?.final_position).toBe(1);
    expect(participants.find((p) => p.hotkey === BURN)?.final_position).toBe(2);
    // Every slot got exactly one task, every assigned hotkey exactly one training, and nothing ran twice.
    const perRound = (await t.db.query<{ round_number: number; n: number }>('SELECT r.round_number, count(*)::int AS n FROM tournament_tasks tt JOIN tournament_rounds r ON r.round_id = tt.round_id GROUP BY r.round_number ORDER BY 1')).rows;
    const pairs = (await t.db.query<{ round_number: number; n: number }>('SELECT r.round_number, count(*)::int AS n FROM tournament_pairs p JOIN tournament_rounds r ON r.round_id = p.round_id GROUP BY r.round_number ORDER BY 1')).rows;
    for (const [i, p] of pairs.entries()) expect(perRound[i]?.n).toBe(rounds[i]?.is_final_round ? 3 : p.n);
    expect(h.trainer.starts().starts).toBe(h.trainer.starts().jobs);
    expect(h.trainer.overlaps).toEqual([]);
    const copies = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM boss_round_synced_tasks')).rows[0]?.n;
    expect(copies).toBe(3);

    // The weights loop sees the champion first, no active participants, and a finished boss-round comparison.
    const source = tournamentWeightsSource({ db: t.db, netuid: NETUID });
    const weights = await source.tournamentWeights();
    const ranked = [...weights].sort((a, b) => b[1] - a[1]);
    expect(ranked[0]?.[0]).toBe(minerHotkey(0));
    expect(await source.participants()).toEqual([]);
    const history = await source.burnHistory();
    expect(history.text?.latest).toMatchObject({ tournamentId: tour!.tournament_id, synthComplete: true });
    expect(typeof history.text?.latest?.performanceDifference).toBe('number');
    const audit = await source.auditData();
    expect((audit.text_tournament_data as { winner_hotkey: string }).winner_hotkey).toBe(minerHotkey(0));

    // The next tournament, a day later: the champion does not enter again, its code (under the placeholder) is
    // better than every challenger, and it defends.
    await h.clock.advance(24 * 3_600_000);
    h.miners.answers.delete(minerHotkey(0));
    const defended = (hotkey: string, taskType: string) => loss(hotkey === BURN ? minerHotkey(0) : hotkey, taskType);
    for (let i = 0; i < 40; i++) {
      await tick(h.ctx, defended);
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      const rows = await tournamentRows(t.db);
      if (rows.length === 2 && rows[1]?.status === 'completed') break;
    }
    const second = (await tournamentRows(t.db))[1];
    expect(second).toMatchObject({ status: 'completed', base_winner_hotkey: minerHotkey(0), winner_hotkey: BURN });
    const placeholder = (await t.db.query<{ training_repo: string; training_commit_hash: string }>('SELECT training_repo, training_commit_hash FROM tournament_participants WHERE tournament_id = $1 AND hotkey = $2', [second!.tournament_id, BURN])).rows[0];
    expect(placeholder).toEqual({ training_repo: 'https://github.com/miner0/G.O.D.git', training_commit_hash: commitOf(0) });
    // A defence is credited to the real champion.
    const after = [...(await source.tournamentWeights())].sort((a, b) => b[1] - a[1]);
    expect(after[0]?.[0]).toBe(minerHotkey(0));
    expect(after.some(([hk]) => hk === BURN)).toBe(false);
  });
});
