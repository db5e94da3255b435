/**
 * `npm run bench -- devnet --validator-process [--types instruct,chat,dpo,grpo,image] [--per-type N] [--steps N]
 * [--hour-seconds S] [--idle-seconds S] [--warmup-seconds S] [--postgres]`
 *
 * The validator's own CPU per task, excluding training and evaluation, measured in a process that runs nothing
 * else: the devnet's chain, storage and miners run in this process; the validator runs alone in a child process
 * (test/devnet/kill-child.ts) on a PGlite directory, with every evaluation (text too) in src/ml worker processes
 * and the Python sandbox (GRPO reward checks at prep) in its own worker thread pool. Training runs in the miners'
 * worker processes. The child reports `process.cpuUsage()` from "validator started" on: a warm-up, then an idle window
 * (no task; metagraph sync, idle loops polling PGlite, the weights loop), then the tasks it creates itself, to the end.
 * What remains in that CPU is the validator's work: prep (building the built-in datasets, split, synthetic set,
 * JSON upload), offers and training requests over signed HTTP, deadlines, downloading repos for the evaluator,
 * parsing results, scoring, weights, and the loops' polling.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDevnetChain } from '../../src/chain/devnet/index.ts';
import type { TaskType } from '../../src/core/enums.ts';
import { openDb } from '../../src/db/index.ts';
import { DEFAULT_MINERS, startDevnet } from '../../src/devnet/devnet.ts';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { temporaryPostgres } from '../support/postgres.ts';

const ALIASES: Record<string, TaskType> = { instruct: 'InstructTextTask', chat: 'ChatTask', dpo: 'DpoTask', grpo: 'GrpoTask', image: 'ImageTask' };
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const num = (name: string, fallback: number): number => {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const types = arg('types', 'instruct,chat,dpo,grpo,image').split(',').map((s) => {
  const t = ALIASES[s.trim()];
  if (!t) throw new Error(`--types: unknown type ${s}`);
  return t;
});
const perType = num('per-type', 1);
const steps = num('steps', 20);
const hourSeconds = num('hour-seconds', 20);
const idleSeconds = num('idle-seconds', 30);
const warmupSeconds = num('warmup-seconds', 15);
// With --postgres the validator uses a throwaway PostgreSQL server (its own process), as in production; by default
// the embedded PGlite, whose database engine then runs inside the validator's process and counts in its CPU.
const pg = process.argv.includes('--postgres') ? await temporaryPostgres('devnet') : null;
if (typeof pg === 'string') throw new Error(`--postgres: ${pg}`);
const dbTarget = (dataDir: string) => (pg ? { databaseUrl: pg.url } : { dataDir });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../../test/devnet/kill-child.ts', import.meta.url));
const home = mkdtempSync(join(os.tmpdir(), 'god-bench-validator-'));
const create = types.flatMap((t) => Array.from({ length: perType }, () => t));
process.stdout.write(`devnet validator-process bench: ${create.length} tasks (${types.join(', ')} × ${perType}); ${steps} steps; one task hour = ${hourSeconds}s\n`);
const t0 = performance.now();
await ensureBaseModel('god-local/tinygpt-tiny', { home });
if (types.includes('ImageTask')) await ensureBaseModel('god-local/tinydiff-tiny', { home });
const dn = await startDevnet({ home, hourSeconds, steps, miners: DEFAULT_MINERS, runValidator: false });
const chain = await serveDevnetChain(dn.chain);
let report: Record<string, number> | null = null;
let statuses = '';
try {
  const dataDir = join(home, 'validator-db');
  const db = await openDb({ ...dbTarget(dataDir), migrate: true });
  await db.close();
  const args = { home, dataDir, hourSeconds, t0: dn.clock.now(), r0: Date.now(), chainUrl: chain.url, storageUrl: dn.storage.baseUrl, netuid: dn.ctx.netuid, cpu: true, sandbox: types.includes('GrpoTask'), idleSeconds, warmupSeconds, ...(pg ? { databaseUrl: pg.url } : {}), create };
  const child = spawn(process.execPath, [...(process.env.GOD_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GOD_BENCH_CPU_PROF}`] : []), '--import', 'tsx', CHILD, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === 'validator cpu') report = j as Record<string, number>;
      } catch {
        // not a log line
      }
    }
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`validator child exited with ${code}`);
  const after = await openDb(dbTarget(dataDir));
  const { rows } = await after.query<{ task_type: string; status: string }>('SELECT task_type::text, status FROM tasks ORDER BY created_at');
  statuses = rows.map((r) => `${r.task_type}=${r.status}`).join(', ');
  await after.close();
} finally {
  await chain.server.close();
  await dn.stop();
  rmSync(home, { recursive: true, force: true });
  pg?.stop();
}
if (!report) throw new Error('the validator child reported no CPU');
const r = report as Record<string, number>;
const tasks = r.tasks || create.length;
const idleRate = r.idle_cpu_ms! / (r.idle_wall_ms! / 1000);
const perTask = r.loops_cpu_ms! / tasks;
const aboveIdle = Math.max(0, r.loops_cpu_ms! - idleRate * (r.loops_wall_ms! / 1000)) / tasks;
const ok = statuses.split(', ').every((s) => s.endsWith('=success'));
process.stdout.write(`  tasks: ${statuses}\n`);
process.stdout.write(`  validator process: start-up ${(r.startup_cpu_ms! / 1000).toFixed(2)} s CPU; idle ${idleRate.toFixed(1)} ms CPU per wall second over ${(r.idle_wall_ms! / 1000).toFixed(0)} s; task phase ${(r.loops_cpu_ms! / 1000).toFixed(2)} s CPU over ${(r.loops_wall_ms! / 1000).toFixed(0)} s wall\n`);
process.stdout.write(`  whole run ${((performance.now() - t0) / 1000).toFixed(0)} s; machine ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}\n`);
process.stdout.write(
  `SUMMARY devnet validator process on ${pg ? 'PostgreSQL' : 'PGlite'} (${tasks} tasks: ${types.map((t) => Object.keys(ALIASES).find((k) => ALIASES[k] === t)).join(',')} × ${perType}; ${hourSeconds}s/hour): ` +
    `validator CPU excl. training+evaluation ${perTask.toFixed(0)} ms/task (${aboveIdle.toFixed(0)} ms/task above its idle rate; target < 50 ms); ${ok ? 'all succeeded' : 'NOT all succeeded'}\n`,
);
process.exitCode = ok ? 0 : 1;
