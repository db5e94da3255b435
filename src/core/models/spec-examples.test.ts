// The example bodies written out in the specs (validator.md, miner-protocol-chain.md, tournament.md,
// evaluation.md). Where a spec elides a value ("…"), the smallest concrete value of the right type is used.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as core from '../index.ts';

const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const ACCOUNT = 'e3947cb3-7c20-41c7-b215-9a5e96c29011';
const TASK = '8c1e0b7a-5a4e-4f8e-9d2c-3b1a0f9e8d7c';

const pairs = Array.from({ length: 10 }, (_, i) => ({
  image_url: `https://example.org/${i}.png`,
  text_url: `https://example.org/${i}.txt`,
}));

const examples: [string, z.ZodType, unknown][] = [
  [
    'validator.md §3 instruct create request',
    core.newTaskRequestInstructTextSchema,
    JSON.parse(
      '{"account_id":"e3947cb3-7c20-41c7-b215-9a5e96c29011","model_repo":"Qwen/Qwen2-0.5B","ds_repo":"tatsu-lab/alpaca",' +
        '"field_instruction":"instruction","field_input":"input","field_output":"output","file_format":"hf",' +
        '"hours_to_complete":3,"result_model_name":"my-alpaca-qwen"}',
    ),
  ],
  [
    'validator.md §3 create response',
    core.newTaskResponseSchema,
    { success: true, task_id: TASK, created_at: '2025-08-01T12:00:00.123456Z', account_id: ACCOUNT },
  ],
  [
    'validator.md §3 GRPO create request',
    core.newTaskRequestGrpoSchema,
    {
      account_id: ACCOUNT,
      model_repo: 'Qwen/Qwen2-0.5B',
      ds_repo: 'trl-lib/tldr',
      field_prompt: 'prompt',
      reward_functions: [
        { reward_id: '550e8400-e29b-41d4-a716-446655440000', reward_weight: 0.7 },
        { reward_id: '550e8400-e29b-41d4-a716-446655440001', reward_weight: 0.3 },
      ],
      hours_to_complete: 4,
    },
  ],
  [
    'validator.md §3 image create request',
    core.newTaskRequestImageSchema,
    {
      account_id: ACCOUNT,
      model_repo: 'stabilityai/stable-diffusion-xl-base-1.0',
      model_type: 'sdxl',
      image_text_pairs: pairs,
      hours_to_complete: 2,
    },
  ],
  [
    'validator.md §7.3 offer',
    core.minerTaskOfferSchema,
    JSON.parse(
      `{"ds_size": 100000, "model": "Qwen/Qwen2-0.5B", "hours_to_complete": 3, "task_id": "${TASK}", "task_type": "InstructTextTask", "model_params_count": 494032768}`,
    ),
  ],
  [
    'miner-protocol-chain.md §3.1 offer (placeholder task id kept: task_id is a plain string)',
    core.minerTaskOfferSchema,
    JSON.parse(
      '{"ds_size": 50000, "model": "unsloth/Llama-3.2-1B", "hours_to_complete": 3.0, "task_id": "8c1e…", "task_type": "InstructTextTask", "model_params_count": 1235814400}',
    ),
  ],
  ['validator.md §7.3 offer response', core.minerTaskResponseSchema, { message: 'Yes. I can do InstructTextTask jobs', accepted: true }],
  [
    'validator.md §8 text start-training body after prep',
    core.trainRequestTextSchema,
    JSON.parse(
      '{"model":"Qwen/Qwen2-0.5B","task_id":"<uuid>","hours_to_complete":3,"expected_repo_name":"<uuid4>",' +
        '"dataset":"https://<bucket>…/<hex>_train_data.json?X-Amz-…","file_format":"s3",' +
        '"dataset_type":{"system_prompt":"","system_format":"{system}","field_system":null,"field_instruction":"instruct",' +
        '"field_input":"input","field_output":"output","format":null,"no_input_format":null,"field":null}}',
    ),
  ],
  ['miner-protocol-chain.md §5.3 start-training reply', core.trainResponseSchema, { message: 'Training job enqueued.', task_id: TASK }],
  [
    'miner-protocol-chain.md §5.9 base miner training repo',
    core.trainingRepoResponseSchema,
    { github_repo: 'https://github.com/rayonlabs/G.O.D', commit_hash: '076e87fc746985e272015322cc91fb3bbbca2f26' },
  ],
  ['miner-protocol-chain.md §3.2 legacy bare-string submission', core.minerSubmissionResponseSchema, 'None'],
  ['tournament.md §5.1 trainer start reply', core.trainerStartResponseSchema, { message: 'Started Training!', task_id: TASK }],
  [
    'tournament.md §5.1 [HEAD] trainer clone-failure reply',
    core.trainerStartResponseSchema,
    { message: 'Error cloning github repository', task_id: TASK, error: 'fatal: repository not found', success: false, no_retry: true },
  ],
  [
    'evaluation.md §2.2 results file',
    core.evaluationResultsFileSchema,
    {
      model_params_count: 494032768,
      'alice/qwen-task-123': { eval_loss: 1.2345, is_finetune: true },
      'bob/qwen-task-123': 'CUDA out of memory. Tried to allocate ...',
      'carol/flux-lora': { eval_loss: { text_guided_losses: [0.031, 0.028], no_text_losses: [0.044, 0.04] } },
    },
  ],
  ['evaluation.md §8.3 image result', core.evaluationResultImageSchema, { eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] } }],
  [
    'evaluation.md §2.2 [HEAD] GRPO result with reward breakdown (extra keys kept)',
    core.evaluationResultTextSchema,
    {
      eval_loss: 0.5,
      is_finetune: true,
      final_raw_rewards: { 'reward_func_0_weight_1.00': 0.4 },
      weights: { 'reward_func_0_weight_1.00': 1 },
      kl_divergence: 0.01,
    },
  ],
  [
    'validator.md §10.1 breakdown',
    core.taskResultResponseSchema,
    { id: TASK, miner_results: [{ hotkey: 'hk', quality_score: 3, test_loss: null, synth_loss: null, score_reason: null }] },
  ],
  ['validator.md §10.1 reward function add', core.addRewardFunctionRequestSchema, { name: 'f', description: 'd', code: 'def f(completions, **kwargs):\n    return [1.0 for _ in completions]' }],
  ['validator.md §10.1 reward function add reply', core.addRewardFunctionResponseSchema, { reward_id: TASK }],
  [
    'tournament.md §7.2 training stats',
    core.trainingStatsSchema,
    { total_pairs: 10, pending: 2, success: 6, failure: 1, training: 1, avg_attempts: 1.25, max_attempts: 2 },
  ],
];

