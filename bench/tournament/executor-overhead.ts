/**
 * The local executor's start-up overhead per job: a trivial entry script (writes one output file, exits) run through
 * `LocalExecutor.run` — job cgroups, the confinement launcher (namespaces, private tmpfs, rlimits, uid switch,
 * empty environment), Node's permission model, the output poll and the final checks — against a plain
 * `node -e` child doing the same write. Both sides start a fresh Node process, so the difference is the
 * confinement's own cost. Sequential runs, median and mean of each, and their ratio.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { detectHostIsolation } from '../../src/isolation/detect.ts';
import type { PreparedJob } from '../../src/trainer/executor.ts';
import { LOCAL_ENTRY, LocalExecutor } from '../../src/trainer/local-executor.ts';

const SCRIPT = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const argv = process.argv.slice(2);
const out = join(argv[argv.indexOf('--checkpoints-dir') + 1], 't', 'r');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'adapter_model.safetensors'), 'x');
`;

export interface OverheadResult {
  runs: number;
  layers: string[];
  confinedMs: number[];
  /** `node -e` with an empty environment, as the confined job gets (the ratio's baseline). */
  plainMs: number[];
  /** `node -e` with this process's environment (e.g. NODE_EXTRA_CA_CERTS makes every Node start read a CA bundle). */
  inheritedEnvMs: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function plainRun(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  // The same script, the output folder written in (a `-e` program gets no argv of its own).
  const code = SCRIPT.replace("argv[argv.indexOf('--checkpoints-dir') + 1]", JSON.stringify(dir));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore', env });
    child.once('error', reject);
    child.once('close', (c) => (c === 0 ? resolve() : reject(new Error(`node -e exited ${c}`))));
  });
}

export async function measureExecutorOverhead(runs: number): Promise<OverheadResult> {
  const root = mkdtempSync(join(tmpdir(), 'god-bench-executor-'));
  // Job uids must traverse it (mkdtemp makes 0700).
  chmodSync(root, 0o755);
  try {
    const host = detectHostIsolation({ disable: [] });
    const executor = new LocalExecutor({
      host,
      memoryMb: 512,
      pids: 64,
      nofile: 256,
      outputMaxBytes: 64 * 1024 * 1024,
      fileMaxBytes: 64 * 1024 * 1024,
      privateTmpMb: 8,
      outputPollMs: 250,
      maxLineChars: 2000,
      allowWorkers: false,
      engineBundle: async () => null,
    });
    const layers = executor.isolation().filter((l) => l.active).map((l) => l.layer);
    const confinedMs: number[] = [];
    const plainMs: number[] = [];
    const inheritedEnvMs: number[] = [];
    // One warm-up of each (disk cache, cgroup hierarchy), not counted.
    for (let i = -1; i < runs; i++) {
      const jobRoot = join(root, `job-${i + 1}`);
      // As the trainer lays a job out: repo, inputs and outputs inside the job folder (the one carried into the
      // job's private /tmp when it lies below /tmp).
      const repoDir = join(jobRoot, 'repo');
      mkdirSync(join(repoDir, 'scripts'), { recursive: true });
      writeFileSync(join(repoDir, LOCAL_ENTRY.text), SCRIPT);
      const cacheDir = join(jobRoot, 'cache');
      const checkpointsDir = join(jobRoot, 'checkpoints');
      mkdirSync(cacheDir, { recursive: true });
      const job: PreparedJob = {
        jobId: `bench-${process.pid}-${i + 1}`,
        taskId: 't',
        hotkey: 'h',
        taskType: 'InstructTextTask',
        isImage: false,
        model: 'm/m',
        expectedRepoName: 'r',
        gpuIds: [],
        jobRoot,
        repoDir,
        cacheDir,
        checkpointsDir,
        outputDir: join(checkpointsDir, 't', 'r'),
        args: [],
        runBudgetMs: 60_000,
        user: host.userSwitch ? { uid: 230_000 + (i + 1), gid: 230_000 + (i + 1) } : null,
        labels: {},
      };
      const start = performance.now();
      const seen: string[] = [];
      const outcome = await executor.run(job, { onLine: (_s, l) => void seen.push(l), onHandle: async () => {}, onPhase: async () => {}, signal: new AbortController().signal });
      const confined = performance.now() - start;
      if (outcome.kind !== 'exited' || outcome.code !== 0) throw new Error(`confined job did not succeed: ${JSON.stringify(outcome)}: ${seen.slice(-5).join(' / ')}`);
      if (!readdirSync(job.outputDir).includes('adapter_model.safetensors')) throw new Error('confined job wrote no output');

      const plainDir = join(root, `plain-${i + 1}`);
      const t0 = performance.now();
      await plainRun(plainDir, {});
      const plain = performance.now() - t0;
      if (!readdirSync(join(plainDir, 't', 'r')).includes('adapter_model.safetensors')) throw new Error('plain run wrote no output');
      const t1 = performance.now();
      await plainRun(join(root, `inherited-${i + 1}`), process.env);
      const inherited = performance.now() - t1;
      if (i >= 0) {
        confinedMs.push(confined);
        plainMs.push(plain);
        inheritedEnvMs.push(inherited);
      }
    }
    return { runs, layers, confinedMs, plainMs, inheritedEnvMs };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function overheadLines(r: OverheadResult): string[] {
  const cMed = median(r.confinedMs);
  const pMed = median(r.plainMs);
  return [
    `local executor start-up: ${r.runs} sequential jobs, trivial entry script (one output file), layers: ${r.layers.join('; ')}`,
    `  confined (LocalExecutor.run)   median ${cMed.toFixed(0).padStart(5)} ms  mean ${mean(r.confinedMs).toFixed(0).padStart(5)} ms  min ${Math.min(...r.confinedMs).toFixed(0)} ms`,
    `  plain node -e, empty env       median ${pMed.toFixed(0).padStart(5)} ms  mean ${mean(r.plainMs).toFixed(0).padStart(5)} ms  min ${Math.min(...r.plainMs).toFixed(0)} ms`,
    `  plain node -e, this env        median ${median(r.inheritedEnvMs).toFixed(0).padStart(5)} ms  mean ${mean(r.inheritedEnvMs).toFixed(0).padStart(5)} ms  min ${Math.min(...r.inheritedEnvMs).toFixed(0)} ms  (not the baseline: see NODE_EXTRA_CA_CERTS)`,
    `SUMMARY local executor overhead: confined/plain ${(cMed / pMed).toFixed(2)}× (median ${cMed.toFixed(0)} vs ${pMed.toFixed(0)} ms; +${(cMed - pMed).toFixed(0)} ms per job start)`,
  ];
}
