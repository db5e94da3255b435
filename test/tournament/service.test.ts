/** The service runs every loop on its clock: a tournament gets scheduled, entered, and its first round trained. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { TournamentService } from '../../src/tournament/service.ts';
import { harness, type Harness } from './support.ts';

let t: TestDb;
let h: Harness;

beforeAll(async () => {
  await initCrypto();
});

afterEach(async () => {
  await h?.close();
  await t?.cleanup();
});

describe('TournamentService', () => {
  it('schedules, enters and trains the first round from its loops, and stops cleanly', async () => {
    t = await openTestDb('pglite');
    h = await harness({ db: t.db, miners: 8 });
    const service = new TournamentService(h.ctx);
    service.start();
    const q = async (sql: string) => (await t.db.query<{ n: number }>(sql)).rows[0]?.n ?? 0;
    let handedOff = 0;
    for (let i = 0; i < 100 && handedOff < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
      handedOff = await q(`SELECT count(*)::int AS n FROM tasks WHERE status = 'preevaluation'`);
    }
    await service.stop();
    expect(service.running).toBe(false);
    expect(handedOff).toBe(4);
    expect(await q(`SELECT count(*)::int AS n FROM tournaments WHERE status = 'active'`)).toBe(1);
    expect(await q(`SELECT count(*)::int AS n FROM tournament_task_hotkey_trainings WHERE training_status = 'success'`)).toBe(8);
  });
});
