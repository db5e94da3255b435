// Malformed payloads fail with an error naming the failing field path in wire (snake_case) names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as core from '../index.ts';

const vectors = JSON.parse(readFileSync(new URL('../../../vectors/axolotl_config.json', import.meta.url), 'utf8')) as {
  cases: { name: string; input: { request: Record<string, unknown> } }[];
};
const request = (name: string): Record<string, unknown> => {
  const c = vectors.cases.find((v) => v.name === name);
  if (!c) throw new Error(`vector case ${name} missing`);
  return structuredClone(c.input.request);
};
const instruct = request('instruct_all_fields_system_and_input');
const grpo = request('grpo_three_reward_functions_extra_column');
const image = request('image_sdxl');
const ACCOUNT = '00000000-0000-0000-0000-000000000000';

const withDatasetType = (body: Record<string, unknown>, patch: Record<string, unknown>) => ({
  ...body,
  dataset_type: { ...(body.dataset_type as Record<string, unknown>), ...patch },
});
const withRewardFunction = (index: number, patch: Record<string, unknown>) => {
  const body = structuredClone(grpo);
  const fns = (body.dataset_type as { reward_functions: Record<string, unknown>[] }).reward_functions;
  fns[index] = { ...fns[index], ...patch };
  return body;
};
const omit = (body: Record<string, unknown>, key: string) => {
  const { [key]: _gone, ...rest } = body;
  return rest;
};

