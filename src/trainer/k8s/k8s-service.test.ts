/**
 * The trainer service with `executor: 'kubernetes'` against the fake API server: the executor is built from the
 * options (a kubeconfig file), the Job's subPath mounts name folders the trainer really prepared on the shared
 * data directory, what the "pod" writes under its checkpoints mount is published, and a restarted trainer deletes
 * the Job a dead one left behind.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubernetesApi, type JobBody } from '../../k8s/testing/fake-api.ts';
import { datasetServer, hubWithBaseModel, makeRepo, scratch, startTestTrainer, textRequest, type TestTrainer } from '../../../test/trainer/helpers.ts';
import type { TrainerOptionsInput } from '../app.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
let root: string;
let api: FakeKubernetesApi;
let data: Awaited<ReturnType<typeof datasetServer>>;
let repo: { path: string; commit: string };
let kubeconfig: string;

const mountOf = (j: JobBody, path: string) => j.spec.template.spec.containers[0]!.volumeMounts.find((m) => m.mountPath === path)!;

function overrides(dataDir: string): Partial<TrainerOptionsInput> {
  return {
    executor: 'kubernetes',
    kubernetes: { kubeconfig, namespace: 'god-train', textImage: 'registry.example/text-trainer:1', dataClaim: 'trainer-data', dataMountPath: dataDir, pollMs: 20, startupGraceSeconds: 30 },
    limits: { outputMaxBytes: 1024 * 1024, msPerHour: 60_000 },
  };
}

beforeAll(async () => {
  root = scratch('god-trainer-k8s-');
  api = new FakeKubernetesApi();
  await api.listen();
  kubeconfig = join(root, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: fake, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: god, user: { token: test-token } }]',
      'contexts: [{ name: fake, context: { cluster: fake, user: god, namespace: god-train } }]',
      'current-context: fake',
    ].join('\n'),
  );
  data = await datasetServer({ 'train.json': '[{"instruction":"a","output":"b"}]' });
  repo = makeRepo(root, 'miner', { 'scripts/run_text_trainer.sh': '#!/bin/sh\n', 'core/__init__.py': '', 'dockerfiles/standalone-text-trainer.dockerfile': 'FROM x\n' });
});

afterAll(async () => {
  await api?.close();
  await data?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('god trainer with the kubernetes executor', () => {
  it('runs a text job as a Job whose mounts are the trainer\'s own job folders, publishes what it wrote, deletes the Job', async () => {
    const dataDir = join(root, 'state-a');
    const trainer: TestTrainer = await startTestTrainer({ dataDir, localRoots: [root], overrides: overrides(dataDir) });
    try {
      const seen: { cache: boolean; scripts: boolean; checkpoints: boolean } = { cache: false, scripts: false, checkpoints: false };
      api.program = (j) => {
        // What the kubelet would mount: the same folders under the claim's root, which is the trainer's data dir.
        const at = (path: string) => join(dataDir, mountOf(j, path).subPath!);
        seen.cache = existsSync(join(at('/cache'), 'datasets'));
        seen.scripts = existsSync(join(at('/workspace/scripts'), 'run_text_trainer.sh'));
        seen.checkpoints = existsSync(at('/app/checkpoints'));
        const args = j.spec.template.spec.containers[0]!.args!;
        const out = join(at('/app/checkpoints'), args[args.indexOf('--task-id') + 1]!, args[args.indexOf('--expected-repo-name') + 1]!);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'adapter_config.json'), '{"r": 8}');
        return { lines: ['step 1 loss 1.0', 'saved adapter'] };
      };
      const req = textRequest({ repo: repo.path, commit: repo.commit, taskId: 'k8s1', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0, 1] });
      expect((await trainer.call('POST', '/v1/trainer/start_training', req)).status).toBe(200);
      const done = await trainer.waitDone('k8s1', HOTKEY);
      expect(done.status, JSON.stringify(done)).toBe('success');
      expect(done.output_tail).toEqual(['step 1 loss 1.0', 'saved adapter']);
      expect(done.hub_repo).toBe(`rayonlabs/${req.training_data.expected_repo_name}`);
      expect(seen).toEqual({ cache: true, scripts: true, checkpoints: true });
      const [job] = api.created();
      expect(job!.spec.template.spec.containers[0]!.resources.limits['nvidia.com/gpu']).toBe('2');
      expect(job!.spec.template.spec.volumes[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'trainer-data' } });
      expect(api.deleted).toEqual([`${job!.metadata.name}?propagationPolicy=Background`]);
      expect((await trainer.call('GET', '/v1/trainer/get_isolation')).body.executor).toBe('kubernetes');
    } finally {
      await trainer.close();
    }
  });

  it('a restarted trainer deletes the Job of a job the dead trainer left running and marks it retryable', async () => {
    const dataDir = join(root, 'state-b');
    const hub = await hubWithBaseModel();
    const first = await startTestTrainer({ dataDir, localRoots: [root], hub, overrides: overrides(dataDir) });
    api.program = () => ({ hang: true, lines: ['epoch 1'] });
    api.deleted.length = 0;
    const req = textRequest({ repo: repo.path, commit: repo.commit, taskId: 'k8s2', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0], hours: 1 });
    expect((await first.call('POST', '/v1/trainer/start_training', req)).status).toBe(200);
    let phase = '';
    for (let i = 0; i < 400 && phase !== 'running'; i++) {
      phase = (await first.call('GET', `/v1/trainer/k8s2/logs?hotkey=${HOTKEY}`)).body.phase as string;
      if (phase !== 'running') await new Promise((res) => setTimeout(res, 25));
    }
    expect(phase).toBe('running');
    // A crash keeps the state file as it was while the job ran, and the Job stays on the cluster.
    const state = join(dataDir, 'state.json');
    copyFileSync(state, `${state}.crash`);
    const leftover = [...api.jobs.values()][0]!.body;
    await first.close();
    expect(api.jobs.size).toBe(0);
    copyFileSync(`${state}.crash`, state);
    const { uid: _uid, creationTimestamp: _ts, ...metadata } = leftover.metadata;
    const body = { ...leftover, metadata };
    const res = await fetch(`${api.url}/apis/batch/v1/namespaces/god-train/jobs`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    api.deleted.length = 0;

    const second = await startTestTrainer({ dataDir, localRoots: [root], hub, overrides: overrides(dataDir) });
    try {
      expect(api.deleted).toEqual([`${leftover.metadata.name}?propagationPolicy=Background`]);
      expect(api.jobs.size).toBe(0);
      const r = await second.call('GET', `/v1/trainer/k8s2/logs?hotkey=${HOTKEY}`);
      expect(r.body).toMatchObject({ status: 'failure', retryable: true, error: 'trainer restarted' });
    } finally {
      await second.close();
    }
  });
});
