/**
 * `npm run bench -- devnet --validator-process [--types instruct,chat,dpo,grpo,image] [--per-type N] [--steps N]
 * [--hour-seconds S] [--warmup-seconds S] [--warm-tasks N] [--postgres [--tcp]]` (GOD_BENCH_CPU_PROF=dir adds a CPU profile by category;
 * GOD_BENCH_QUERY_STATS=1 prints the busy child's statements by count and time; GOD_BENCH_CHILD_LOG=dir keeps each
 * child's log lines in dir/busy.log and dir/twin.log)
 *
 * The validator's own CPU per task, excluding training and evaluation. The devnet's chain, storage and miners run in
 * this process; two validators run in child processes (test/devnet/kill-child.ts), each alone in its process, on
 * their own PGlite directory (or PostgreSQL database): the busy one creates the tasks and runs them to the end,
 * its idle twin runs the same loops with no task over the same window. The busy child's evaluation executor sends
 * each job to this process over IPC, which runs the built-in evaluator (downloads and src/ml worker processes) as
 * an evaluation container would in production; training runs in the miners' workers. Neither is in either
 * child's `process.cpuUsage()`. What the
 * busy child spends above its twin, per task, is the validator's work for a task: prep (building the built-in
 * datasets, split, synthetic set, JSON upload), offers and training requests over signed HTTP, deadlines, the
 * evaluator's bookkeeping, scoring, and the extra loop passes a task causes. Before the window the busy child runs
 * `--warm-tasks` tasks of each type (default 1) to the end, as a validator that has been up a while has: what a
 * fresh process pays once (V8 compiling the task path, zod compiling its parsers, lazily loaded modules) is then
 * reported apart, as start-up is, and the window measures the steady cost per task. `--warm-tasks 0` measures a
 * fresh process instead. Running both at once is what makes the
 * subtraction hold on a shared machine: the load weighs on both alike. `--postgres` connects over the server's Unix
 * socket; `--tcp` over TCP loopback instead.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDevnetChain } from '../../src/chain/devnet/index.ts';
import type { TaskType } from '../../src/core/enums.ts';
import { openDb } from '../../src/db/index.ts';
import { DEFAULT_MINERS, startDevnet } from '../../src/devnet/devnet.ts';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { DEVNET_GRPO_EVAL } from '../../src/devnet/grpo.ts';
import { HttpModelHub } from '../../src/storage/hub/client.ts';
import { httpFetcher } from '../../src/validator/adapters/fetch.ts';
import { BuiltinEvaluationExecutor } from '../../src/validator/evaluation/builtin.ts';
import type { EvaluationJob } from '../../src/validator/ports.ts';
import { temporaryPostgres } from '../support/postgres.ts';
import { perTaskAboveTwin } from './profile.ts';

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
const warmupSeconds = num('warmup-seconds', 15);
const warmPerType = Number(arg('warm-tasks', '1'));
if (!Number.isInteger(warmPerType) || warmPerType < 0) throw new Error('--warm-tasks must be a whole number ≥ 0');
const warmTasks = types.flatMap((t) => Array.from({ length: warmPerType }, () => t));
// With --postgres the validator uses a throwaway PostgreSQL server (its own process), as in production; by default
// the embedded PGlite, whose database engine then runs inside the validator's process and counts in its CPU.
const pg = process.argv.includes('--postgres') ? await temporaryPostgres('devnet') : null;
if (typeof pg === 'string') throw new Error(`--postgres: ${pg}`);
const tcp = process.argv.includes('--tcp');
const pgUrl = pg ? (tcp ? pg.url : pg.socketUrl) : '';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../../test/devnet/kill-child.ts', import.meta.url));
const home = mkdtempSync(join(os.tmpdir(), 'god-bench-validator-'));
const create = types.flatMap((t) => Array.from({ length: perType }, () => t));
process.stdout.write(`devnet validator-process bench: ${create.length} tasks (${types.join(', ')} × ${perType}) after ${warmTasks.length} warm-up tasks; ${steps} steps; one task hour = ${hourSeconds}s\n`);
const t0 = performance.now();
await ensureBaseModel('god-local/tinygpt-tiny', { home });
if (types.includes('ImageTask')) await ensureBaseModel('god-local/tinydiff-tiny', { home });
// Not the mainnet netuid: there, miners whose recent scores are all zero stop receiving offers (validator.md §7.1), so
// after the warm-up tasks only their winners would be offered the measured ones. Off mainnet every task goes to
// every miner, as in a fresh process, and the work per task stays the same from run to run.
const BENCH_NETUID = 156;
const dn = await startDevnet({ home, hourSeconds, steps, miners: DEFAULT_MINERS, runValidator: false, netuid: BENCH_NETUID });
const chain = await serveDevnetChain(dn.chain);
interface ChildReport {
  startup_cpu_ms: number;
  warm_tasks?: number;
  warm_cpu_ms?: number;
  loops_cpu_ms: number;
  loops_wall_ms: number;
  tasks: number;
  cpu_marks?: { idleStartNs: number; idleEndNs: number; tasksStartNs: number; tasksEndNs: number };
}
interface Child {
  report: Promise<ChildReport>;
  warm: Promise<void>;
  weightsCpuMs: () => number | null;
  send: (word: string) => void;
  exit: Promise<number | null>;
}
const profDir = process.env.GOD_BENCH_CPU_PROF;
const evaluator = new BuiltinEvaluationExecutor({ fetch: httpFetcher, hub: new HttpModelHub({ baseUrl: dn.storage.baseUrl }), home, grpo: DEVNET_GRPO_EVAL, textInWorker: true });
function startChild(args: Record<string, unknown>, name: string): Child {
  const child = spawn(process.execPath, [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`] : []), '--import', 'tsx', CHILD, JSON.stringify(args)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  // Evaluation requests from the child (remoteEval): run here, as an evaluation container would, and answer.
  const running = new Map<number, AbortController>();
  child.on('message', (m: { kind: string; id: number; job?: EvaluationJob }) => {
    if (m.kind === 'cancel') running.get(m.id)?.abort();
    if (m.kind !== 'evaluate' || !m.job) return;
    const ac = new AbortController();
    running.set(m.id, ac);
    evaluator.run(m.job, ac.signal).then(
      (result) => child.send({ kind: 'evaluated', id: m.id, result }),
      (err: unknown) => child.send({ kind: 'evaluated', id: m.id, error: err instanceof Error ? err.message : String(err) }),
    ).finally(() => running.delete(m.id));
  });
  let buffer = '';
  let weights: number | null = null;
  let onReport: (r: ChildReport) => void = () => {};
  let onWarm: () => void = () => {};
  const report = new Promise<ChildReport>((r) => (onReport = r));
  const warm = new Promise<void>((r) => (onWarm = r));
  const logFile = process.env.GOD_BENCH_CHILD_LOG ? join(process.env.GOD_BENCH_CHILD_LOG, `${name}.log`) : null;
  child.stdout!.on('data', (d: Buffer) => {
    if (logFile) appendFileSync(logFile, d);
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === 'validator cpu') onReport(j as unknown as ChildReport);
        if (j.msg === 'validator warm') onWarm();
        if (j.msg === 'weights cpu') weights = j.weights_cpu_ms as number;
      } catch {
        // not a log line
      }
    }
  });
  const exit = new Promise<number | null>((r) => child.once('exit', r));
  return { report, warm, weightsCpuMs: () => weights, send: (w) => child.stdin!.write(`${w}\n`), exit };
}

let busy: ChildReport;
let idle: ChildReport;
let weightsCpuMs: number | null = null;
let statuses = '';
let minersPerTask = 0;
try {
  // Two validators side by side from the same moment: the busy one runs the tasks, its idle twin (own database, no
  // tasks) runs the same loops against the same chain over the same window, so the machine's load — this box is
  // shared — weighs on both alike and the twin's CPU is the background to subtract. Neither sets weights in the
  // window (they share the hotkey); the busy one then sets weights once over the finished tasks, timed apart.
  const dirs = { busy: join(home, 'validator-db'), twin: join(home, 'twin-db') };
  const target = async (dir: string, name: string): Promise<{ dataDir: string; databaseUrl?: string }> => {
    if (!pg) return { dataDir: dir };
    if (name === 'busy') return { dataDir: dir, databaseUrl: pgUrl };
    const admin = await openDb({ databaseUrl: pgUrl });
    await admin.exec('CREATE DATABASE twin');
    await admin.close();
    return { dataDir: dir, databaseUrl: pgUrl.replace(/\/postgres(\?|$)/, '/twin$1') };
  };
  const targets = { busy: await target(dirs.busy, 'busy'), twin: await target(dirs.twin, 'twin') };
  for (const t of Object.values(targets)) await (await openDb({ ...(t.databaseUrl ? { databaseUrl: t.databaseUrl } : { dataDir: t.dataDir }), migrate: true })).close();
  const common = { home, hourSeconds, t0: dn.clock.now(), r0: Date.now(), chainUrl: chain.url, storageUrl: dn.storage.baseUrl, netuid: dn.ctx.netuid, cpu: true, sandbox: types.includes('GrpoTask'), gate: true, weights: false, remoteEval: true, warmupSeconds };
  const b = startChild({ ...common, ...targets.busy, create, warmTasks }, 'busy');
  const tw = startChild({ ...common, ...targets.twin, create: [] }, 'twin');
  await Promise.all([b.warm, tw.warm]);
  b.send('go');
  tw.send('go');
  busy = await b.report;
  tw.send('stop');
  idle = await tw.report;
  const [cb, ct] = await Promise.all([b.exit, tw.exit]);
  if (cb !== 0 || ct !== 0) throw new Error(`validator children exited with ${cb} and ${ct}`);
  weightsCpuMs = b.weightsCpuMs();
  const after = await openDb(pg ? { databaseUrl: pgUrl } : { dataDir: dirs.busy });
  const { rows } = await after.query<{ task_type: string; status: string }>('SELECT task_type::text, status FROM tasks ORDER BY created_at');
  statuses = rows.map((r) => `${r.task_type}=${r.status}`).join(', ');
  const assigned = await after.query<{ n: number; tasks: number }>('SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM task_nodes');
  minersPerTask = (assigned.rows[0]?.n ?? 0) / Math.max(1, assigned.rows[0]?.tasks ?? 0);
  await after.close();
} finally {
  await chain.server.close();
  await dn.stop();
  rmSync(home, { recursive: true, force: true });
  pg?.stop();
}
const tasks = busy.tasks || create.length;
const idleRate = idle.loops_cpu_ms / (idle.loops_wall_ms / 1000);
const perTask = busy.loops_cpu_ms / tasks;
const aboveIdle = (busy.loops_cpu_ms - idleRate * (busy.loops_wall_ms / 1000)) / tasks;
const ok = statuses.split(', ').every((s) => s.endsWith('=success'));
process.stdout.write(`  tasks: ${statuses}\n  miners assigned per task: ${minersPerTask.toFixed(2)} (of ${DEFAULT_MINERS.length})\n`);
process.stdout.write(
  `  busy validator: start-up ${(busy.startup_cpu_ms / 1000).toFixed(2)} s CPU;${busy.warm_tasks ? ` ${busy.warm_tasks} warm-up tasks ${(busy.warm_cpu_ms! / busy.warm_tasks).toFixed(0)} ms CPU each (background included);` : ''} window ${(busy.loops_cpu_ms / 1000).toFixed(2)} s CPU over ${(busy.loops_wall_ms / 1000).toFixed(0)} s wall\n` +
    `  idle twin:      window ${(idle.loops_cpu_ms / 1000).toFixed(2)} s CPU over ${(idle.loops_wall_ms / 1000).toFixed(0)} s wall (${idleRate.toFixed(1)} ms CPU per wall second)\n` +
    (weightsCpuMs === null ? '' : `  one weight setting over the ${tasks} scored tasks (scores file included): ${weightsCpuMs.toFixed(0)} ms CPU\n`),
);
if (profDir && busy.cpu_marks && idle.cpu_marks) {
  // Each child's main thread: its worker threads (the sandbox pool) write their own, smaller profiles next to it.
  const mainProfile = (name: string) =>
    readdirSync(join(profDir, name))
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profDir, name, f))
      .sort((x, y) => statSync(y).size - statSync(x).size)[0];
  writeFileSync(join(profDir, 'validator-cpu-report.json'), JSON.stringify({ busy, idle }));
  const [bp, tp] = [mainProfile('busy'), mainProfile('twin')];
  if (bp && tp) {
    const lines = perTaskAboveTwin({ file: bp, startNs: busy.cpu_marks.tasksStartNs, endNs: busy.cpu_marks.tasksEndNs }, { file: tp, startNs: idle.cpu_marks.tasksStartNs, endNs: idle.cpu_marks.tasksEndNs }, tasks);
    for (const line of lines) process.stdout.write(`${line}\n`);
  }
}
process.stdout.write(`  whole run ${((performance.now() - t0) / 1000).toFixed(0)} s; machine ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}\n`);
process.stdout.write(
  `SUMMARY devnet validator process on ${pg ? `PostgreSQL (${tcp ? 'TCP' : 'Unix socket'})` : 'PGlite'} (${tasks} tasks${warmTasks.length ? ` after ${warmTasks.length} warm-up` : ', fresh process'}: ${types.map((t) => Object.keys(ALIASES).find((k) => ALIASES[k] === t)).join(',')} × ${perType}; ${hourSeconds}s/hour): ` +
    `validator CPU excl. training+evaluation ${aboveIdle.toFixed(0)} ms/task above its idle twin (${perTask.toFixed(0)} ms/task with the background; target < 50 ms); ${ok ? 'all succeeded' : 'NOT all succeeded'}\n`,
);
process.exitCode = ok ? 0 : 1;
