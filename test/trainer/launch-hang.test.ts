/**
 * The launch hang (docs/trainer.md, "Launch hang"): a job must end at its deadline whatever state its launch is in,
 * a child that exits while the trainer is still awaiting a launch step must not be lost, and `close()` must return
 * even when an executor never does. Runs the real LocalExecutor with every isolation layer this host offers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { systemClock } from '../../src/clock/index.ts';
import { trainerRules } from '../../src/core/rules/trainer.ts';
import { detectHostIsolation } from '../../src/isolation/detect.ts';
import { silentLogger } from '../../src/log/index.ts';
import type { Executor, PreparedJob, RunHooks, RunOutcome } from '../../src/trainer/executor.ts';
import { parseGpuList } from '../../src/trainer/gpus.ts';
import { LOCAL_ENTRY, LocalExecutor, processesOfUid, type LocalExecutorOptions } from '../../src/trainer/local-executor.ts';
import { TrainerService } from '../../src/trainer/service.ts';
import type { JobHandle } from '../../src/trainer/store.ts';
import { hubWithBaseModel, makeRepo, scratch, textRequest } from './helpers.ts';

const root = scratch('god-launch-hang-');
afterAll(() => rm(root, { recursive: true, force: true }));
const host = detectHostIsolation();
const uidBase = 240_000 + Math.floor(Math.random() * 1000) * 16;
const never = <T>() => new Promise<T>(() => undefined);

function executor(extra: Partial<LocalExecutorOptions> = {}): LocalExecutor {
  return new LocalExecutor({ host, memoryMb: 256, pids: 32, nofile: 128, outputMaxBytes: 1 << 20, fileMaxBytes: 1 << 20, privateTmpMb: 4, outputPollMs: 50, maxLineChars: 2000, allowWorkers: false, stopGraceMs: 300, ...extra });
}

let seq = 0;
function job(script: string, runBudgetMs: number): PreparedJob {
  const i = seq++;
  const jobRoot = join(root, `job-${i}`);
  const repoDir = join(jobRoot, 'repo');
  mkdirSync(join(repoDir, 'scripts'), { recursive: true });
  writeFileSync(join(repoDir, LOCAL_ENTRY.text), script);
  mkdirSync(join(jobRoot, 'cache'), { recursive: true });
  const checkpointsDir = join(jobRoot, 'checkpoints');
  return {
    jobId: `hang-${process.pid}-${i}`,
    taskId: `t${i}`,
    hotkey: 'hk',
    taskType: 'InstructTextTask',
    isImage: false,
    model: 'a/b',
    expectedRepoName: `r${i}`,
    gpuIds: [],
    jobRoot,
    repoDir,
    cacheDir: join(jobRoot, 'cache'),
    checkpointsDir,
    outputDir: join(checkpointsDir, `t${i}`, `r${i}`),
    args: [],
    runBudgetMs,
    user: host.userSwitch ? { uid: uidBase + i, gid: uidBase + i } : null,
    labels: {},
  };
}

interface Recorded {
  lines: string[];
  phases: string[];
  handles: JobHandle[];
}

function hooks(over: Partial<RunHooks> = {}): RunHooks & Recorded {
  const r: Recorded = { lines: [], phases: [], handles: [] };
  return Object.assign(r, {
    signal: new AbortController().signal,
    onLine: (stream: string, line: string) => void r.lines.push(`${stream}: ${line}`),
    onHandle: async (h: JobHandle) => void r.handles.push(h),
    onPhase: async (phase: string) => void r.phases.push(phase),
    ...over,
  });
}

const PRINT_AND_EXIT = "console.log('x'); process.exit(3);\n";

describe('local executor: the deadline does not depend on the launch', () => {
  it('a launch step that never completes (the engine bundle) ends at the deadline, and nothing is spawned later', async () => {
    const h = hooks();
    const t0 = Date.now();
    const outcome = await executor({ engineBundle: never }).run(job(PRINT_AND_EXIT, 400), h);
    const took = Date.now() - t0;
    expect(outcome).toEqual({ kind: 'deadline', during: 'building the engine bundle' });
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(400 + 300 + 1500);
    expect(h.phases).toEqual([]);
    expect(h.lines.some((l) => l.includes('had not returned 300 ms after the kill (stage: building the engine bundle)'))).toBe(true);
  });

  it('a state write that never completes (onHandle) ends at the deadline', async () => {
    const h = hooks({ onHandle: never });
    const outcome = await executor().run(job(PRINT_AND_EXIT, 300), h);
    expect(outcome).toEqual({ kind: 'deadline', during: 'recording the job handle' });
    expect(h.phases).toEqual([]);
  });

  it('a trainer abort while a launch step hangs ends the run within the stop grace', async () => {
    const controller = new AbortController();
    const h = hooks({ signal: controller.signal, onPhase: never });
    setTimeout(() => controller.abort(), 200);
    const t0 = Date.now();
    const outcome = await executor().run(job(PRINT_AND_EXIT, 60_000), h);
    expect(outcome).toMatchObject({ kind: 'exited', signal: 'SIGKILL', lastError: 'stopped by the trainer' });
    expect(Date.now() - t0).toBeLessThan(200 + 300 + 1500);
  });

  it('a running program past its deadline is killed with everything it started', async () => {
    const h = hooks();
    const j = job("console.log('up'); setInterval(() => {}, 1000);\n", 4000);
    const outcome = await executor({ stopGraceMs: 5000 }).run(j, h);
    expect(outcome).toEqual({ kind: 'deadline', during: 'running' });
    expect(h.lines).toContain('stdout: up');
    // The launch itself returned (after its sweep of the cgroups and the uid), not the stop grace.
    expect(h.lines.filter((l) => l.includes('[trainer]'))).toEqual([]);
    if (j.user) expect(processesOfUid(j.user.uid)).toEqual([]);
  });
});

describe('local executor: a child that exits during a slow state write is not lost', () => {
  // Before the fix: spawn → await onHandle (the trainer's fsync'd state write) → attach listeners. A child that
  // exited meanwhile had its output drained by Node and its 'close' emitted to nobody: `running` forever, no output.
  it('prints and exits while the handle write is still in flight: its line and exit code arrive', async () => {
    const h = hooks({
      onHandle: async (handle) => {
        if (handle.kind === 'local' && handle.pid !== null) await new Promise((r) => setTimeout(r, 2500));
      },
    });
    const outcome = await executor().run(job(PRINT_AND_EXIT, 20_000), h);
    expect(outcome).toEqual({ kind: 'exited', code: 3, signal: null, lastError: null });
    expect(h.lines).toContain('stdout: x');
  });
});

/** An executor whose run never returns, whatever it is told (a hung launch in any executor). */
class HungExecutor implements Executor {
  readonly kind = 'local' as const;
  started = 0;
  isolation() {
    return [];
  }
  run(_job: PreparedJob, hooks: RunHooks): Promise<RunOutcome> {
    this.started++;
    return hooks.onPhase('running', 'starting').then(never<RunOutcome>);
  }
  async recover(): Promise<void> {}
}

