/**
 * `god_trainer_jobs_finished_total` on the trainer's `/metrics`, from real jobs on the local executor: a job that
 * trains and publishes (success), one whose script fails (failure), one killed at its deadline (timeout) and one
 * stopped by the trainer shutting down (cancelled).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_SCRIPT, datasetServer, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer } from './helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
// The run budget is hours_to_complete seconds here.
const MS_PER_HOUR = 1000;

let root: string;
let trainer: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repos: Record<'good' | 'bad' | 'sleepy', { path: string; commit: string }>;

beforeAll(async () => {
  root = scratch('god-trainer-metrics-');
  data = await datasetServer({ 'train.json': JSON.stringify([{ instruction: 'a', output: 'b' }]) });
  repos = {
    good: makeRepo(root, 'good', { 'scripts/text_trainer.mjs': GOOD_SCRIPT }),
    bad: makeRepo(root, 'bad', { 'scripts/text_trainer.mjs': `console.error('out of ideas'); process.exit(3);` }),
    sleepy: makeRepo(root, 'sleepy', { 'scripts/text_trainer.mjs': `console.log('sleeping'); setTimeout(() => process.exit(0), 120_000);` }),
  };
  trainer = await startTestTrainer({ dataDir: `${root}/state`, localRoots: [root], overrides: { limits: { msPerHour: MS_PER_HOUR } } });
}, 60_000);

afterAll(async () => {
  await trainer?.close();
  await data?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function finished(outcome: string): Promise<number> {
  const text = await (await fetch(`${trainer.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`god_trainer_jobs_finished_total{outcome="${outcome}",`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function start(repo: keyof typeof repos, taskId: string, hours: number): Promise<void> {
  const request = textRequest({ repo: repos[repo].path, commit: repos[repo].commit, taskId, hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0], hours });
  const res = await trainer.call('POST', '/v1/trainer/start_training', request);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('trainer jobs finished, by outcome', () => {
  it('counts success, failure, timeout and cancelled from real runs', async () => {
    expect(await finished('success')).toBe(0);

    await start('good', 'okay0001-task', 60);
    expect((await trainer.waitDone('okay0001-task', HOTKEY)).status).toBe('success');
    expect(await finished('success')).toBe(1);

    await start('bad', 'fail0001-task', 60);
    expect((await trainer.waitDone('fail0001-task', HOTKEY)).status).toBe('failure');
    expect(await finished('failure')).toBe(1);

    // A 1 s budget for a script that sleeps two minutes: the executor kills it at the deadline.
    await start('sleepy', 'late0001-task', 1);
    const late = await trainer.waitDone('late0001-task', HOTKEY, 60_000);
    expect(late.status).toBe('failure');
    expect(late.logs.join('\n')).toContain('exceeded its deadline');
    expect(await finished('timeout')).toBe(1);
    expect(await finished('failure')).toBe(1);

    // Shutting the service down stops the running job; /metrics is still served until the server closes.
    await start('sleepy', 'stop0001-task', 600);
    for (let i = 0; i < 400 && trainer.service.job('stop0001-task', HOTKEY)?.phase !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(trainer.service.job('stop0001-task', HOTKEY)?.phase).toBe('running');
    await trainer.service.close();
    expect(trainer.service.job('stop0001-task', HOTKEY)?.status).toBe('failure');
    expect(await finished('cancelled')).toBe(1);
    expect([await finished('success'), await finished('failure'), await finished('timeout')]).toEqual([1, 1, 1]);
  }, 120_000);
});
