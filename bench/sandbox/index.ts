/**
 * `npm run bench -- sandbox [--completions N] [--subprocess N]`
 *
 * A typical code-executing reward function (the library's `code_output_match`: run the completion's program with
 * the row's input, compare the output) over N completions (default 1,000), through the isolated pool:
 * 1. cold start of one sandbox process without and with the start-up snapshot (and the snapshot's making);
 * 2. warm, one completion per call (2 processes, 2 calls in flight): calls/s, p50/p99 latency;
 * 3. warm, the whole batch in one call (what GRPO evaluation does);
 * 4. baselines on the same programs: CPython `exec` in-process (unsafe ceiling) and one CPython subprocess per
 *    program (the naive safe approach; `--subprocess` programs, default 200).
 * Ends with one summary line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sandbox, libraryFunction } from '../../src/sandbox/index.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

const N = arg('completions', 1000);
const SUBPROCESS_N = Math.min(N, arg('subprocess', 200));
const here = dirname(fileURLToPath(import.meta.url));

// --- workload: small competitive-programming programs, each with its own input and expected output ----------
const programs: string[] = [];
const inputs: string[] = [];
const expected: string[] = [];
for (let i = 0; i < N; i++) {
  const n = 50 + (i % 50);
  programs.push(
    `n = int(input())\nk = int(input())\ntotal = 0\nfor i in range(1, n + 1):\n    total += (i * i) % k\nprint(total)\nprint(sorted(str(total))[-1])\n`,
  );
  inputs.push(`${n}\n${7 + (i % 13)}`);
  let total = 0;
  for (let j = 1; j <= n; j++) total += (j * j) % (7 + (i % 13));
  expected.push(`${total}\n${[...String(total)].sort().at(-1)}\n`);
}
const completions = programs.map((p, i) => (i % 10 === 9 ? `Here you go:\n\`\`\`python\n${p.replace('total = 0', 'total = 1')}\`\`\`` : `Here you go:\n\`\`\`python\n${p}\`\`\``));
const extra = inputs.map((input, i) => ({ input, expected_output: expected[i] }));
const reward = libraryFunction('code_output_match').code;
const wantScores = completions.map((_, i) => (i % 10 === 9 ? 0.1 : 1));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

// --- 1. cold start ----------------------------------------------------------------------------------------
async function coldStart(useSnapshot: boolean, snapshotDir: string): Promise<{ ms: number; bootMs: number; madeMs: number | null }> {
  const started = performance.now();
  const box = await Sandbox.start({ rules: { poolSize: 1, useSnapshot }, snapshotDir });
  const ms = performance.now() - started;
  const stats = box.stats();
  const check = await box.restrictedExecution('print(1)');
  if (check.output !== '1\n') throw new Error(`cold-started sandbox answered ${JSON.stringify(check)}`);
  await box.close();
  return { ms, bootMs: stats.bootMs[0] ?? NaN, madeMs: stats.snapshotMadeMs };
}

const snapshotDir = mkdtempSync(join(os.tmpdir(), 'god-bench-snap-'));
const plain = await coldStart(false, snapshotDir);
const making = await coldStart(true, snapshotDir);
const fromSnapshot: number[] = [];
for (let i = 0; i < 3; i++) fromSnapshot.push((await coldStart(true, snapshotDir)).ms);
rmSync(snapshotDir, { recursive: true, force: true });
console.log(`cold start, no snapshot:      ${fmt(plain.ms)} ms to a warm process (Pyodide boot ${plain.bootMs} ms)`);
console.log(`snapshot made once in:        ${fmt(making.madeMs ?? NaN)} ms`);
console.log(`cold start from the snapshot: ${fromSnapshot.map(fmt).join(', ')} ms (median ${fmt(percentile(fromSnapshot, 50))})`);

// --- 2./3. warm pool ---------------------------------------------------------------------------------------
const box = await Sandbox.start({ rules: { poolSize: 2 } });
const layers = box.isolation;
// Warm-up: JIT, the function's first compile in each process.
await Promise.all([0, 1].map((i) => box.scoreCompletions([reward], [1], [completions[i] as string], [extra[i]])));

const latencies: number[] = [];
let next = 0;
const perCallStart = performance.now();
await Promise.all(
  [0, 1].map(async () => {
    while (next < N) {
      const i = next++;
      const t = performance.now();
      const result = await box.scoreCompletions([reward], [1], [completions[i] as string], [extra[i]]);
      latencies.push(performance.now() - t);
      if (result.totals?.[0] !== wantScores[i]) throw new Error(`completion ${i}: score ${JSON.stringify(result)}`);
    }
  }),
);
const perCallSeconds = (performance.now() - perCallStart) / 1000;
const callRate = N / perCallSeconds;

const batchStart = performance.now();
const batch = await box.scoreCompletions([reward], [1], completions, extra);
const batchMs = performance.now() - batchStart;
if (JSON.stringify(batch.totals) !== JSON.stringify(wantScores)) throw new Error(`batch scores differ: ${batch.error}`);
await box.close();
console.log(`warm, 1 completion per call:  ${callRate.toFixed(0)} calls/s, p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms (${N} calls, 2 processes)`);
console.log(`warm, whole batch in 1 call:  ${fmt(batchMs)} ms for ${N} completions = ${(N / (batchMs / 1000)).toFixed(0)} completions/s`);

// --- 4. baselines ------------------------------------------------------------------------------------------
function baseline(mode: 'exec' | 'subprocess', count: number): { rate: number; p50: number; p99: number; python: string } {
  const result = spawnSync('python3', [join(here, 'baseline.py')], {
    input: JSON.stringify({ mode, programs: programs.slice(0, count), inputs: inputs.slice(0, count) }),
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.status !== 0) throw new Error(`python3 baseline (${mode}) failed: ${result.stderr || result.error?.message}`);
  const parsed = JSON.parse(result.stdout) as { latencies_ms: number[]; outputs: string[]; python: string };
  parsed.outputs.forEach((out, i) => {
    if (out !== expected[i]) throw new Error(`baseline ${mode} output ${i} differs`);
  });
  const seconds = parsed.latencies_ms.reduce((a, b) => a + b, 0) / 1000;
  return { rate: count / seconds, p50: percentile(parsed.latencies_ms, 50), p99: percentile(parsed.latencies_ms, 99), python: parsed.python };
}
const inProcess = baseline('exec', N);
const subprocess = baseline('subprocess', SUBPROCESS_N);
console.log(`CPython ${inProcess.python} exec in-process:  ${inProcess.rate.toFixed(0)} programs/s, p50 ${fmt(inProcess.p50)} ms, p99 ${fmt(inProcess.p99)} ms (unsafe ceiling)`);
console.log(`CPython subprocess per call:  ${subprocess.rate.toFixed(1)} programs/s, p50 ${fmt(subprocess.p50)} ms, p99 ${fmt(subprocess.p99)} ms (${SUBPROCESS_N} programs)`);
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(
  `isolation: permission ${layers.permissionFlag ?? 'none'}, namespaces ${layers.namespaces ? 'yes' : 'no'}, memory cgroup ${layers.cgroup ? `v${layers.cgroup.version}` : 'no'}; ` +
    `machine: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, load average ${load}`,
);
console.log(
  `SUMMARY sandbox: cold start ${fmt(plain.ms)} ms, from snapshot ${fmt(percentile(fromSnapshot, 50))} ms; warm ${callRate.toFixed(0)} calls/s ` +
    `(p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms), batch ${(N / (batchMs / 1000)).toFixed(0)} completions/s; ` +
    `CPython exec ${inProcess.rate.toFixed(0)}/s, subprocess ${subprocess.rate.toFixed(1)}/s`,
);
