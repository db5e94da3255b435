/**
 * Stress script for the local executor's confined launch (not a vitest file; run it by hand, as root for the full
 * confinement):
 *
 *   npx tsx test/trainer/launch-stress.ts [--jobs 50] [--concurrency 4] [--handle-delay-ms 0] [--budget-ms 20000]
 *
 * Launches many trivial jobs (`console.log('x'); process.exit(3)`) through the real LocalExecutor with every layer
 * this host offers, and reports per job how long each step took (handle recorded, phase `running`, first output line,
 * outcome). A job that has not finished within its budget + 5 s is reported as HUNG with the last step it reached.
 * `--handle-delay-ms` makes the `onHandle` hook slow, as the trainer's fsync'd state write is on a loaded machine:
 * before the fix, a child that exited during that await lost its 'close' event and hung the job forever.
 * `--real-store [--store-kb 512]` makes the hooks write a real JobStore of that size instead (fsync, serialised).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectHostIsolation } from '../../src/isolation/detect.ts';
import type { PreparedJob, RunOutcome } from '../../src/trainer/executor.ts';
import { LOCAL_ENTRY, LocalExecutor } from '../../src/trainer/local-executor.ts';
import { JobStore, type JobRecord } from '../../src/trainer/store.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    'handle-delay-ms': { type: 'string', default: '0' },
    'budget-ms': { type: 'string', default: '20000' },
    script: { type: 'string', default: "console.log('x'); process.exit(3);\n" },
    'real-store': { type: 'boolean', default: false },
    'store-kb': { type: 'string', default: '512' },
  },
});
const jobs = Number(values.jobs);
const concurrency = Number(values.concurrency);
const handleDelayMs = Number(values['handle-delay-ms']);
const budgetMs = Number(values['budget-ms']);

// --real-store: the hooks write a real JobStore (fsync'd, serialised) of about --store-kb, as the trainer does.
const storeRoot = mkdtempSync(join(tmpdir(), 'god-launch-stress-store-'));
const { store } = await JobStore.open(join(storeRoot, 'state.json'));
if (values['real-store']) {
  const filler = { job_id: 'filler', logs: ['x'.repeat(Number(values['store-kb']) * 1024)] } as unknown as JobRecord;
  store.all = () => [filler];
}
const persist = () => (values['real-store'] ? store.persist() : Promise.resolve());
const host = detectHostIsolation();
for (const w of host.warnings) console.log(`[isolation] ${w}`);
const root = mkdtempSync(join(tmpdir(), 'god-launch-stress-'));
chmodSync(root, 0o755);
const executor = new LocalExecutor({
  host,
  memoryMb: 512,
  pids: 64,
  nofile: 256,
  outputMaxBytes: 1024 * 1024,
  fileMaxBytes: 1024 * 1024,
  privateTmpMb: 8,
  outputPollMs: 100,
  maxLineChars: 2000,
  allowWorkers: false,
});

interface Trace {
  id: number;
  t0: number;
  steps: string[];
  outcome: RunOutcome | null;
  lines: string[];
}

function prepare(i: number): PreparedJob {
  const jobRoot = join(root, `job-${i}`);
  const repoDir = join(jobRoot, 'repo');
  mkdirSync(join(repoDir, 'scripts'), { recursive: true });
  writeFileSync(join(repoDir, LOCAL_ENTRY.text), values.script);
  const cacheDir = join(jobRoot, 'cache');
  const checkpointsDir = join(jobRoot, 'checkpoints');
  mkdirSync(cacheDir, { recursive: true });
  return {
    jobId: `stress-${process.pid}-${i}`,
    taskId: `task-${i}`,
    hotkey: 'hk',
    taskType: 'InstructTextTask',
    isImage: false,
    model: 'a/b',
    expectedRepoName: `repo-${i}`,
    gpuIds: [],
    jobRoot,
    repoDir,
    cacheDir,
    checkpointsDir,
    outputDir: join(checkpointsDir, `task-${i}`, `repo-${i}`),
    args: [],
    runBudgetMs: budgetMs,
    user: host.userSwitch ? { uid: 230_000 + i, gid: 230_000 + i } : null,
    labels: {},
  };
}

async function one(i: number): Promise<Trace> {
  const trace: Trace = { id: i, t0: Date.now(), steps: [], outcome: null, lines: [] };
  const mark = (s: string) => trace.steps.push(`${s}@${Date.now() - trace.t0}ms`);
  const controller = new AbortController();
  const run = executor.run(prepare(i), {
    signal: controller.signal,
    onLine: (stream, line) => {
      if (!trace.lines.length) mark('first-line');
      trace.lines.push(`${stream}: ${line}`);
    },
    onHandle: async (h) => {
      mark(h.kind === 'local' && h.pid !== null ? `handle(pid ${h.pid})` : 'handle(cgroups)');
      if (handleDelayMs) await new Promise((r) => setTimeout(r, handleDelayMs));
      await persist();
    },
    onPhase: async (phase) => {
      mark(phase);
      await persist();
    },
  });
  const hung = new Promise<'hung'>((r) => setTimeout(() => r('hung'), budgetMs + 5000).unref());
  const result = await Promise.race([run, hung]);
  if (result === 'hung') {
    mark('HUNG');
    controller.abort();
  } else {
    trace.outcome = result;
    mark('done');
  }
  return trace;
}

const traces: Trace[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < jobs) traces.push(await one(next++));
  }),
);
traces.sort((a, b) => a.id - b.id);
let bad = 0;
for (const t of traces) {
  const ok = t.outcome?.kind === 'exited' && t.outcome.code === 3 && t.lines.includes('stdout: x');
  if (!ok) bad++;
  if (!ok || jobs <= 10) console.log(`${ok ? 'ok  ' : 'BAD '} job ${t.id}: ${t.steps.join(' → ')} | ${JSON.stringify(t.outcome)} | ${t.lines.slice(0, 3).join(' / ')}`);
}
console.log(`${jobs} jobs, concurrency ${concurrency}, handle delay ${handleDelayMs} ms: ${jobs - bad} ok, ${bad} bad, ${((Date.now() - started) / 1000).toFixed(1)} s`);
rmSync(root, { recursive: true, force: true });
rmSync(storeRoot, { recursive: true, force: true });
process.exit(bad ? 1 : 0);
