// Jobs: training and evaluation in worker processes (progress, best checkpoint, deadline, cancellation) and every
// task type end to end in-process, from a zoo base model built into a temporary $GOD_HOME.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, libraryFunction } from '../../sandbox/index.ts';
import { ensureBaseModel, isCached, listBaseModels } from '../zoo.ts';
import { evaluateInProcess } from './evaluate.ts';
import { runTrainingJob } from './run.ts';
import { createLocalEvaluationExecutor } from '../executor.ts';
import { builtinDatasetInfo, loadBuiltinDataset } from '../data/builtin.ts';
import { standardizeRows } from '../data/columns.ts';
import type { JobEvent } from './spec.ts';
import { trainInProcess } from './train.ts';

let home = '';
const BASE = 'god-local/tinygpt-tiny';
type TextEntry = { eval_loss: number; is_finetune: boolean };

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'god-ml-jobs-'));
  const progress: number[] = [];
  await ensureBaseModel(BASE, { home, onProgress: (p) => progress.push(p.step) });
  expect(progress.at(-1)).toBe(progress.length);
}, 60_000);
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('the base-model zoo', () => {
  it('caches a build under $GOD_HOME/models in the HF layout and skips it the second time', async () => {
    expect(await isCached(BASE, home)).toBe(true);
    const dir = join(home, 'models', 'god-local', 'tinygpt-tiny');
    const manifest = JSON.parse(await readFile(join(dir, 'god_build.json'), 'utf8')) as { params: number; final_loss: number };
    expect(existsSync(join(dir, 'model.safetensors')) && existsSync(join(dir, 'config.json'))).toBe(true);
    const before = await readFile(join(dir, 'model.safetensors'));
    let calls = 0;
    await ensureBaseModel(BASE, { home, onProgress: () => calls++ });
    expect(calls).toBe(0);
    expect((await readFile(join(dir, 'model.safetensors'))).equals(before)).toBe(true);
    const listed = (await listBaseModels(home)).find((m) => m.id === BASE)!;
    expect(listed.cached && listed.params === manifest.params).toBe(true);
    // the pre-training corpus taught it something (byte-level entropy of random text is ln 264 ≈ 5.6)
    expect(manifest.final_loss).toBeLessThan(2.5);
  });
});

describe('jobs in worker processes', () => {
  it('trains a LoRA on a built-in instruct set with progress and checkpoints; the evaluation executor scores it below the base', async () => {
    const out = join(home, 'out', 'arith-lora');
    const events: JobEvent[] = [];
    const result = await runTrainingJob({
      taskType: 'InstructTextTask', baseModel: BASE, home, outputDir: out,
      dataset: { builtin: 'god-local/arith-instruct', rows: 400, seed: 1 },
      hyper: { steps: 40, batchSize: 16, lr: 1e-2, evalEvery: 10, seed: 3 },
    }, { onProgress: (e) => events.push(e) });
    expect(result.status).toBe('completed');
    expect(result.steps).toBe(40);
    expect(result.isAdapter).toBe(true);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress).toHaveLength(40);
    expect(progress.every((e) => e.type === 'progress' && e.tokensPerSecond > 0 && Number.isFinite(e.etaSeconds))).toBe(true);
    expect(events.some((e) => e.type === 'checkpoint')).toBe(true);
    expect(existsSync(join(out, 'adapter_config.json'))).toBe(true);

    // through the validator's port: the prepared test file (standard column names) behind a URL, repos as folders
    const info = builtinDatasetInfo('god-local/arith-instruct');
    const prepared = standardizeRows('InstructTextTask', loadBuiltinDataset(info.id, { rows: 60, seed: 99 }), info.datasetType);
    const dirs: Record<string, string> = { 'alice/arith': out, 'base/copy': join(home, 'models', 'god-local', 'tinygpt-tiny') };
    const executor = createLocalEvaluationExecutor({
      home,
      fetchDataset: async (url) => {
        expect(url).toBe('http://blobs/test.json');
        return Buffer.from(JSON.stringify(prepared));
      },
      repoDir: async (id) => dirs[id] ?? null,
    });
    const evaluation = await executor.run({
      task_type: 'InstructTextTask', dataset_url: 'http://blobs/test.json', original_model: BASE,
      dataset_type: { field_instruction: 'instruct', field_input: 'input', field_output: 'output' },
      repos: ['alice/arith', 'base/copy', 'nobody/missing'],
    }) as Record<string, unknown>;
    const alice = evaluation['alice/arith'] as TextEntry, base = evaluation['base/copy'] as TextEntry;
    expect(evaluation.model_params_count).toBe(result.paramsCount);
    expect(alice.is_finetune && base.is_finetune).toBe(true);
    expect(alice.eval_loss).toBeLessThan(base.eval_loss * 0.8);
    expect(evaluation['nobody/missing']).toMatch(/neither a built-in base model/);
  }, 60_000);

  it('stops for a deadline with the best checkpoint saved, and stops on cancellation', async () => {
    const spec = {
      taskType: 'InstructTextTask' as const, baseModel: BASE, home,
      dataset: { builtin: 'god-local/strings-instruct', rows: 300 }, hyper: { steps: 100_000, evalEvery: 5, batchSize: 8 },
    };
    const deadline = Date.now() + 4000;
    const timed = await runTrainingJob({ ...spec, outputDir: join(home, 'out', 'deadline') }, { deadline });
    expect(timed.status).toBe('deadline');
    expect(Date.now()).toBeLessThan(deadline + 1500);
    expect(timed.steps).toBeGreaterThan(0);
    expect(timed.bestStep).not.toBeNull();
    expect(existsSync(join(home, 'out', 'deadline', 'adapter_model.safetensors'))).toBe(true);

    const controller = new AbortController();
    const cancelled = await runTrainingJob({ ...spec, outputDir: join(home, 'out', 'cancel') }, {
      signal: controller.signal, onProgress: (e) => { if (e.type === 'progress' && e.step === 3) controller.abort(); },
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps).toBeLessThan(20);
    // answered by the worker itself (a killed worker reports no loss)
    expect(cancelled.finalLoss).not.toBeNull();
  }, 60_000);
});

