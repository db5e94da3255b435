/**
 * `npm run bench -- devnet [--types instruct,chat,dpo,grpo,image] [--steps N] [--hour-seconds S] [--idle-seconds S]`
 * (`--validator-process`: the validator alone in a child process, see validator-process.ts)
 *
 * What `god devnet --once` does (the same exported functions as src/cli/commands/devnet.ts: startDevnet,
 * createDevnetTask, waitForFinal, summarize, setAndReadWeights), timed by phase, and the validator's own CPU time
 * per task excluding training and evaluation:
 * - training runs in src/ml worker processes forked by the miners' built-in backend, so this process's
 *   `process.cpuUsage()` never contains it;
 * - text evaluation runs inside this process (the validator's BuiltinEvaluationExecutor calls src/ml
 *   synchronously); image evaluation runs in a worker process. The validator's executor is wrapped so the CPU
 *   spent while any evaluation run is in flight (union of the intervals, so overlapping runs are not counted
 *   twice) is measured and subtracted;
 * - everything else in this process is in the remainder: the validator's loops, its PGlite, prep (dataset
 *   download, split, synthetic set), offers, scoring — but also the miners' HTTP servers and PGlite databases, the
 *   embedded chain, the storage server and the bench's own polling. The remainder is therefore an upper bound
 *   on the validator's own CPU. The background rate of the idle devnet (no task) is measured first and shown.
 * Ends with one summary line.
 */
import { join, resolve } from 'node:path';
import os from 'node:os';
import { loadConfig } from '../../src/config/load.ts';
import type { TaskType } from '../../src/core/enums.ts';
import { cleanDevnetHome, createDevnetTask, DEFAULT_MINERS, EVALUATED_TYPES, startDevnet } from '../../src/devnet/devnet.ts';
import { beatsBase } from '../../src/devnet/grpo.ts';
import { setAndReadWeights, summarize, waitForFinal } from '../../src/devnet/run.ts';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import type { EvaluationJob } from '../../src/validator/ports.ts';

const ALIASES: Record<string, TaskType> = { instruct: 'InstructTextTask', chat: 'ChatTask', dpo: 'DpoTask', grpo: 'GrpoTask', image: 'ImageTask' };

