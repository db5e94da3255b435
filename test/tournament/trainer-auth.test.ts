/**
 * The tournament's trainer client against real trainers (src/trainer, real local executor) on loopback: the
 * orchestrator registers a trainer, starts a job and polls it to success with the trainer's own token; a token
 * scoped to another trainer, a wrong one or none is answered 401 and never blamed on the miner.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { listGpus } from '../../src/db/queries/tournament-training.ts';
import { silentLogger } from '../../src/log/index.ts';
import { tournamentContext, type TournamentContext } from '../../src/tournament/context.ts';
import { registerTrainer, TrainerRegistrationError } from '../../src/tournament/orchestrator.ts';
import { TrainerHttpError } from '../../src/tournament/ports.ts';
import { tournamentRules } from '../../src/core/rules/tournament.ts';
import { registerConfiguredTrainers, scopedTrainerClient, type TrainerEntry } from '../../src/tournament/trainer-registry.ts';
import type { HttpTrainerClient } from '../../src/tournament/trainer-client.ts';
import { seededRandom } from '../../src/validator/rng.ts';
import { GOOD_SCRIPT, datasetServer, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer } from '../trainer/helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const rules = { ...tournamentRules, trainerCallAttempts: 1, trainerHttpTimeoutSeconds: 20 };

let root: string;
let a: TestTrainer;
let b: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repo: { path: string; commit: string };
let t: TestDb;

const hostPort = (tr: TestTrainer) => tr.url.replace(/^http:\/\//, '');
const client = (trainers: TrainerEntry[], fallbackToken: string | null = null) => scopedTrainerClient(rules, { trainers, fallbackToken });
const ctxWith = (trainers: HttpTrainerClient): TournamentContext =>
  tournamentContext({
    db: t.db,
    clock: new ManualClock(Date.now()),
    log: silentLogger(),
    random: seededRandom(1),
    netuid: 56,
    rules,
    repos: { get: async () => null },
    tasks: { create: async () => 'unused' },
    trainers,
  });

beforeAll(async () => {
  root = scratch('god-tourn-trainer-auth-');
  data = await datasetServer({ 'train.json': JSON.stringify([{ instruction: 'a', output: 'b' }]) });
  repo = makeRepo(root, 'miner', { 'scripts/text_trainer.mjs': GOOD_SCRIPT, 'scripts/image_trainer.mjs': GOOD_SCRIPT });
  a = await startTestTrainer({ dataDir: `${root}/a`, localRoots: [root], gpus: '2xH100' });
  b = await startTestTrainer({ dataDir: `${root}/b`, localRoots: [root], gpus: '1xA100' });
  t = await openTestDb('pglite');
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await data?.close();
  await t?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('tournament trainer client ↔ trainer authentication', () => {
  it('registers, starts and polls a job to success with each trainer’s own token', async () => {
    // Configured as a base URL, called by host:port (as add_trainer stores it): the same trainer, the same token.
    const scoped = client([
      { url: a.url, token: a.token },
      { url: hostPort(b), token: b.token },
    ]);
    const ctx = ctxWith(scoped);
    expect(await registerConfiguredTrainers(ctx, [{ url: hostPort(a), token: a.token }, { url: b.url, token: b.token }])).toHaveLength(2);
    const gpus = await listGpus(t.db);
    expect(gpus.map((g) => `${g.trainer_ip}/${g.gpu_id}/${g.gpu_type}`).sort()).toEqual([`${b.url}/0/A100`, `${hostPort(a)}/0/H100`, `${hostPort(a)}/1/H100`].sort());
    // Registering again is a no-op: both are known.
    expect(await registerConfiguredTrainers(ctx, [{ url: a.url, token: a.token }])).toEqual([]);

    const request = textRequest({ repo: repo.path, commit: repo.commit, taskId: 'tourn-task-1', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [1] });
    expect(await scoped.startTraining(hostPort(a), request)).toEqual({ kind: 'started' });
    // Idempotent on the trainer: a repeated start (a restarted orchestrator) is "started" again, nothing new runs.
    expect(await scoped.startTraining(a.url, request)).toEqual({ kind: 'started' });
    let status = 'training';
    for (let i = 0; i < 600 && status === 'training'; i++) {
      const job = await scoped.taskDetails(hostPort(a), 'tourn-task-1', HOTKEY);
      expect(job).not.toBeNull();
      status = job!.status;
      if (status === 'training') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('success');
    expect((await a.hub.snapshot(`rayonlabs/${request.training_data.expected_repo_name}`))?.map((f) => f.path).sort()).toEqual(['adapter_model.safetensors', 'config.json']);
    expect(await scoped.taskDetails(hostPort(a), 'unknown-task', HOTKEY)).toBeNull();
    // Trainer B never saw the job (and its own token works there).
    expect(await scoped.taskDetails(b.url, 'tourn-task-1', HOTKEY)).toBeNull();
    // Each trainer's /metrics counts its own jobs by state.
    expect(await (await fetch(`${a.url}/metrics`)).text()).toContain('god_trainer_jobs{state="success",role="trainer"} 1');
    expect(await (await fetch(`${b.url}/metrics`)).text()).toContain('god_trainer_jobs{state="success",role="trainer"} 0');
  }, 120_000);

  it('answers 401 to a token scoped to another trainer, a wrong token and no token, without failing the miner', async () => {
    const request = textRequest({ repo: repo.path, commit: repo.commit, taskId: 'tourn-task-2', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0] });
    const cases: [string, HttpTrainerClient][] = [
      ["B's token sent to A", client([{ url: a.url, token: b.token }])],
      ['a wrong token', client([{ url: a.url, token: 'godt_not-the-token' }])],
      ['no token (not configured, no fallback)', client([])],
      ['an entry without a token and no fallback', client([{ url: a.url, token: null }])],
    ];
    for (const [why, c] of cases) {
      const gpu = await c.gpuAvailability(hostPort(a)).then(
        () => null,
        (err: unknown) => err,
      );
      expect(gpu, why).toBeInstanceOf(TrainerHttpError);
      expect((gpu as TrainerHttpError).status, why).toBe(401);
      const start = await c.startTraining(hostPort(a), request);
      // Retryable: a credential problem is the operator's, so the orchestrator must not fail the training for good.
      expect(start, why).toMatchObject({ kind: 'refused', retry: true });
      expect(start.kind === 'refused' && start.error, why).toMatch(/credentials \(HTTP 401\)/);
      await expect(c.taskDetails(hostPort(a), 'tourn-task-1', HOTKEY), why).rejects.toMatchObject({ status: 401 });
      const registered = await registerTrainer(ctxWith(c), hostPort(a)).catch((err: unknown) => err);
      expect(registered, why).toBeInstanceOf(TrainerRegistrationError);
      expect((registered as TrainerRegistrationError).status, why).toBe(502);
    }
    // Nothing was started by any of them.
    const job = await client([{ url: a.url, token: a.token }]).taskDetails(hostPort(a), 'tourn-task-2', HOTKEY);
    expect(job).toBeNull();
    // The fallback token reaches trainers that are not listed.
    expect((await client([], b.token).gpuAvailability(b.url)).map((g) => g.gpu_type)).toEqual(['A100']);
  }, 60_000);
});