describe('spec example bodies', () => {
  it.each(examples)('%s parses and round-trips', (_name, schema, body) => {
    expect(wire(core.parseWire(schema, body))).toStrictEqual(body);
  });

  it('reads the legacy submission strings', () => {
    expect(core.submissionRepo(core.parseWire(core.minerSubmissionResponseSchema, 'None'))).toBeNull();
    expect(core.submissionRepo(core.parseWire(core.minerSubmissionResponseSchema, 'alice/x'))).toStrictEqual({ repo: 'alice/x' });
    expect(core.submissionRepo({ repo: 'alice/x', model_hash: null })).toStrictEqual({ repo: 'alice/x', model_hash: null });
  });

  // tournament.md §5.7: dataset-type JSON given to the reference trainer scripts. The GRPO example carries a
  // `name` key RewardFunction does not declare; pydantic drops it, and so does this parser.
  it('parses the trainer CLI dataset-type examples, dropping undeclared keys as pydantic does', () => {
    const instruct = core.parseWire(core.textDatasetTypeSchema, { field_instruction: 'instruct', field_output: 'output' });
    expect(core.classifyDatasetType(instruct).kind).toBe('InstructTextDatasetType');
    const dpo = core.parseWire(core.textDatasetTypeSchema, {
      field_prompt: 'prompt',
      field_chosen: 'chosen',
      field_rejected: 'rejected',
      prompt_format: '{prompt}',
      chosen_format: '{chosen}',
      rejected_format: '{rejected}',
    });
    expect(core.classifyDatasetType(dpo).kind).toBe('DpoDatasetType');
    const grpo = core.parseWire(core.textDatasetTypeSchema, {
      field_prompt: 'prompt',
      reward_functions: [{ reward_func: 'def f(completions, **kwargs): return [1.0]', reward_weight: 1, name: 'f' }],
    });
    expect(core.classifyDatasetType(grpo).kind).toBe('GrpoDatasetType');
    expect(grpo).toStrictEqual({
      field_prompt: 'prompt',
      reward_functions: [{ reward_func: 'def f(completions, **kwargs): return [1.0]', reward_weight: 1 }],
    });
  });

  it('normalises create requests the way the original pre-validators do', () => {
    const req = core.parseWire(core.newTaskRequestInstructTextSchema, {
      account_id: ACCOUNT,
      model_repo: 'm',
      ds_repo: 'd',
      field_instruction: '  instruction ',
      field_input: '   ',
      field_output: '',
      hours_to_complete: 1,
    });
    expect(req.field_instruction).toBe('instruction');
    expect(req.field_input).toBeNull();
    expect(req.field_output).toBeNull();
    expect(req.file_format).toBeUndefined();
  });
});