// The validator alone in its own process: its CPU per task, nothing else in it (validator-process.ts).
if (process.argv.includes('--validator-process')) {
  await import('./validator-process.ts');
  process.exit(process.exitCode ?? 0);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function num(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const types = arg('types', 'instruct,chat,dpo,image').split(',').map((s) => {
  const t = ALIASES[s.trim()];
  if (!t || !EVALUATED_TYPES.includes(t)) throw new Error(`--types: unknown or uncovered type ${s}`);
  return t;
});
const steps = num('steps', 20);
const hourSeconds = num('hour-seconds', 20);
const idleSeconds = num('idle-seconds', 5);

/** User + system CPU of this process (all its threads) in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Phase { name: string; wallMs: number; cpuMs: number; note: string }
const phases: Phase[] = [];
async function phase<T>(name: string, fn: () => Promise<T>, note = ''): Promise<T> {
  const w = performance.now();
  const c = cpuMs();
  const r = await fn();
  phases.push({ name, wallMs: performance.now() - w, cpuMs: cpuMs() - c, note });
  return r;
}

/** CPU and wall time while at least one evaluation run is in flight. */
const evalStats = { runs: 0, active: 0, cpuMs: 0, wallMs: 0, since: { cpu: 0, wall: 0 } };
function evalEnter(): void {
  if (evalStats.active++ === 0) evalStats.since = { cpu: cpuMs(), wall: performance.now() };
}
function evalLeave(): void {
  if (--evalStats.active === 0) {
    evalStats.cpuMs += cpuMs() - evalStats.since.cpu;
    evalStats.wallMs += performance.now() - evalStats.since.wall;
  }
}

const { config } = loadConfig();
const home = resolve(join(config.general.home, 'devnet-bench'));
const textModel = 'god-local/tinygpt-tiny';
const imageModel = 'god-local/tinydiff-tiny';
const t0 = performance.now();
const cpu0 = cpuMs();

process.stdout.write(`devnet bench: ${types.join(', ')}; ${steps} steps per job; one task hour = ${hourSeconds}s; home ${home}\n`);
await phase('clean home + base-model zoo', async () => {
  await cleanDevnetHome(home);
  await ensureBaseModel(textModel, { home });
  if (types.includes('ImageTask')) await ensureBaseModel(imageModel, { home });
});
const dn = await phase('startDevnet (chain, storage, PGlite ×5, miners, validator)', () => startDevnet({ home, hourSeconds, steps, miners: DEFAULT_MINERS, textModel, imageModel, synthetic: false, weightsLoop: false, sandbox: types.includes('GrpoTask') }));

// Wrap the executor instance the validator's evaluation cycle calls (ctx.executor, read at every run).
const executor = dn.ctx.executor;
const innerRun = executor.run.bind(executor);
executor.run = async (job: EvaluationJob, signal?: AbortSignal) => {
  evalStats.runs++;
  evalEnter();
  try {
    return await innerRun(job, signal);
  } finally {
    evalLeave();
  }
};

let ok = false;
let taskCount = 0;
let statuses = '';
let idleCpuPerS = 0;
let taskPhase: Phase | undefined;
let weightsKind = '';
try {
  await phase(`idle devnet (${idleSeconds}s, no task)`, () => new Promise((r) => setTimeout(r, idleSeconds * 1000)), 'background: chain blocks, metagraph sync, idle loops, miners');
  idleCpuPerS = phases.at(-1)!.cpuMs / (phases.at(-1)!.wallMs / 1000);

  const w = performance.now();
  const c = cpuMs();
  await phase('create tasks (image: generated pairs → blob store)', async () => {
    for (const t of types) await createDevnetTask(dn, t);
  }, 'part of the task phase');
  const tasks = await phase('validator runs the tasks to a final state', () => waitForFinal(dn, 600_000), 'part of the task phase');
  taskPhase = { name: 'task phase', wallMs: performance.now() - w, cpuMs: cpuMs() - c, note: '' };
  taskCount = tasks.length;
  statuses = tasks.map((t) => `${t.task_type}=${t.status}`).join(', ');

  const lines = await phase('summary (base-model loss, in process)', () => summarize(dn, home), 'evaluation work of the CLI summary, not the validator');
  const weights = await phase('set weights + read back', () => setAndReadWeights(dn));
  weightsKind = weights.attempt.kind;
  ok = weights.attempt.kind === 'set' && lines.every((l) => l.task.status === 'success' && l.winner !== null && beatsBase(l.task.task_type, l.winner.test_loss, l.baseLoss));
} finally {
  await phase('stop', () => dn.stop());
}

const totalWallS = (performance.now() - t0) / 1000;
const totalCpuMs = cpuMs() - cpu0;
for (const p of phases) {
  process.stdout.write(`  ${p.name.padEnd(58)} wall ${(p.wallMs / 1000).toFixed(1).padStart(6)} s  cpu ${(p.cpuMs / 1000).toFixed(2).padStart(6)} s${p.note ? `  (${p.note})` : ''}\n`);
}
if (!taskPhase || taskCount === 0) throw new Error('no task phase measured');
const taskWallS = taskPhase.wallMs / 1000;
const remainderMs = taskPhase.cpuMs - evalStats.cpuMs;
const perTask = remainderMs / taskCount;
const background = idleCpuPerS * taskWallS;
const perTaskNet = Math.max(0, remainderMs - background) / taskCount;
process.stdout.write(`  tasks: ${statuses}; weights ${weightsKind}; ${ok ? 'every winner beats the base model' : 'NOT every task succeeded with a winner beating the base model'}\n`);
process.stdout.write(`  task phase: process CPU ${(taskPhase.cpuMs / 1000).toFixed(2)} s; evaluation runs ${evalStats.runs}, CPU while in flight ${(evalStats.cpuMs / 1000).toFixed(2)} s (wall ${(evalStats.wallMs / 1000).toFixed(1)} s); remainder ${(remainderMs / 1000).toFixed(2)} s\n`);
process.stdout.write(`  remainder per task ${perTask.toFixed(0)} ms (upper bound: includes miners, chain, storage, polling); minus the idle background rate (${idleCpuPerS.toFixed(0)} ms/s × ${taskWallS.toFixed(1)} s) ${perTaskNet.toFixed(0)} ms\n`);
process.stdout.write(`  whole run: wall ${totalWallS.toFixed(1)} s, this process's CPU ${(totalCpuMs / 1000).toFixed(2)} s; machine ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}\n`);
process.stdout.write(
  `SUMMARY devnet --once (${types.length} tasks: ${types.map((t) => Object.keys(ALIASES).find((k) => ALIASES[k] === t)).join(',')}; ${steps} steps; ${hourSeconds}s/hour): ` +
    `wall ${totalWallS.toFixed(0)} s (tasks ${taskWallS.toFixed(0)} s); validator-process CPU excl. training+evaluation ${perTask.toFixed(0)} ms/task upper bound ` +
    `(${perTaskNet.toFixed(0)} ms/task above the idle background; target < 50 ms) ; ${ok ? 'all succeeded' : 'NOT all succeeded'}\n`,
);
process.exitCode = ok ? 0 : 1;
