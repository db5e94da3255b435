/**
 * The persistent job queue and its worker against real PGlite databases: restart recovery on an on-disk
 * database, the concurrency limit, single-claim, deadlines and attempt limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { minerRules } from '../core/rules/miner.ts';
import { claimMinerJob, enqueueMinerJob, getMinerJob, listMinerJobs, minerLoad } from '../db/queries/miner-jobs.ts';
import { openDb } from '../db/index.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import type { Db } from '../db/types.ts';
import { copyBackend, failBackend } from './backends/simple.ts';
import type { TrainingBackend } from './backends/types.ts';
import type { TrainingJob } from './jobs.ts';
import { MemoryModelHub } from './memory-hub.ts';
import { MinerWorker } from './worker.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const RULES = { ...minerRules, pollSeconds: 0.01 };

function job(taskId: string, hours = 2): TrainingJob {
  return { kind: 'image', taskId, taskType: 'ImageTask', model: 'sdxl', hoursToComplete: hours, expectedRepoName: null, repo: `me/${taskId}`, datasetZip: '/tmp/x.zip', modelType: 'sdxl' };
}

async function enqueue(db: Db, taskId: string, at: Date, hours = 2): Promise<void> {
  await enqueueMinerJob(db, { taskId, endpoint: 'image', taskType: 'ImageTask', model: 'sdxl', expectedRepoName: null, hoursToComplete: hours, job: job(taskId, hours), enqueuedAt: at, backend: 'test' });
}

async function seededHub(): Promise<MemoryModelHub> {
  const hub = new MemoryModelHub();
  await hub.upload('base/model', [{ path: 'model.safetensors', bytes: Buffer.from('w') }]);
  return hub;
}

/** A backend whose jobs wait until released (or aborted), recording how many run at once. */
function gatedBackend() {
  let running = 0;
  let maxRunning = 0;
  const releases: (() => void)[] = [];
  const backend: TrainingBackend = {
    name: 'gated',
    async train(j, ctx) {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await new Promise<void>((resolve, reject) => {
          releases.push(resolve);
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        });
        await ctx.hub.upload(j.repo, [{ path: 'model.safetensors', bytes: Buffer.from(j.taskId) }]);
        return { repo: j.repo };
      } finally {
        running--;
      }
    },
  };
  return { backend, releaseAll: () => releases.splice(0).forEach((r) => r()), get maxRunning() { return maxRunning; }, get waiting() { return releases.length; } };
}

