/**
 * Task creation (validator.md §3, §10.1–10.2): the request schemas the routes accept, and the raw task each
 * request becomes. The original's request models come from src/core; what is added here is the check the
 * original lacks (hours must be a whole number ≥ 1, D-api-1) and the custom-dataset variants of chat ([HEAD]),
 * DPO and GRPO (ours).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { fileFormatSchema } from '../core/enums.ts';
import { floatSchema, uuidSchema } from '../core/models/common.ts';
import { rewardFunctionReferenceSchema, type RewardFunction } from '../core/models/reward-functions.ts';
import {
  blankToNull,
  makeNewTaskRequestImageSchema,
  newTaskRequestChatSchema,
  newTaskRequestDpoSchema,
  newTaskRequestGrpoSchema,
  newTaskRequestInstructTextSchema,
  newTaskWithCustomDatasetRequestSchema,
  newTaskWithFixedDatasetsRequestSchema,
  type AnyRawTask,
} from '../core/models/tasks.ts';

const optionalString = z.string().nullable().optional();

/** Adds the hours check: a whole number of hours in [1, max] (the original 500s on fractions and accepts ≤ 0). */
export function withHours<S extends z.ZodType<{ hours_to_complete: number }>>(schema: S, maxHours: number) {
  return schema.superRefine((value, ctx) => {
    const h = value.hours_to_complete;
    if (!Number.isInteger(h) || h < 1 || h > maxHours) {
      ctx.addIssue({
        code: 'custom',
        path: ['hours_to_complete'],
        message: `hours_to_complete must be a whole number of hours from 1 to ${maxHours}`,
      });
    }
  });
}

const baseShape = {
  account_id: uuidSchema,
  hours_to_complete: floatSchema,
  result_model_name: optionalString,
  model_repo: z.string(),
};
const customDataShape = {
  /** URL of a JSON array with the training rows (e.g. from POST /v1/uploads). */
  training_data: z.string().min(1),
  /** URL of a JSON array with held-out rows; without it the validator splits the training rows. */
  test_data: optionalString,
  ds_repo: optionalString,
  file_format: fileFormatSchema.optional(),
};

const chatFields = ['chat_column', 'chat_role_field', 'chat_content_field', 'chat_user_reference', 'chat_assistant_reference'] as const;
const chatShape = {
  chat_template: z.string(),
  chat_column: optionalString,
  chat_role_field: optionalString,
  chat_content_field: optionalString,
  chat_user_reference: optionalString,
  chat_assistant_reference: optionalString,
};
const dpoShape = {
  field_prompt: z.string(),
  field_system: optionalString,
  field_chosen: z.string(),
  field_rejected: z.string(),
  prompt_format: optionalString,
  chosen_format: optionalString,
  rejected_format: optionalString,
};
const grpoShape = {
  field_prompt: z.string(),
  extra_column: optionalString,
  reward_functions: z.array(rewardFunctionReferenceSchema).min(1, 'reward_functions must not be empty'),
};

/** [HEAD] POST /v1/tasks/create_custom_dataset_chat. */
export const customDatasetChatRequestSchema = blankToNull(chatFields, z.object({ ...baseShape, ...chatShape, ...customDataShape }));
/** Ours: POST /v1/tasks/create_custom_dataset_dpo. */
export const customDatasetDpoRequestSchema = blankToNull(
  ['field_prompt', 'field_system', 'field_chosen', 'field_rejected'],
  z.object({ ...baseShape, ...dpoShape, ...customDataShape }),
);
/** Ours: POST /v1/tasks/create_custom_dataset_grpo. */
export const customDatasetGrpoRequestSchema = blankToNull(['field_prompt'], z.object({ ...baseShape, ...grpoShape, ...customDataShape }));

export function createSchemas(maxHours: number, imagePairs: { min: number; max: number }) {
  return {
    instruct: withHours(newTaskRequestInstructTextSchema, maxHours),
    chat: withHours(newTaskRequestChatSchema, maxHours),
    dpo: withHours(newTaskRequestDpoSchema, maxHours),
    grpo: withHours(newTaskRequestGrpoSchema, maxHours),
    image: withHours(makeNewTaskRequestImageSchema(imagePairs), maxHours),
    customText: withHours(newTaskWithCustomDatasetRequestSchema, maxHours),
    fixedDatasets: withHours(newTaskWithFixedDatasetsRequestSchema, maxHours),
    customChat: withHours(customDatasetChatRequestSchema, maxHours),
    customDpo: withHours(customDatasetDpoRequestSchema, maxHours),
    customGrpo: withHours(customDatasetGrpoRequestSchema, maxHours),
  };
}
export type CreateSchemas = ReturnType<typeof createSchemas>;
type Req<K extends keyof CreateSchemas> = z.output<CreateSchemas[K]>;

interface Common {
  account_id: string;
  hours_to_complete: number;
  result_model_name?: string | null | undefined;
  model_repo: string;
}