describe('every task type in-process', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ rules: { poolSize: 1 } });
    await ensureBaseModel('god-local/tinydiff-tiny', { home });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  it('chat, DPO, GRPO (Python rewards) and image train and evaluate to production result shapes', async () => {
    const cases = [
      { taskType: 'ChatTask', dataset: { builtin: 'god-local/mixed-chat', rows: 120 }, base: BASE },
      { taskType: 'DpoTask', dataset: { builtin: 'god-local/arith-dpo', rows: 120 }, base: BASE },
      { taskType: 'GrpoTask', dataset: { builtin: 'god-local/arith-grpo', rows: 60 }, base: BASE },
      { taskType: 'ImageTask', dataset: { builtin: 'god-local/shapes-image', rows: 60 }, base: 'god-local/tinydiff-tiny' },
    ] as const;
    const rewardFunctions = [{ reward_func: libraryFunction('numeric_answer_match').code, reward_weight: 1 }];
    for (const c of cases) {
      const out = join(home, 'out', c.taskType);
      const result = await trainInProcess({
        taskType: c.taskType, baseModel: c.base, home, outputDir: out, dataset: c.dataset, rewardFunctions,
        hyper: { steps: 6, batchSize: 8, evalEvery: 3, promptsPerStep: 2, groupSize: 2, maxNewTokens: 4 },
      }, { scorer: sandbox });
      expect(result.status, c.taskType).toBe('completed');
      expect(result.isAdapter, c.taskType).toBe(true);
      const evaluation = await evaluateInProcess({
        taskType: c.taskType, originalModel: c.base, home, repos: [{ id: `miner/${c.taskType}`, dir: out }],
        dataset: { ...c.dataset, seed: 5 }, rewardFunctions, maxRows: 8,
        grpo: { maxNewTokens: 4 }, image: { steps: 3, seeds: [2746317213] },
      }, { scorer: sandbox });
      expect(evaluation.model_params_count, c.taskType).toBe(result.paramsCount);
      const entry = evaluation[`miner/${c.taskType}`] as Record<string, unknown>;
      expect(typeof entry, `${c.taskType}: ${JSON.stringify(entry)}`).toBe('object');
      if (c.taskType === 'ImageTask') {
        const losses = entry.eval_loss as { text_guided_losses: number[]; no_text_losses: number[] };
        expect(losses.text_guided_losses).toHaveLength(8);
        expect(losses.no_text_losses).toHaveLength(8);
      } else {
        expect(Number.isFinite(entry.eval_loss), c.taskType).toBe(true);
        expect(entry.is_finetune).toBe(true);
      }
      if (c.taskType === 'GrpoTask') expect(Object.keys(entry.final_raw_rewards as object)).toEqual(['reward_func_0_weight_1.00']);
    }
  }, 90_000);
});
