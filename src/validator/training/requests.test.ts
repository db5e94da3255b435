import { describe, expect, it } from 'vitest';
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { pythonJsonDumps } from '../../net/python-json.ts';
import { repoNameMatches } from '../evaluation/submissions.ts';
import { parseEvaluationResults } from '../evaluation/results.ts';
import { modelParamsFor, offerFor, trainRequestFor } from './requests.ts';

const base = { task_id: '8c1e0000-0000-4000-8000-000000000001', model_id: 'Qwen/Qwen2-0.5B', hours_to_complete: 3, training_data: 'https://b/t.json' };

describe('miner request bodies (miner-protocol-chain.md §3)', () => {
  it('sends the offer exactly as a Python validator does', () => {
    const offer = offerFor({ ...base, task_type: 'InstructTextTask' } as AnyRawTask, 494032768, 100_000);
    expect(offer.path).toBe('/task_offer/');
    expect(pythonJsonDumps(offer.body)).toBe(
      '{"ds_size": 100000, "model": "Qwen/Qwen2-0.5B", "hours_to_complete": 3.0, "task_id": "8c1e0000-0000-4000-8000-000000000001", "task_type": "InstructTextTask", "model_params_count": 494032768}',
    );
    const image = offerFor({ ...base, task_type: 'ImageTask', image_text_pairs: [{ image_url: 'a', text_url: 'b' }] } as AnyRawTask, null, 100_000);
    expect(image.path).toBe('/task_offer_image/');
    expect(image.body.ds_size).toBe(1);
  });

  it('routes start-training by type with every dataset-type key', () => {
    const grpo = trainRequestFor(
      { ...base, task_type: 'GrpoTask', field_prompt: 'prompt', extra_column: null, reward_functions: [{ reward_id: 'r', reward_func: 'def f(): pass', reward_weight: 2, func_hash: 'h', is_generic: true }] } as AnyRawTask,
      'name-1',
    );
    expect(grpo.path).toBe('/start_training_grpo/');
    expect(pythonJsonDumps(grpo.body)).toContain('"reward_weight": 2.0');
    expect(pythonJsonDumps(grpo.body)).toContain('"expected_repo_name": "name-1", "dataset": "https://b/t.json"');
    const dpo = trainRequestFor({ ...base, task_type: 'DpoTask', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected' } as AnyRawTask, 'n');
    expect(dpo.path).toBe('/start_training/');
    expect(Object.keys(dpo.body.dataset_type as object)).toEqual(['field_prompt', 'field_system', 'field_chosen', 'field_rejected', 'prompt_format', 'chosen_format', 'rejected_format']);
    const image = trainRequestFor({ ...base, task_type: 'ImageTask', model_type: 'flux' } as AnyRawTask, 'n');
    expect(image).toMatchObject({ path: '/start_training_image/', body: { dataset_zip: 'https://b/t.json', model_type: 'flux' } });
  });

  it('guesses model size from the stored count, the hub, or the name', async () => {
    expect(await modelParamsFor({ model_id: 'x/y', model_params_count: 5 }, undefined)).toBe(5);
    expect(await modelParamsFor({ model_id: 'x/y', model_params_count: 0 }, async () => 7)).toBe(7);
    expect(await modelParamsFor({ model_id: 'unsloth/Llama-3.2-1B', model_params_count: 0 }, async () => null)).toBe(1e9);
    expect(await modelParamsFor({ model_id: 'gpt2', model_params_count: 0 }, undefined)).toBeNull();
  });
});

describe('submissions and results', () => {
  it('checks the last path segment only', () => {
    expect(repoNameMatches('alice/abc', 'abc')).toBe(true);
    expect(repoNameMatches('bob/x/abc', 'abc')).toBe(true);
    expect(repoNameMatches('abc', 'abc')).toBe(false);
    expect(repoNameMatches('alice/abd', 'abc')).toBe(false);
    expect(repoNameMatches('alice/abc', null)).toBe(false);
  });

  it('parses the result file, turning bad or missing entries into errors', () => {
    const parsed = parseEvaluationResults(
      { model_params_count: 10, 'a/1': { eval_loss: 1.5, is_finetune: true }, 'b/2': 'CUDA OOM', 'c/3': { eval_loss: 'x' } },
      ['a/1', 'b/2', 'c/3', 'd/4'],
      false,
    );
    expect(parsed.modelParamsCount).toBe(10);
    expect(parsed.repos.get('a/1')).toEqual({ kind: 'text', evalLoss: 1.5, isFinetune: true });
    expect(parsed.repos.get('b/2')).toEqual({ kind: 'error', error: 'CUDA OOM' });
    expect(parsed.repos.get('c/3')?.kind).toBe('error');
    expect(parsed.repos.get('d/4')).toEqual({ kind: 'error', error: 'no result for this repository' });
    const image = parseEvaluationResults({ 'a/1': { eval_loss: { text_guided_losses: [1], no_text_losses: [2] } } }, ['a/1'], true);
    expect(image.repos.get('a/1')).toEqual({ kind: 'image', textGuidedLosses: [1], noTextLosses: [2] });
  });
});