/** The base row every organic task starts with: pending, organic, termination = now + hours. */
function organic(req: Common, now: Date) {
  return {
    is_organic: true,
    status: 'pending',
    model_id: req.model_repo,
    account_id: req.account_id,
    hours_to_complete: req.hours_to_complete,
    result_model_name: req.result_model_name ?? null,
    created_at: now.toISOString(),
    termination_at: new Date(now.getTime() + req.hours_to_complete * 3_600_000).toISOString(),
  } as const;
}

/** Custom-dataset tasks: the given URLs, ds `"custom"` unless named, `s3` unless a named dataset says otherwise. */
function customData(req: { training_data: string; test_data?: string | null | undefined; ds_repo?: string | null | undefined; file_format?: string | undefined }) {
  return {
    ds: req.ds_repo ?? 'custom',
    training_data: req.training_data,
    test_data: req.test_data ?? null,
    file_format: (req.ds_repo ? (req.file_format ?? 'hf') : 's3') as 'hf' | 's3' | 'csv' | 'json',
  };
}

export function instructTask(req: Req<'instruct'>, now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    task_type: 'InstructTextTask',
    ds: req.ds_repo,
    file_format: req.file_format ?? 'hf',
    field_instruction: req.field_instruction,
    field_input: req.field_input ?? null,
    field_output: req.field_output ?? null,
    field_system: req.field_system ?? null,
    format: null,
    no_input_format: null,
  };
}

export function customTextTask(req: Req<'customText'>, now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    task_type: 'InstructTextTask',
    ...customData(req),
    field_instruction: req.field_instruction,
    field_input: req.field_input ?? null,
    field_output: req.field_output ?? null,
    field_system: req.field_system ?? null,
    format: null,
    no_input_format: null,
  };
}

/** a7e666d7 only: data given as is, prep skipped, straight to `looking_for_nodes`. */
export function fixedDatasetsTask(req: Req<'fixedDatasets'>, now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    status: 'looking_for_nodes',
    task_type: 'InstructTextTask',
    ds: req.ds_repo ?? req.training_data,
    file_format: req.ds_repo ? (req.file_format ?? 'hf') : 's3',
    training_data: req.training_data,
    test_data: req.test_data,
    synthetic_data: req.synthetic_data,
    field_instruction: req.field_instruction,
    field_input: req.field_input ?? null,
    field_output: req.field_output ?? null,
    field_system: req.field_system ?? null,
    format: null,
    no_input_format: null,
  };
}

/** The original passes null for every chat field the customer leaves out, so the stored value is null. */
function chatFieldsOf(req: z.output<typeof customDatasetChatRequestSchema> | Req<'chat'>) {
  return {
    chat_template: req.chat_template,
    chat_column: req.chat_column ?? null,
    chat_role_field: req.chat_role_field ?? null,
    chat_content_field: req.chat_content_field ?? null,
    chat_user_reference: req.chat_user_reference ?? null,
    chat_assistant_reference: req.chat_assistant_reference ?? null,
  };
}

export function chatTask(req: Req<'chat'>, now: Date): AnyRawTask {
  return { ...organic(req, now), task_type: 'ChatTask', ds: req.ds_repo, file_format: req.file_format ?? 'hf', ...chatFieldsOf(req) };
}

export function customChatTask(req: Req<'customChat'>, now: Date): AnyRawTask {
  return { ...organic(req, now), task_type: 'ChatTask', ...customData(req), ...chatFieldsOf(req) };
}

function dpoFieldsOf(req: Req<'dpo'> | Req<'customDpo'>) {
  return {
    field_prompt: req.field_prompt,
    field_system: req.field_system ?? null,
    field_chosen: req.field_chosen,
    field_rejected: req.field_rejected,
    prompt_format: req.prompt_format ?? null,
    chosen_format: req.chosen_format ?? null,
    rejected_format: req.rejected_format ?? null,
  };
}

export function dpoTask(req: Req<'dpo'>, now: Date): AnyRawTask {
  return { ...organic(req, now), task_type: 'DpoTask', ds: req.ds_repo, file_format: req.file_format ?? 'hf', ...dpoFieldsOf(req) };
}

export function customDpoTask(req: Req<'customDpo'>, now: Date): AnyRawTask {
  return { ...organic(req, now), task_type: 'DpoTask', ...customData(req), ...dpoFieldsOf(req) };
}

export function grpoTask(req: Req<'grpo'>, functions: RewardFunction[], now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    task_type: 'GrpoTask',
    ds: req.ds_repo,
    file_format: req.file_format ?? 'hf',
    field_prompt: req.field_prompt,
    extra_column: req.extra_column ?? null,
    reward_functions: functions,
  };
}

export function customGrpoTask(req: Req<'customGrpo'>, functions: RewardFunction[], now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    task_type: 'GrpoTask',
    ...customData(req),
    field_prompt: req.field_prompt,
    extra_column: req.extra_column ?? null,
    reward_functions: functions,
  };
}

export function imageTask(req: Req<'image'>, now: Date): AnyRawTask {
  return {
    ...organic(req, now),
    task_type: 'ImageTask',
    ds: req.ds_id ?? randomUUID(),
    image_text_pairs: req.image_text_pairs,
    model_type: req.model_type ?? 'sdxl',
  };
}
