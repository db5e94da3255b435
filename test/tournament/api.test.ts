/**
 * The tournament routes over real loopback HTTP after a completed tournament: analytics under a customer key, the
 * orchestrator's admin routes under an admin key, bodies checked against the original's response models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, createAccountWithKey, SqlApiKeyStore } from '../../src/auth/index.ts';
import {
  activeTournamentsResponseSchema,
  nextTournamentDatesSchema,
  tournamentDetailsResponseSchema,
  tournamentGpuRequirementsResponseSchema,
  tournamentHistoryResponseSchema,
} from '../../src/core/models/tournament.ts';
import { trainerInfoSchema, trainingStatsSchema } from '../../src/core/models/trainer.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { createServer, type GodServer } from '../../src/http/server.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { registerTournamentRoutes } from '../../src/tournament/api.ts';
import { BURN, FakeTrainer, harness, minerHotkey, NETUID, tick, tournamentRows, type Harness } from './support.ts';

let t: TestDb;
let h: Harness;
let server: GodServer;
let base: string;
let customer: string;
let admin: string;
let second: FakeTrainer;

const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 10;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

beforeAll(async () => {
  await initCrypto();
  t = await openTestDb('pglite');
  h = await harness({ db: t.db, miners: 8 });
  for (let i = 0; i < 40 && (await tournamentRows(t.db))[0]?.status !== 'completed'; i++) {
    await tick(h.ctx, loss);
    await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
  }
  const store = new SqlApiKeyStore(t.db);
  customer = (await createAccountWithKey(store, 'frontend', ['customer'])).key;
  admin = (await createAccountWithKey(store, 'operator', ['admin'])).key;
  server = createServer({ apiKeys: new ApiKeyAuthenticator(store), logRequests: false });
  registerTournamentRoutes(server, { db: t.db, netuid: NETUID, clock: h.clock, trainers: h.ctx.trainers });
  base = await server.listen({ port: 0 });
  second = await new FakeTrainer([{ gpu_id: 0, gpu_type: 'A100', vram_gb: 80 }]).start();
});

afterAll(async () => {
  await server?.close();
  await second?.close();
  await h?.close();
  await t?.cleanup();
});

async function get(path: string, key: string | null = customer): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.status, body };
}

describe('tournament analytics routes', () => {
  it('serve history, details, active, next dates and GPU requirements in the original shapes', async () => {
    const [tour] = await tournamentRows(t.db);
    expect(tour?.status).toBe('completed');
    const history = await get('/v1/tournaments/history');
    expect(history.status).toBe(200);
    expect(tournamentHistoryResponseSchema.parse(history.body).tournaments.map((x) => x.tournament_id)).toEqual([tour!.tournament_id]);

    const details = await get(`/v1/tournaments/${tour!.tournament_id}/details`);
    expect(details.status).toBe(200);
    const d = tournamentDetailsResponseSchema.parse(details.body);
    expect(d.winner_hotkey).toBe(minerHotkey(0));
    expect(d.rounds.at(-1)?.is_final_round).toBe(true);
    expect(d.rounds.at(-1)?.tasks).toHaveLength(3);
    expect(d.rounds[0]?.tasks.every((x) => x.winner !== null && x.participant_scores.length === 2)).toBe(true);
    expect(d.boss_round_performance?.every((p) => p.challenger_won)).toBe(true);
    expect(d.sync_performance).toHaveLength(3);
    expect(d.final_scores.length).toBeGreaterThan(0);

    expect((await get('/v1/tournaments/nope/details')).status).toBe(404);
    expect(activeTournamentsResponseSchema.parse((await get('/v1/tournaments/active')).body)).toEqual({ text: null, image: null });
    const next = nextTournamentDatesSchema.parse((await get('/v1/tournaments/next-dates')).body);
    expect(next.text.tournament_status).toBe('waiting');
    expect(new Date(next.text.next_start_date!).getTime()).toBeGreaterThan(h.clock.now());
    const gpu = tournamentGpuRequirementsResponseSchema.parse((await get('/v1/tournaments/gpu-requirements')).body);
    expect(gpu.total_tasks).toBe(0);
    const latest = (await get('/v1/tournaments/latest/details')).body as { text: unknown; image: unknown; burn_data: { tournament_weight: number } };
    expect(tournamentDetailsResponseSchema.parse(latest.text).tournament_id).toBe(tour!.tournament_id);
    expect(latest.image).toBeNull();
    expect(latest.burn_data.tournament_weight).toBeGreaterThan(0);
  });

  it('require a key, and the W&B lookup is public', async () => {
    expect((await get('/v1/tournaments/history', null)).status).toBe(401);
    const w = await get('/v1/tournaments/wandb-logs/00000000-0000-0000-0000-000000000000?hotkey=abc', null);
    expect(w.status).toBe(404);
  });
});

describe('orchestrator admin routes', () => {
  it('list trainers and training stats, add and remove a trainer, admin key only', async () => {
    const trainers = await get('/v1/tournament_orchestrator/trainers', admin);
    expect(trainers.status).toBe(200);
    const list = trainerInfoSchema.array().parse(trainers.body);
    expect(list.map((x) => x.trainer_ip)).toEqual([h.trainer.address]);
    expect(list[0]!.gpus).toHaveLength(10);
    expect((await get('/v1/tournament_orchestrator/trainers', customer)).status).toBe(403);
    const stats = trainingStatsSchema.parse((await get('/v1/tournament_orchestrator/training_stats', admin)).body);
    expect(stats.total_pairs).toBe(stats.success);
    expect(stats.max_attempts).toBe(1);

    const add = await fetch(`${base}/v1/tournament_orchestrator/add_trainer?trainer_ip=${second.address}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(add.status).toBe(200);
    expect(await add.text()).toBe('Trainer added successfully');
    expect(trainerInfoSchema.array().parse((await get('/v1/tournament_orchestrator/trainers', admin)).body)).toHaveLength(2);
    const bad = await fetch(`${base}/v1/tournament_orchestrator/add_trainer?trainer_ip=127.0.0.1:1`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(bad.status).toBe(503);
    const invalid = await fetch(`${base}/v1/tournament_orchestrator/add_trainer?trainer_ip=${encodeURIComponent('a b/c')}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(invalid.status).toBe(422);
    const del = await fetch(`${base}/v1/tournament_orchestrator/remove_trainer/${second.address}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(await del.text()).toBe('Trainer removed successfully');
    expect(trainerInfoSchema.array().parse((await get('/v1/tournament_orchestrator/trainers', admin)).body)).toHaveLength(1);
  });
});
