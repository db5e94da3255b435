/**
 * `god validator` with tournaments on, as a real process on a PGlite project database in a temp GOD_HOME: it
 * registers the configured trainer, schedules and enters tournaments (signed pings to loopback miners), creates
 * round tasks with its own synthetic task creator; SIGTERM stops it cleanly. Started again on the same directory it
 * continues the same tournaments — no new tournament, no second entry, no duplicate round or task — and gets them
 * further (trainings started on the trainer).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/index.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { saveHotkey } from '../../src/keys/wallet.ts';
import { BURN, commitOf, FakeMiners, FakeTrainer, minerHotkey, seedNodes } from './support.ts';

const GOD = join(import.meta.dirname, '../../bin/god.js');
const MINERS = 8;
let home: string;
let miners: FakeMiners;
let trainer: FakeTrainer;

interface Run {
  lines: { msg?: string; [k: string]: unknown }[];
  code: number | null;
  signal: string | null;
}

/** Runs the validator until `ready` holds for its log lines (or 150 s), then SIGTERMs it and waits for the exit. */
async function runValidator(ready: (lines: Run['lines']) => boolean): Promise<Run> {
  const child = spawn(
    process.execPath,
    [GOD, 'validator', '--port', '0', '--no-synthetic', '--wallet-path', join(home, 'wallets'), '--wallet', 'v', '--hotkey', 'h'],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GOD_HOME: home,
        GOD_LOG_LEVEL: 'info',
        // Every tournament loop every second, instead of every 15 minutes.
        GOD_TOURNAMENT__LOOP_INTERVAL_SECONDS: '1',
        GOD_ORCHESTRATOR__TRAINERS: JSON.stringify([{ url: trainer.address, token: 'tok-for-this-trainer' }]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Run['lines'] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Run['lines'][number]);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 150_000;
  while (!ready(lines) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  const wasReady = ready(lines);
  child.kill('SIGTERM');
  const exit = await exited;
  if (!wasReady) throw new Error(`validator never got ready (exit ${exit.code}/${exit.signal}); stderr: ${stderr.slice(-2000)}; last lines: ${JSON.stringify(lines.slice(-15))}`);
  return { lines, ...exit };
}

const has = (msg: string, n = 1) => (lines: Run['lines']) => lines.filter((l) => l.msg === msg).length >= n;

async function snapshot() {
  const db = await openDb({ dataDir: join(home, 'db') });
  try {
    const q = async <T>(sql: string) => (await db.query<T>(sql)).rows;
    return {
      tournaments: await q<{ tournament_id: string; tournament_type: string; status: string }>('SELECT tournament_id, tournament_type, status FROM tournaments ORDER BY tournament_id'),
      participants: await q<{ tournament_id: string; hotkey: string }>('SELECT tournament_id, hotkey FROM tournament_participants ORDER BY 1, 2'),
      rounds: await q<{ round_id: string }>('SELECT round_id FROM tournament_rounds ORDER BY 1'),
      tasks: await q<{ task_id: string; round_id: string; slot: number | null; group_id: string | null; pair_id: string | null }>(
        'SELECT task_id::text AS task_id, round_id, slot, group_id, pair_id FROM tournament_tasks ORDER BY 2, 1',
      ),
      trainers: await q<{ trainer_ip: string }>('SELECT DISTINCT trainer_ip FROM trainers_gpus ORDER BY 1'),
      trainings: await q<{ n: number }>('SELECT count(*)::int AS n FROM tournament_task_hotkey_trainings'),
    };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  await initCrypto();
  home = mkdtempSync(join(tmpdir(), 'god-validator-tourn-'));
  saveHotkey({ root: join(home, 'wallets'), wallet: 'v', hotkey: 'h' }, Sr25519Keypair.fromUri('//TournamentValidator'));
  miners = await new FakeMiners().start();
  trainer = await new FakeTrainer([
    { gpu_id: 0, gpu_type: 'H100', vram_gb: 80 },
    { gpu_id: 1, gpu_type: 'H100', vram_gb: 80 },
    { gpu_id: 2, gpu_type: 'A100', vram_gb: 80 },
  ]).start();
  const nodes = [{ hotkey: BURN, alphaStake: 0, port: miners.port }];
  for (let i = 0; i < MINERS; i++) {
    nodes.push({ hotkey: minerHotkey(i), alphaStake: 1000 + 10 * i, port: miners.port });
    miners.answers.set(minerHotkey(i), { github_repo: `https://github.com/miner${i}/G.O.D`, commit_hash: commitOf(i) });
  }
  // The metagraph as a chain sync would have left it (this validator runs without a chain).
  const db = await openDb({ dataDir: join(home, 'db'), migrate: true });
  await seedNodes(db, nodes);
  await db.close();
});

afterAll(async () => {
  await miners?.close();
  await trainer?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('god validator with tournaments', () => {
  it('stops cleanly on SIGTERM and continues the same tournaments after a restart', async () => {
    // Run 1: until both tournaments are entered and round tasks exist.
    const first = await runValidator((l) => has('tournament service running')(l) && has('round task created', 2)(l));
    expect(first.code, JSON.stringify(first.lines.filter((l) => (l.level as number) >= 50).slice(0, 5))).toBe(0);
    expect(first.lines.some((l) => l.msg === 'trainer registered' && l.trainer_ip === trainer.address)).toBe(true);
    expect(first.lines.some((l) => l.msg === 'validator running' && l.tournaments === true)).toBe(true);
    expect(first.lines.at(-1)?.msg).not.toBe('validator running');
    const a = await snapshot();
    expect(a.tournaments.map((t) => t.tournament_type).sort()).toEqual(['image', 'text']);
    expect(a.tournaments.every((t) => t.status === 'active')).toBe(true);
    expect(a.participants.filter((p) => p.hotkey !== BURN)).toHaveLength(2 * MINERS);
    expect(a.trainers).toEqual([{ trainer_ip: trainer.address }]);
    expect(a.tasks.length).toBeGreaterThanOrEqual(2);

    // Run 2 on the same directory: the same tournaments go on until trainings reach the trainer.
    const startsBefore = trainer.starts().starts;
    const second = await runValidator((l) => has('training started', 2)(l));
    expect(second.code).toBe(0);
    expect(second.lines.some((l) => l.msg === 'tournament created')).toBe(false);
    expect(second.lines.some((l) => l.msg === 'tournament entry')).toBe(false);
    // Already registered: not registered again.
    expect(second.lines.some((l) => l.msg === 'trainer registered')).toBe(false);
    const b = await snapshot();
    expect(b.tournaments.map((t) => t.tournament_id)).toEqual(a.tournaments.map((t) => t.tournament_id));
    expect(b.participants).toEqual(a.participants);
    expect(b.rounds.map((r) => r.round_id)).toEqual(a.rounds.map((r) => r.round_id));
    // Every task of run 1 is still there or was replaced by the lifecycle (its prep failed), and no slot got a
    // second task.
    const replaced = new Set(second.lines.filter((l) => l.msg === 'tournament task replaced').map((l) => String(l.old_task_id)));
    for (const t of a.tasks) expect(b.tasks.some((x) => x.task_id === t.task_id) || replaced.has(t.task_id), t.task_id).toBe(true);
    const slots = b.tasks.map((t) => `${t.round_id}/${t.group_id ?? t.pair_id}/${t.slot}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(b.trainings[0]!.n).toBeGreaterThan(0);
    expect(trainer.starts().starts).toBeGreaterThan(startsBefore);
    // No (task, hotkey) was started twice across the restart.
    expect(trainer.starts().starts).toBe(trainer.starts().jobs);
  }, 400_000);
});