describe('trainer service: stopping never blocks on a hung executor', () => {
  async function serviceWith(executor: Executor, dataDir: string) {
    const repo = makeRepo(root, `repo-${seq++}`, { 'scripts/text_trainer.mjs': PRINT_AND_EXIT });
    const service = await TrainerService.open({
      dataDir,
      executor,
      hub: await hubWithBaseModel(),
      fetchDataset: async (_url, target) => {
        writeFileSync(target, '[]');
        return 2;
      },
      gpus: parseGpuList('1xH100'),
      repoPolicy: { allowedHosts: [], allowLocal: true, localRoots: [root] },
      hubNamespace: 'rayonlabs',
      limits: { cloneTimeoutMs: 30_000, maxRepoBytes: 1 << 24, maxDatasetBytes: 1 << 20, maxModelBytes: 1 << 24, downloadTimeoutMs: 10_000, outputMaxBytes: 1 << 20, outputMaxFiles: 100, maxLogEntries: 100, maxTailLines: 50, msPerHour: 3_600_000 },
      users: null,
      deadlinePolicy: 'fail',
      rules: { ...trainerRules, cleanupIntervalSeconds: 0 },
      clock: systemClock,
      logger: silentLogger(),
      stopGraceMs: 300,
    });
    const started = await service.start(textRequest({ repo: repo.path, commit: repo.commit, taskId: `task-${seq}`, hotkey: '5hk', datasetUrl: 'http://127.0.0.1:9/d.json', gpuIds: [0] }));
    expect(started.status).toBe(200);
    return { service, taskId: `task-${seq}` };
  }

  async function untilRunning(service: TrainerService, taskId: string) {
    for (let i = 0; i < 200 && service.job(taskId, '5hk')?.phase !== 'running'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(service.job(taskId, '5hk')?.phase).toBe('running');
  }

  it('close() returns within the grace and records the job as a retryable failure', async () => {
    const hung = new HungExecutor();
    const { service, taskId } = await serviceWith(hung, join(scratch('god-launch-hang-svc-'), 'data'));
    await untilRunning(service, taskId);
    const t0 = Date.now();
    await service.close();
    expect(Date.now() - t0).toBeLessThan(300 + 1500);
    const rec = service.job(taskId, '5hk')!;
    expect(rec).toMatchObject({ status: 'failure', phase: 'done', retryable: true });
    expect(rec.error).toMatch(/did not stop within the grace/);
  });

  it('the stale-job cleanup gives up on a job its executor never ends', async () => {
    const { service, taskId } = await serviceWith(new HungExecutor(), join(scratch('god-launch-hang-svc-'), 'data'));
    await untilRunning(service, taskId);
    const rec = service.job(taskId, '5hk')!;
    // Pretend the run began long ago: past hours_to_complete plus the grace.
    rec.run_started_at = new Date(Date.now() - 10 * 3_600_000).toISOString();
    await service.cleanupOnce();
    for (let i = 0; i < 100 && rec.status === 'training'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rec).toMatchObject({ status: 'failure', retryable: true });
    expect(rec.error).toMatch(/deadline plus grace/);
    const t0 = Date.now();
    await service.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