// [label, schema, body, every issue as `path: reason` that must appear in the message]
const invalid: [string, z.ZodType, unknown, string[]][] = [
  ['wrong type inside the dataset type', core.trainRequestTextSchema, withDatasetType(instruct, { field_instruction: 5 }), [
    'dataset_type.field_instruction: expected string, received number',
  ]],
  ['missing required field', core.trainRequestTextSchema, omit(instruct, 'task_id'), ['task_id: required (expected string)']],
  ['empty model name', core.trainRequestTextSchema, { ...instruct, model: '' }, ['model: expected string to have >=1 characters']],
  ['unknown file format', core.trainRequestTextSchema, { ...instruct, file_format: 'parquet' }, [
    'file_format: expected one of "csv" | "json" | "hf" | "s3", received "parquet"',
  ]],
  ['dataset type not an object', core.trainRequestTextSchema, { ...instruct, dataset_type: 'instruct' }, [
    'dataset_type: expected object, received string',
  ]],
  ['negative reward weight', core.trainRequestGrpoSchema, withRewardFunction(1, { reward_weight: -0.5 }), [
    'dataset_type.reward_functions[1].reward_weight: expected number to be >=0',
  ]],
  ['reward code missing', core.trainRequestGrpoSchema, withRewardFunction(2, { reward_func: undefined }), [
    'dataset_type.reward_functions[2].reward_func: required (expected string)',
  ]],
  // Through the untagged union too: the GRPO member is reported, not silently replaced by DPO (see pickMember).
  ['bad reward function via the text union', core.trainRequestTextSchema, withRewardFunction(0, { reward_weight: 'high' }), [
    'dataset_type.reward_functions[0].reward_weight: expected number, received string',
  ]],
  ['unknown image model type', core.trainRequestImageSchema, { ...image, model_type: 'sd15' }, [
    'model_type: expected one of "flux" | "sdxl", received "sd15"',
  ]],
  ['unknown task type in an offer', core.minerTaskOfferSchema, {
    model: 'm', hours_to_complete: 1, task_id: 't', task_type: 'TextTask',
  }, ['task_type: expected one of "InstructTextTask" | "ImageTask" | "DpoTask" | "GrpoTask" | "ChatTask", received "TextTask"']],
  ['fractional dataset size', core.minerTaskOfferSchema, {
    model: 'm', hours_to_complete: 1, task_id: 't', task_type: 'DpoTask', ds_size: 10.5,
  }, ['ds_size: expected integer, received number 10.5']],
  ['array instead of object', core.minerTaskOfferSchema, [], ['(root): expected object, received array']],
  ['offer reply without accepted', core.minerTaskResponseSchema, { message: 'hi' }, ['accepted: required (expected boolean)']],
  ['non-UUID job id', core.trainResponseSchema, { message: 'x', task_id: 'job-1' }, ['task_id: expected a UUID, received "job-1"']],
  ['trainer request of neither kind', core.trainerProxyRequestSchema, {
    training_data: { model: 'm', task_id: 't', hours_to_complete: 1 }, github_repo: 'g', gpu_ids: [0, 1.5], hotkey: 'h',
  }, ['training_data.dataset_zip: required (expected string)', 'gpu_ids[1]: expected integer, received number 1.5']],
  ['unknown trainer status', core.trainerTaskLogSchema, {
    training_data: image, github_repo: 'g', gpu_ids: [], hotkey: 'h', status: 'running', started_at: null, finished_at: null,
  }, ['status: expected one of "pending"']],
  ['GPU the trainer does not know', core.gpuInfoSchema, {
    gpu_id: 0, gpu_type: 'H200', vram_gb: 141, available: true, used_until: 'tomorrow',
  }, ['gpu_type: expected one of "H100" | "A100" | "A6000", received "H200"', 'used_until: expected ISO 8601 date-time, received "tomorrow"']],
  ['unknown task type in details', core.anyTaskDetailsSchema, { task_type: 'AudioTask' }, ['task_type: ']],
  ['knockout pair of three', core.tournamentRoundSchema, { round_structure: { pairs: [['a', 'b', 'c']] } }, [
    'round_structure.pairs[0]: ',
  ]],
  ['unknown tournament type', core.tournamentDataSchema, { tournament_id: 't', tournament_type: 'audio' }, [
    'tournament_type: expected one of "text" | "image", received "audio"',
  ]],
  ['unknown GPU requirement', core.tournamentTaskSchema, {
    tournament_id: 't', round_id: 'r', task_id: 'x', gpu_requirement: '16xH100',
  }, ['gpu_requirement: expected one of "A100" | "1xH100" | "2xH100" | "4xH100" | "8xH100", received "16xH100"']],
  ['unknown training status', core.tournamentTaskTrainingSchema, {
    task: {}, hotkey: 'h', training_status: 'queued', n_training_attempts: 0, created_at: '2025-08-01T00:00:00Z', updated_at: '2025-08-01T00:00:00Z',
  }, ['task.task_type: ', 'training_status: expected one of "pending" | "training" | "success" | "failure", received "queued"']],
  ['blank required column and a template', core.newTaskRequestInstructTextSchema, {
    account_id: 'nope', model_repo: 'm', ds_repo: 'd', field_instruction: '  ', hours_to_complete: 1, format: '{x}',
  }, ['account_id: expected a UUID, received "nope"', 'field_instruction: expected string, received null', 'format: expected null, received string']],
  ['no reward functions', core.newTaskRequestGrpoSchema, {
    account_id: ACCOUNT, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', hours_to_complete: 1, reward_functions: [],
  }, ['reward_functions: reward_functions must not be empty']],
  ['too few image pairs', core.newTaskRequestImageSchema, {
    account_id: ACCOUNT, model_repo: 'm', hours_to_complete: 1, image_text_pairs: [{ image_url: 'a', text_url: 'b' }],
  }, ['image_text_pairs: expected array to have >=10 items']],
  ['legacy status in a typed payload', core.taskListResponseSchema, {
    success: true, task_id: ACCOUNT, status: 'node_training_failure',
  }, ['status: expected one of']],
];

describe('invalid payloads name the failing field', () => {
  it.each(invalid)('%s', (_label, schema, body, expected) => {
    const result = core.safeParseWire(schema, body, { label: 'Payload' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(core.WireError);
    expect(result.error.message.startsWith('Payload: ')).toBe(true);
    for (const part of expected) expect(result.error.message).toContain(part);
    expect(result.error.issues.length).toBe(expected.length);
  });

  it('parseWire throws the same error', () => {
    expect(() => core.parseWire(core.trainRequestTextSchema, withDatasetType(instruct, { field_input: false }))).toThrow(
      /^dataset_type\.field_input: expected string, received boolean$/,
    );
  });

  it('stored rows accept legacy statuses that typed payloads reject', () => {
    const row = {
      is_organic: true, status: 'idle', model_id: 'm', ds: 'd', account_id: ACCOUNT, hours_to_complete: 1,
      created_at: '2025-08-01 12:00:00+00', task_type: 'InstructTextTask', field_instruction: 'instruct',
    };
    expect(core.parseWire(core.anyRawTaskSchema, row).status).toBe('idle');
  });
});
