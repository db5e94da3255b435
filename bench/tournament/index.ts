/**
 * bench/tournament: the lifecycle's and orchestrator's own overhead for a 64-participant text tournament, with
 * simulated trainers (loopback HTTP, every job done at once, no ML) and losses written in place of evaluation.
 *
 *   npm run bench -- tournament [--miners 64] [--driver pglite] [--executor-runs 20] [--executor-only]
 *
 * Measured per phase on one process and one PGlite database: entry (64 signed pings, ranking, entrants), each
 * round's set-up (task creation in their link transactions, assignments), the orchestrator's passes over the round
 * (trainings created, GPUs booked, starts sent, polled, handed off) and the advance (winner rules, eliminations,
 * next round). The time spent in the evaluation stand-in is excluded.
 *
 * Then the trainer's local executor start-up overhead per job (executor-overhead.ts): a trivial training script
 * through the confinement against a plain `node -e` spawn, as a ratio.
 */
import { performance } from 'node:perf_hooks';
import { openTestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { lifecycleUntilIdle, schedulingPass } from '../../src/tournament/lifecycle.ts';
import { fetchPass, handOffPass, monitorPass, schedulePass } from '../../src/tournament/orchestrator.ts';
import { measureExecutorOverhead, overheadLines } from './executor-overhead.ts';
import { BURN, evaluateTournamentTasks, finishGeneralCopies, harness, minerHotkey, tournamentRows } from '../../test/tournament/support.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const MINERS = arg('miners', 64);
const log = (line: string) => process.stdout.write(`${line}\n`);
const EXECUTOR_RUNS = arg('executor-runs', 20);

if (process.argv.includes('--executor-only')) {
  for (const line of overheadLines(await measureExecutorOverhead(EXECUTOR_RUNS))) log(line);
  process.exit(0);
}

const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 100;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

await initCrypto();
const t = await openTestDb('pglite');
const gpus = Array.from({ length: 256 }, (_, i) => ({ gpu_id: i, gpu_type: 'H100', vram_gb: 80 }));
const h = await harness({ db: t.db, miners: MINERS, rules: { topNByStake: MINERS }, gpus });
const ctx = h.ctx;
const q = async (sql: string) => (await t.db.query<{ n: number }>(sql)).rows[0]?.n ?? 0;

const timings: { phase: string; ms: number; note: string }[] = [];
async function timed<T>(phase: string, fn: () => Promise<T>, note: (r: T) => string = () => ''): Promise<T> {
  const start = performance.now();
  const r = await fn();
  timings.push({ phase, ms: performance.now() - start, note: note(r) });
  return r;
}

const wall = performance.now();
await timed('schedule tournament', () => schedulingPass(ctx), (ids) => `${ids.length} created`);
await timed('entry (ping, rank, enter)', () => lifecycleUntilIdle(ctx, 1), () => `${MINERS} miners asked`);
let round = 0;
let trainings = 0;
let lifecycleMs = 0;
let orchestratorMs = 0;
for (let i = 0; i < 50; i++) {
  const s = performance.now();
  await lifecycleUntilIdle(ctx);
  const setup = performance.now() - s;
  lifecycleMs += setup;
  const rounds = await q('SELECT count(*)::int AS n FROM tournament_rounds');
  if (rounds > round) {
    round = rounds;
    const tasks = await q(`SELECT count(*)::int AS n FROM tournament_tasks tt JOIN tournament_rounds r ON r.round_id = tt.round_id WHERE r.round_number = ${round}`);
    timings.push({ phase: `round ${round}: advance + set-up`, ms: setup, note: `${tasks} tasks` });
  }
  const o = performance.now();
  await fetchPass(ctx);
  const started = await schedulePass(ctx);
  await monitorPass(ctx);
  await handOffPass(ctx);
  const orch = performance.now() - o;
  orchestratorMs += orch;
  if (started > 0) {
    trainings += started;
    timings.push({ phase: `round ${round}: orchestrator`, ms: orch, note: `${started} trainings started, polled, handed off` });
  }
  await evaluateTournamentTasks(t.db, loss);
  await finishGeneralCopies(t.db, () => 1.0);
  await h.clock.advance(ctx.rules.loopIntervalSeconds * 1000);
  const [tour] = await tournamentRows(t.db);
  if (tour?.status === 'completed') {
    timings.push({ phase: 'completion', ms: 0, note: `winner ${tour.winner_hotkey === minerHotkey(0) ? 'miner 0 (expected)' : tour.winner_hotkey}` });
    break;
  }
}
const total = performance.now() - wall;
const [tour] = await tournamentRows(t.db);
const tasks = await q('SELECT count(*)::int AS n FROM tournament_tasks');
const kinds = (await t.db.query<{ round_number: number; round_type: string }>('SELECT round_number, round_type FROM tournament_rounds ORDER BY 1')).rows.map((r) => r.round_type[0]).join('');
log(`tournament bench: ${MINERS} participants, text, PGlite, ${gpus.length} simulated GPUs`);
for (const x of timings) log(`  ${x.phase.padEnd(36)} ${x.ms.toFixed(0).padStart(7)} ms  ${x.note}`);
log(`SUMMARY tournament ${MINERS} participants: ${round} rounds (${kinds}), ${tasks} tasks, ${trainings} trainings; lifecycle ${(lifecycleMs / 1000).toFixed(2)} s, orchestrator ${(orchestratorMs / 1000).toFixed(2)} s (${((trainings / orchestratorMs) * 1000).toFixed(0)} trainings/s), total ${(total / 1000).toFixed(1)} s incl. evaluation stand-in; status ${tour?.status}, winner ${tour?.winner_hotkey === minerHotkey(0) ? 'as expected' : 'UNEXPECTED'}`);
await h.close();
await t.cleanup();

for (const line of overheadLines(await measureExecutorOverhead(EXECUTOR_RUNS))) log(line);
