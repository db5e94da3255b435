/**
 * The operator surfaces over a project database (PGlite under GOD_HOME) that holds a completed tournament:
 * `god tournament list | show | schedule`, and `god api` serving the tournament analytics (customer key) and the
 * orchestrator admin routes (admin key) over loopback HTTP, its trainer client using the configured scoped tokens
 * against real trainers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountWithKey, SqlApiKeyStore } from '../../src/auth/index.ts';
import { registerApi } from '../../src/cli/commands/api.ts';
import { registerTournament } from '../../src/cli/commands/tournament.ts';
import { defaultConfig, type Config } from '../../src/config/schema.ts';
import { latestTournamentsDetailsResponseSchema, tournamentDetailsResponseSchema, tournamentHistoryResponseSchema } from '../../src/core/models/tournament.ts';
import { trainerInfoSchema } from '../../src/core/models/trainer.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { scratch, startTestTrainer, type TestTrainer } from '../trainer/helpers.ts';
import { BURN, harness, minerHotkey, tick, tournamentRows, type Harness } from './support.ts';

let home: string;
let trainerRoot: string;
let h: Harness;
let tournamentId: string;
let customer: string;
let admin: string;
let configured: TestTrainer;
let stranger: TestTrainer;
let config: Config;
const previousHome = process.env.GOD_HOME;
const previousLevel = process.env.GOD_LOG_LEVEL;

const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 10;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

beforeAll(async () => {
  await initCrypto();
  home = mkdtempSync(join(tmpdir(), 'god-tourn-cli-'));
  process.env.GOD_HOME = home;
  process.env.GOD_LOG_LEVEL = 'silent';
  // The project database, as every command opens it (GOD_HOME/db), holding one completed text tournament.
  const db: Db = await openDb({ migrate: true });
  // 16 entrants: a group round first, then knockout rounds, then the boss round.
  h = await harness({ db, miners: 16 });
  for (let i = 0; i < 60 && (await tournamentRows(db))[0]?.status !== 'completed'; i++) {
    await tick(h.ctx, loss);
    await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
  }
  const [done] = await tournamentRows(db);
  expect(done?.status).toBe('completed');
  tournamentId = done!.tournament_id;
  const store = new SqlApiKeyStore(db);
  customer = (await createAccountWithKey(store, 'frontend', ['customer'])).key;
  admin = (await createAccountWithKey(store, 'operator', ['admin'])).key;
  await db.close();

  trainerRoot = scratch('god-tourn-cli-trainers-');
  configured = await startTestTrainer({ dataDir: join(trainerRoot, 'a'), localRoots: [trainerRoot], gpus: '2xH100' });
  stranger = await startTestTrainer({ dataDir: join(trainerRoot, 'b'), localRoots: [trainerRoot], gpus: '1xH100' });
  config = {
    ...defaultConfig,
    general: { ...defaultConfig.general, home, logLevel: 'silent' },
    // One attempt per trainer call: an unreachable or refusing trainer answers at once.
    tournament: { ...defaultConfig.tournament, trainerCallAttempts: 1 },
    orchestrator: { ...defaultConfig.orchestrator, trainers: [{ url: configured.url, token: configured.token }] },
  };
}, 180_000);

afterAll(async () => {
  await h?.close();
  await configured?.close();
  await stranger?.close();
  if (previousHome === undefined) delete process.env.GOD_HOME;
  else process.env.GOD_HOME = previousHome;
  if (previousLevel === undefined) delete process.env.GOD_LOG_LEVEL;
  else process.env.GOD_LOG_LEVEL = previousLevel;
  if (home) rmSync(home, { recursive: true, force: true });
  if (trainerRoot) rmSync(trainerRoot, { recursive: true, force: true });
});

async function god(...args: string[]): Promise<string> {
  let out = '';
  const program = new Command('god').exitOverride();
  program.configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (out += t) });
  // The command's own database opening (GOD_HOME/db through the config), only the config pinned.
  registerTournament(program, { openDb: () => openDb({ migrate: true }), out: (t) => void (out += t), loadConfig: () => config });
  await program.parseAsync(['node', 'god', 'tournament', ...args]);
  return out;
}

describe('god tournament', () => {
  it('lists tournaments and shows the bracket: rounds, groups or pairs, per-task scores, boss round, winner', async () => {
    const list = await god('list');
    expect(list).toMatch(new RegExp(`^TOURNAMENT\\s+TYPE\\s+STATUS`));
    expect(list).toMatch(new RegExp(`${tournamentId}\\s+text\\s+completed`));
    const json = JSON.parse(await god('list', '--json', '--type', 'text')) as { tournament_id: string; winner_hotkey: string }[];
    expect(json.map((t) => t.tournament_id)).toEqual([tournamentId]);
    expect(JSON.parse(await god('list', '--json', '--type', 'image'))).toEqual([]);

    const show = await god('show', tournamentId);
    expect(show).toContain(`tournament ${tournamentId} (text) — completed`);
    expect(show).toContain('participants: 16');
    expect(show).toMatch(/round 1: group — completed/);
    expect(show).toMatch(/ {2}group \S+: /);
    expect(show).toMatch(/round \d+: knockout — final \(boss round against the defending champion\) — completed/);
    expect(show).toMatch(new RegExp(`pair \\S+: (${BURN} \\(defending champion\\) vs \\S+|\\S+ vs ${BURN} \\(defending champion\\))\n`));
    expect(show).toMatch(/task \S+ (InstructTextTask|DpoTask|GrpoTask) success → winner \S+/);
    expect(show).toMatch(/quality 3 {2}test_loss \d/);
    // Miner 0 has the lowest losses (the highest GRPO reward) and beats the champion's placeholder (loss 9).
    expect(show).toContain(`winner: ${minerHotkey(0)}`);
    expect(show).toContain(`${minerHotkey(0)}  stake 1000  position 1`);

    const bracket = JSON.parse(await god('show', tournamentId, '--json')) as { winner: string; rounds: { bossRound: boolean; pairs: { hotkeys: string[] }[] }[] };
    expect(bracket.winner).toBe(minerHotkey(0));
    expect(bracket.rounds.at(-1)?.bossRound).toBe(true);
    expect(bracket.rounds.at(-1)?.pairs[0]?.hotkeys).toContain(BURN);
    await expect(god('show', 'tourn_nope')).rejects.toThrow(/no tournament "tourn_nope"/);
  });

  it('schedules a tournament now (ignoring the interval), once per type', async () => {
    const created = await god('schedule', '--type', 'text');
    const id = /created text tournament (\S+) \(pending/.exec(created)?.[1];
    expect(id).toBeDefined();
    await expect(god('schedule', '--type', 'text')).rejects.toThrow(new RegExp(`a text tournament is already pending: ${id}`));
    expect(await god('list', '--status', 'pending')).toMatch(new RegExp(`${id}\\s+text\\s+pending`));
    await expect(god('schedule', '--type', 'audio')).rejects.toThrow();
  });

  it('has --help on every subcommand', async () => {
    for (const sub of ['list', 'show', 'schedule']) {
      const program = new Command('god').exitOverride();
      let help = '';
      program.configureOutput({ writeOut: (t) => void (help += t) });
      registerTournament(program, { openDb: () => openDb(), out: () => {} });
      await expect(program.parseAsync(['node', 'god', 'tournament', sub, '--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
      expect(help).toContain(`Usage: god tournament ${sub}`);
    }
  });
});

describe('god api: tournament routes', () => {
  it('serves the analytics under a customer key and the orchestrator admin routes under the admin key', async () => {
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => (stop = r));
    let printed = '';
    const program = new Command().exitOverride();
    registerApi(program, { out: (t) => (printed += t), untilStopped: () => stopped, loadConfig: () => config });
    const run = program.parseAsync(['node', 'god', 'api', '--port', '0', '--no-sandbox', '--no-webhooks']);
    try {
      for (let i = 0; i < 600 && !printed.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
      expect(url, printed).toBeDefined();
      expect(printed).toContain('tournaments: /v1/tournaments/*');
      const call = async (method: string, path: string, key: string | null) => {
        const res = await fetch(`${url}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text
        }
        return { status: res.status, body };
      };

      expect((await call('GET', '/v1/tournaments/latest/details', null)).status).toBe(401);
      const latest = await call('GET', '/v1/tournaments/latest/details', customer);
      expect(latest.status).toBe(200);
      const parsedLatest = latestTournamentsDetailsResponseSchema.parse(latest.body);
      expect(parsedLatest.text?.tournament_id).toBe(tournamentId);
      expect(parsedLatest.text?.winner_hotkey).toBe(minerHotkey(0));
      const details = await call('GET', `/v1/tournaments/${tournamentId}/details`, customer);
      expect(tournamentDetailsResponseSchema.parse(details.body).rounds.length).toBeGreaterThan(1);
      expect(tournamentHistoryResponseSchema.parse((await call('GET', '/v1/tournaments/history', customer)).body).tournaments.map((t) => t.tournament_id)).toContain(tournamentId);

      expect((await call('GET', '/v1/tournament_orchestrator/trainers', customer)).status).toBe(403);
      const before = await call('GET', '/v1/tournament_orchestrator/trainers', admin);
      expect(before.status).toBe(200);
      expect(trainerInfoSchema.array().parse(before.body).map((t) => t.trainer_ip)).toEqual([h.trainer.address]);

      // The configured trainer is reached with its own token; the other one refuses a call without its token.
      const addr = (t: TestTrainer) => t.url.replace(/^http:\/\//, '');
      expect(await call('POST', `/v1/tournament_orchestrator/add_trainer?trainer_ip=${encodeURIComponent(addr(configured))}`, customer)).toMatchObject({ status: 403 });
      expect(await call('POST', `/v1/tournament_orchestrator/add_trainer?trainer_ip=${encodeURIComponent(addr(configured))}`, admin)).toEqual({ status: 200, body: 'Trainer added successfully' });
      const refused = await call('POST', `/v1/tournament_orchestrator/add_trainer?trainer_ip=${encodeURIComponent(addr(stranger))}`, admin);
      expect(refused.status).toBe(502);
      expect(JSON.stringify(refused.body)).toMatch(/HTTP 401/);
      const after = trainerInfoSchema.array().parse((await call('GET', '/v1/tournament_orchestrator/trainers', admin)).body);
      expect(after.find((t) => t.trainer_ip === addr(configured))?.gpus.map((g) => g.gpu_type)).toEqual(['H100', 'H100']);
      expect(after.some((t) => t.trainer_ip === addr(stranger))).toBe(false);
      expect((await call('GET', '/v1/tournament_orchestrator/training_stats', admin)).status).toBe(200);
      expect(await call('DELETE', `/v1/tournament_orchestrator/remove_trainer/${encodeURIComponent(addr(configured))}`, admin)).toEqual({ status: 200, body: 'Trainer removed successfully' });
    } finally {
      stop();
      await run;
    }
  }, 60_000);
});