async function until(fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the miner job queue', () => {
  it('survives a crash: a restarted miner re-queues the interrupted job and finishes every job', async () => {
    const t: TestDb = await openTestDb('pglite', { onDisk: true });
    cleanups.push(() => t.cleanup());
    const hub = await seededHub();
    const now = new Date();
    for (const id of ['a', 'b', 'c']) await enqueue(t.db, id, new Date(now.getTime() + id.charCodeAt(0)));
    const gate = gatedBackend();
    const first = new MinerWorker({ db: t.db, backend: gate.backend, hub, rules: { ...RULES, concurrentJobs: 1 }, workerId: 'first' });
    expect(await first.claimAvailable()).toBe(1);
    await until(() => gate.waiting === 1);
    expect((await getMinerJob(t.db, 'a'))?.status).toBe('running');
    // Crash: the process dies with the job running; nothing is marked. Reopen the same data directory.
    await t.db.close();
    const reopened = await openDb({ dataDir: t.location, migrate: true });
    cleanups.push(() => reopened.close());
    const second = new MinerWorker({ db: reopened, backend: copyBackend({ source: 'base/model' }), hub, rules: { ...RULES, concurrentJobs: 1 }, workerId: 'second' });
    expect(await second.start()).toEqual({ requeued: 1, failed: 0 });
    await until(async () => (await listMinerJobs(reopened)).every((r) => r.status === 'completed'));
    await second.stop();
    const rows = await listMinerJobs(reopened);
    expect(rows.map((r) => [r.task_id, r.status, r.attempts, r.submission_repo]).sort()).toEqual([
      ['a', 'completed', 2, 'me/a'],
      ['b', 'completed', 1, 'me/b'],
      ['c', 'completed', 1, 'me/c'],
    ]);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.model_hash ?? ''))).toBe(true);
  });

  it('runs at most concurrentJobs at once, in enqueue order', async () => {
    const t = await openTestDb('pglite');
    cleanups.push(() => t.cleanup());
    const now = Date.now();
    for (let i = 0; i < 5; i++) await enqueue(t.db, `j${i}`, new Date(now + i));
    const gate = gatedBackend();
    const worker = new MinerWorker({ db: t.db, backend: gate.backend, hub: new MemoryModelHub(), rules: { ...RULES, concurrentJobs: 2 } });
    await worker.start();
    cleanups.push(() => worker.stop());
    await until(() => gate.waiting === 2);
    expect(worker.runningJobs.sort()).toEqual(['j0', 'j1']);
    expect(await minerLoad(t.db)).toMatchObject({ queued: 3, running: 2 });
    for (let round = 0; round < 3; round++) {
      gate.releaseAll();
      await until(async () => (await minerLoad(t.db)).queued === 0 || gate.waiting > 0);
    }
    gate.releaseAll();
    await until(async () => (await listMinerJobs(t.db)).every((r) => r.status === 'completed'));
    expect(gate.maxRunning).toBe(2);
  });

  it('hands each job out once even to concurrent claimers, and respects the running limit in the statement', async () => {
    const t = await openTestDb('pglite');
    cleanups.push(() => t.cleanup());
    for (let i = 0; i < 4; i++) await enqueue(t.db, `k${i}`, new Date(Date.now() + i));
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimMinerJob(t.db, `w${i}`, 3, new Date())));
    const claimed = claims.filter((c) => c !== null).map((c) => c?.task_id);
    expect(claimed.length).toBe(3);
    expect(new Set(claimed).size).toBe(3);
  });

  it('a repeated start_training re-queues a queued or failed job but leaves a running one alone', async () => {
    const t = await openTestDb('pglite');
    cleanups.push(() => t.cleanup());
    await enqueue(t.db, 'r', new Date(), 1);
    await enqueue(t.db, 'r', new Date(), 4);
    expect((await getMinerJob(t.db, 'r'))?.hours_to_complete).toBe(4);
    await claimMinerJob(t.db, 'w', 1, new Date());
    await enqueue(t.db, 'r', new Date(), 8);
    expect(await getMinerJob(t.db, 'r')).toMatchObject({ status: 'running', hours_to_complete: 4 });
  });

  it('fails a job whose deadline passes during training, and one that starts after its deadline', async () => {
    const t = await openTestDb('pglite');
    cleanups.push(() => t.cleanup());
    const clock = new ManualClock();
    await enqueue(t.db, 'late', new Date(clock.now() - 3 * 3_600_000), 1);
    await enqueue(t.db, 'slow', clock.date(), 1);
    const gate = gatedBackend();
    const worker = new MinerWorker({ db: t.db, backend: gate.backend, hub: new MemoryModelHub(), rules: { ...RULES, concurrentJobs: 2 }, clock });
    await worker.claimAvailable();
    await until(async () => (await getMinerJob(t.db, 'late'))?.status === 'failed');
    expect((await getMinerJob(t.db, 'late'))?.error).toBe('the deadline passed before training started');
    await until(() => gate.waiting === 1);
    await clock.advance(3_600_000);
    await worker.idle();
    expect(await getMinerJob(t.db, 'slow')).toMatchObject({ status: 'failed', error: 'the deadline passed during training' });
  });

  it('records a backend failure, and gives up on a job after jobMaxAttempts interrupted starts', async () => {
    const t = await openTestDb('pglite');
    cleanups.push(() => t.cleanup());
    await enqueue(t.db, 'f', new Date());
    const worker = new MinerWorker({ db: t.db, backend: failBackend('no GPU here'), hub: new MemoryModelHub(), rules: RULES });
    await worker.claimAvailable();
    await worker.idle();
    expect(await getMinerJob(t.db, 'f')).toMatchObject({ status: 'failed', error: 'no GPU here', attempts: 1 });

    await enqueue(t.db, 'g', new Date());
    await claimMinerJob(t.db, 'dead', 1, new Date()); // a process that died mid-training: attempt 1
    const gate = gatedBackend();
    const rules = { ...RULES, jobMaxAttempts: 2 };
    const w0 = new MinerWorker({ db: t.db, backend: gate.backend, hub: new MemoryModelHub(), rules, workerId: 'w0' });
    expect(await w0.start()).toEqual({ requeued: 1, failed: 0 });
    await until(() => gate.waiting === 1); // attempt 2 running
    await w0.stop(); // a shutdown leaves the job running for the next start
    expect(await getMinerJob(t.db, 'g')).toMatchObject({ status: 'running', attempts: 2 });
    const w1 = new MinerWorker({ db: t.db, backend: failBackend(), hub: new MemoryModelHub(), rules, workerId: 'w1' });
    expect(await w1.start()).toEqual({ requeued: 0, failed: 1 });
    await w1.stop();
    expect(await getMinerJob(t.db, 'g')).toMatchObject({ status: 'failed', error: 'interrupted by a restart; no attempts left' });
  });
});
