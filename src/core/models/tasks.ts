/**
 * Tasks: the stored task objects (validator/core/models.py `*RawTask`, `*Task`, `*TaskWithHotkeyDetails`),
 * the organic create requests and the task API's responses (core/models/payload_models.py; validator.md §2,
 * §3, §10). Stored objects are JSON-shaped: date-times are ISO strings (the DB layer converts Dates with
 * `toDateTime`).
 */
import { z } from 'zod';
import { backendSchema, fileFormatSchema, imageModelTypeSchema, taskStatusSchema } from '../enums.ts';
import { dateTimeSchema, floatSchema, intSchema, uuidSchema } from './common.ts';
import { imageTextPairSchema } from './datasets.ts';
import { rewardFunctionReferenceSchema, rewardFunctionSchema, withFuncHash } from './reward-functions.ts';

const optionalString = z.string().nullable().optional();
const optionalDateTime = dateTimeSchema.nullable().optional();

/** Account id of synthetic (validator-made) tasks. */
export const SYNTHETIC_ACCOUNT_ID = '00000000-0000-0000-0000-000000000000';

/** RawTask: the `tasks` row. */
const rawTaskShape = {
  is_organic: z.boolean(),
  /** Assigned by the database on insert; absent/null before that. */
  task_id: uuidSchema.nullable().optional(),
  /**
   * Free text in the database: current TaskStatus values, legacy ones (`idle`, `node_training_failure`) or
   * anything an older version wrote. Use `isTaskStatus` (task-status.ts) before driving the state machine.
   */
  status: z.string(),
  /** HF repo of the base model. */
  model_id: z.string(),
  /** Dataset id, URL, `"custom"`, `"mix of N datasets"`, an image ds name, or `"Hidden"` in API output. */
  ds: z.string(),
  account_id: uuidSchema,
  times_delayed: intSchema.optional(),
  /** An integer here and in the DB, although requests accept a float. */
  hours_to_complete: intSchema,
  test_data: optionalString,
  training_data: optionalString,
  /** In memory only: when non-null, saving the task rewrites its `task_nodes` rows. */
  assigned_miners: z.array(intSchema).nullable().optional(),
  /** Legacy column, unused. */
  miner_scores: z.array(floatSchema).nullable().optional(),
  training_repo_backup: optionalString,
  result_model_name: optionalString,
  created_at: dateTimeSchema,
  next_delay_at: optionalDateTime,
  updated_at: optionalDateTime,
  started_at: optionalDateTime,
  termination_at: optionalDateTime,
  completed_at: optionalDateTime,
  n_eval_attempts: intSchema.optional(),
  model_params_count: intSchema.optional(),
  /** [HEAD] which orchestrator trains an organic task. */
  backend: backendSchema.nullable().optional(),
  /** [HEAD] YaRN context-extension factor: 2, 4, 8, 16 or 32. */
  yarn_factor: z.union([z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32)]).nullable().optional(),
};

/** Base-row defaults (pydantic field defaults of RawTask). */
export const rawTaskDefaults = {
  task_id: null,
  times_delayed: 0,
  test_data: null,
  training_data: null,
  assigned_miners: null,
  miner_scores: null,
  training_repo_backup: null,
  result_model_name: null,
  next_delay_at: null,
  updated_at: null,
  started_at: null,
  termination_at: null,
  completed_at: null,
  n_eval_attempts: 0,
  model_params_count: 0,
} as const;

const textTaskShape = {
  synthetic_data: optionalString,
  /** Defaults to `hf`. */
  file_format: fileFormatSchema.optional(),
};

/** InstructTextRawTask (`instruct_text_tasks`). */
export const instructTextRawTaskSchema = z.object({
  ...rawTaskShape,
  ...textTaskShape,
  task_type: z.literal('InstructTextTask'),
  field_system: optionalString,
  field_instruction: z.string(),
  field_input: optionalString,
  field_output: optionalString,
  format: optionalString,
  no_input_format: optionalString,
  /** Typed as always null by the original. */
  system_format: z.null().optional(),
});
export type InstructTextRawTask = z.infer<typeof instructTextRawTaskSchema>;

/** DpoRawTask (`dpo_tasks`). */
export const dpoRawTaskSchema = z.object({
  ...rawTaskShape,
  ...textTaskShape,
  task_type: z.literal('DpoTask'),
  field_prompt: z.string(),
  field_system: optionalString,
  field_chosen: z.string(),
  field_rejected: z.string(),
  prompt_format: optionalString,
  chosen_format: optionalString,
  rejected_format: optionalString,
});
export type DpoRawTask = z.infer<typeof dpoRawTaskSchema>;

/** GrpoRawTask (`grpo_tasks` + `grpo_task_functions` + `reward_functions`). */
export const grpoRawTaskSchema = z.object({
  ...rawTaskShape,
  ...textTaskShape,
  task_type: z.literal('GrpoTask'),
  field_prompt: z.string(),
  reward_functions: z.array(rewardFunctionSchema),
  extra_column: optionalString,
});
export type GrpoRawTask = z.infer<typeof grpoRawTaskSchema>;

/** As the original's model validator: every reward function gets its func_hash (sha256 of the code). */
export function withFuncHashes<T extends { reward_functions: GrpoRawTask['reward_functions'] }>(task: T): T {
  return { ...task, reward_functions: task.reward_functions.map(withFuncHash) };
}

/** ChatRawTask (`chat_tasks`). The chat defaults apply only to absent keys; stored nulls stay null. */
export const chatRawTaskSchema = z.object({
  ...rawTaskShape,
  ...textTaskShape,
  task_type: z.literal('ChatTask'),
  chat_template: optionalString,
  chat_column: optionalString,
  chat_role_field: optionalString,
  chat_content_field: optionalString,
  chat_user_reference: optionalString,
  chat_assistant_reference: optionalString,
});
export type ChatRawTask = z.infer<typeof chatRawTaskSchema>;

/** ImageRawTask (`image_tasks` + `image_text_pairs` in `id` order). */
export const imageRawTaskSchema = z.object({
  ...rawTaskShape,
  task_type: z.literal('ImageTask'),
  image_text_pairs: z.array(imageTextPairSchema).nullable().optional(),
  model_type: imageModelTypeSchema.optional(),
});
export type ImageRawTask = z.infer<typeof imageRawTaskSchema>;

/** Per-type defaults beyond the base row (pydantic field defaults). */
export const RAW_TASK_TYPE_DEFAULTS = {
  InstructTextTask: {
    field_system: null,
    field_input: null,
    field_output: null,
    format: null,
    no_input_format: null,
    system_format: null,
    synthetic_data: null,
    file_format: 'hf',
  },
  DpoTask: {
    field_system: null,
    prompt_format: null,
    chosen_format: null,
    rejected_format: null,
    synthetic_data: null,
    file_format: 'hf',
  },
  GrpoTask: { synthetic_data: null, extra_column: null, file_format: 'hf' },
  ChatTask: {
    chat_template: 'chatml',
    chat_column: 'conversations',
    chat_role_field: 'from',
    chat_content_field: 'value',
    chat_user_reference: 'user',
    chat_assistant_reference: 'assistant',
    synthetic_data: null,
    file_format: 'hf',
  },
  ImageTask: { image_text_pairs: null, model_type: 'sdxl' },
} as const;

/** AnyTypeRawTask, discriminated by `task_type` (always present in stored rows and in model_dump output). */
export const anyRawTaskSchema = z.discriminatedUnion('task_type', [
  instructTextRawTaskSchema,
  dpoRawTaskSchema,
  grpoRawTaskSchema,
  chatRawTaskSchema,
  imageRawTaskSchema,
]);
export type AnyRawTask = z.infer<typeof anyRawTaskSchema>;
export type AnyTextRawTask = InstructTextRawTask | DpoRawTask | GrpoRawTask | ChatRawTask;

/** `*Task`: a raw task plus the computed winning repo (COALESCE(training_repo_backup, best submission)). */
const withRepo = { trained_model_repository: optionalString };
export const instructTextTaskSchema = instructTextRawTaskSchema.extend(withRepo);
export const dpoTaskSchema = dpoRawTaskSchema.extend(withRepo);
export const grpoTaskSchema = grpoRawTaskSchema.extend(withRepo);
export const chatTaskSchema = chatRawTaskSchema.extend(withRepo);
export const imageTaskSchema = imageRawTaskSchema.extend(withRepo);
export const anyTaskSchema = z.discriminatedUnion('task_type', [
  instructTextTaskSchema,
  dpoTaskSchema,
  grpoTaskSchema,
  chatTaskSchema,
  imageTaskSchema,
]);
export type InstructTextTask = z.infer<typeof instructTextTaskSchema>;
export type DpoTask = z.infer<typeof dpoTaskSchema>;
export type GrpoTask = z.infer<typeof grpoTaskSchema>;
export type ChatTask = z.infer<typeof chatTaskSchema>;
export type ImageTask = z.infer<typeof imageTaskSchema>;
export type AnyTask = z.infer<typeof anyTaskSchema>;

/** HotkeyDetails: one assigned miner's outcome, as the public auditing endpoints show it. */
export const hotkeyDetailsSchema = z.object({
  hotkey: z.string(),
  submission_id: uuidSchema.nullable().optional(),
  quality_score: floatSchema.nullable(),
  test_loss: floatSchema.nullable(),
  synth_loss: floatSchema.nullable(),
  repo: z.string().nullable(),
  rank: intSchema.nullable(),
  score_reason: optionalString,
  /** The miner's raw offer reply, as stored. */
  offer_response: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type HotkeyDetails = z.infer<typeof hotkeyDetailsSchema>;

/** `*TaskWithHotkeyDetails`: GET /auditing/tasks/{task_id} and /auditing/tasks/hotkey/{hotkey}. */
const withHotkeys = { hotkey_details: z.array(hotkeyDetailsSchema) };
export const anyTaskWithHotkeyDetailsSchema = z.discriminatedUnion('task_type', [
  instructTextTaskSchema.extend(withHotkeys),
  dpoTaskSchema.extend(withHotkeys),
  grpoTaskSchema.extend(withHotkeys),
  chatTaskSchema.extend(withHotkeys),
  imageTaskSchema.extend(withHotkeys),
]);
export type AnyTaskWithHotkeyDetails = z.infer<typeof anyTaskWithHotkeyDetailsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Organic create requests (validator.md §3)

/** Trims the named string fields and turns "" into null before validation, as the original's pre-validators do. */
export function blankToNull<S extends z.ZodType>(fields: readonly string[], schema: S) {
  return z.preprocess((input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    for (const f of fields) {
      const v = out[f];
      if (typeof v === 'string') out[f] = v.trim() === '' ? null : v.trim();
    }
    return out;
  }, schema);
}

const newTaskRequestShape = {
  account_id: uuidSchema,
  /** No range check in the original (zero and negative pass); fractions later fail the integer task model. */
  hours_to_complete: floatSchema,
  result_model_name: optionalString,
};

const instructFields = {
  field_instruction: z.string(),
  field_input: optionalString,
  field_output: optionalString,
  field_system: optionalString,
};
const INSTRUCT_TRIMMED = ['field_instruction', 'field_input', 'field_output', 'field_system'] as const;

const newTaskRequestInstructTextObject = z.object({
  ...newTaskRequestShape,
  ...instructFields,
  ds_repo: z.string(),
  /** Defaults to `hf`. */
  file_format: fileFormatSchema.optional(),
  model_repo: z.string(),
  /** Must be null: customers cannot set templates. */
  format: z.null().optional(),
  no_input_format: z.null().optional(),
});
/** POST /v1/tasks/create. */
export const newTaskRequestInstructTextSchema = blankToNull(INSTRUCT_TRIMMED, newTaskRequestInstructTextObject);
export type NewTaskRequestInstructText = z.infer<typeof newTaskRequestInstructTextSchema>;

/** POST /v1/tasks/create_chat. */
export const newTaskRequestChatSchema = blankToNull(
  ['chat_column', 'chat_role_field', 'chat_content_field', 'chat_user_reference', 'chat_assistant_reference'],
  z.object({
    ...newTaskRequestShape,
    chat_template: z.string(),
    chat_column: optionalString,
    chat_role_field: optionalString,
    chat_content_field: optionalString,
    chat_user_reference: optionalString,
    chat_assistant_reference: optionalString,
    ds_repo: z.string(),
    file_format: fileFormatSchema.optional(),
    model_repo: z.string(),
  }),
);
export type NewTaskRequestChat = z.infer<typeof newTaskRequestChatSchema>;

/** POST /v1/tasks/create_dpo. */
export const newTaskRequestDpoSchema = blankToNull(
  ['field_prompt', 'field_system', 'field_chosen', 'field_rejected'],
  z.object({
    ...newTaskRequestShape,
    field_prompt: z.string(),
    field_system: optionalString,
    field_chosen: z.string(),
    field_rejected: z.string(),
    prompt_format: optionalString,
    chosen_format: optionalString,
    rejected_format: optionalString,
    ds_repo: z.string(),
    file_format: fileFormatSchema.optional(),
    model_repo: z.string(),
  }),
);
export type NewTaskRequestDpo = z.infer<typeof newTaskRequestDpoSchema>;

/** POST /v1/tasks/create_grpo. Each reward_id must name a stored function (checked by the handler). */
export const newTaskRequestGrpoSchema = blankToNull(
  ['field_prompt'],
  z.object({
    ...newTaskRequestShape,
    field_prompt: z.string(),
    extra_column: optionalString,
    ds_repo: z.string(),
    file_format: fileFormatSchema.optional(),
    model_repo: z.string(),
    reward_functions: z.array(rewardFunctionReferenceSchema).min(1, 'reward_functions must not be empty'),
  }),
);
export type NewTaskRequestGrpo = z.infer<typeof newTaskRequestGrpoSchema>;

/** Image pair limits of the reference (ccst.MIN/MAX_IMAGE_TEXT_PAIRS); the rules module may pass others. */
export interface ImagePairLimits {
  readonly min: number;
  readonly max: number;
}
export const REFERENCE_IMAGE_PAIR_LIMITS: ImagePairLimits = Object.freeze({ min: 10, max: 50 });

/** POST /v1/tasks/create_image, with the pair-count limits given. */
export function makeNewTaskRequestImageSchema(limits: ImagePairLimits) {
  return z.object({
    ...newTaskRequestShape,
    model_repo: z.string(),
    image_text_pairs: z.array(imageTextPairSchema).min(limits.min).max(limits.max),
    /** Defaults to a random uuid string (the caller generates it). */
    ds_id: z.string().optional(),
    model_type: imageModelTypeSchema.optional(),
  });
}
export const newTaskRequestImageSchema = makeNewTaskRequestImageSchema(REFERENCE_IMAGE_PAIR_LIMITS);
export type NewTaskRequestImage = z.infer<typeof newTaskRequestImageSchema>;

/** POST /v1/tasks/create_with_fixed_datasets (reference only): file_format defaults to `s3`. */
export const newTaskWithFixedDatasetsRequestSchema = blankToNull(
  INSTRUCT_TRIMMED,
  newTaskRequestInstructTextObject.extend({
    ds_repo: optionalString,
    file_format: fileFormatSchema.optional(),
    training_data: z.string(),
    synthetic_data: z.string(),
    test_data: z.string(),
  }),
);
export type NewTaskWithFixedDatasetsRequest = z.infer<typeof newTaskWithFixedDatasetsRequestSchema>;

/** POST /v1/tasks/create_custom_dataset_text: file_format defaults to `s3` (stored ds `"custom"` if no ds_repo). */
export const newTaskWithCustomDatasetRequestSchema = blankToNull(
  INSTRUCT_TRIMMED,
  newTaskRequestInstructTextObject.extend({
    ds_repo: optionalString,
    training_data: z.string(),
    test_data: optionalString,
    file_format: fileFormatSchema.optional(),
  }),
);
export type NewTaskWithCustomDatasetRequest = z.infer<typeof newTaskWithCustomDatasetRequestSchema>;

/** The reply to every create call. */
export const newTaskResponseSchema = z.object({
  success: z.boolean(),
  task_id: uuidSchema.nullable(),
  created_at: dateTimeSchema,
  account_id: uuidSchema.nullable(),
});
export type NewTaskResponse = z.infer<typeof newTaskResponseSchema>;

// ---------------------------------------------------------------------------------------------------------
// Task API responses (validator.md §10)

const taskDetailsShape = {
  id: uuidSchema,
  account_id: uuidSchema,
  status: taskStatusSchema,
  started_at: dateTimeSchema.nullable(),
  /** = termination_at. */
  finished_at: dateTimeSchema.nullable(),
  created_at: dateTimeSchema,
  hours_to_complete: floatSchema,
  trained_model_repository: z.string().nullable(),
  result_model_name: optionalString,
};
const textDetailsShape = { base_model_repository: z.string(), ds_repo: z.string() };

export const instructTextTaskDetailsSchema = z.object({
  ...taskDetailsShape,
  ...textDetailsShape,
  task_type: z.literal('InstructTextTask'),
  field_system: optionalString,
  field_instruction: z.string(),
  field_input: optionalString,
  field_output: optionalString,
  format: z.null().optional(),
  no_input_format: z.null().optional(),
  system_format: z.null().optional(),
});
export const dpoTaskDetailsSchema = z.object({
  ...taskDetailsShape,
  ...textDetailsShape,
  task_type: z.literal('DpoTask'),
  field_prompt: z.string(),
  field_system: optionalString,
  field_chosen: z.string(),
  field_rejected: z.string(),
  prompt_format: optionalString,
  chosen_format: optionalString,
  rejected_format: optionalString,
});
export const grpoTaskDetailsSchema = z.object({
  ...taskDetailsShape,
  ...textDetailsShape,
  task_type: z.literal('GrpoTask'),
  field_prompt: z.string(),
  reward_functions: z.array(rewardFunctionSchema),
});
/**
 * [HEAD] ChatTaskDetails (the reference has none, so its chat task details answer 500). HEAD types
 * chat_role_field/chat_content_field as required strings although stored values may be null; here every
 * chat field but the template is nullable, so a stored chat task always renders.
 */
export const chatTaskDetailsSchema = z.object({
  ...taskDetailsShape,
  ...textDetailsShape,
  task_type: z.literal('ChatTask'),
  chat_template: z.string(),
  chat_column: optionalString,
  chat_role_field: optionalString,
  chat_content_field: optionalString,
  chat_user_reference: optionalString,
  chat_assistant_reference: optionalString,
});
export const imageTaskDetailsSchema = z.object({
  ...taskDetailsShape,
  task_type: z.literal('ImageTask'),
  image_text_pairs: z.array(imageTextPairSchema),
  base_model_repository: z.string(),
  model_type: imageModelTypeSchema.optional(),
});
/** GET /v1/tasks/{task_id} and the task lists: the type-specific TaskDetails. */
export const anyTaskDetailsSchema = z.discriminatedUnion('task_type', [
  instructTextTaskDetailsSchema,
  dpoTaskDetailsSchema,
  grpoTaskDetailsSchema,
  chatTaskDetailsSchema,
  imageTaskDetailsSchema,
]);
export type InstructTextTaskDetails = z.infer<typeof instructTextTaskDetailsSchema>;
export type DpoTaskDetails = z.infer<typeof dpoTaskDetailsSchema>;
export type GrpoTaskDetails = z.infer<typeof grpoTaskDetailsSchema>;
export type ChatTaskDetails = z.infer<typeof chatTaskDetailsSchema>;
export type ImageTaskDetails = z.infer<typeof imageTaskDetailsSchema>;
export type AnyTaskDetails = z.infer<typeof anyTaskDetailsSchema>;

/** MinerTaskResult: one row of GET /v1/tasks/breakdown/{task_id} (NaN/±inf losses become null). */
export const minerTaskResultSchema = z.object({
  hotkey: z.string(),
  quality_score: floatSchema,
  test_loss: floatSchema.nullable(),
  synth_loss: floatSchema.nullable(),
  score_reason: z.string().nullable(),
});
export type MinerTaskResult = z.infer<typeof minerTaskResultSchema>;
export const taskResultResponseSchema = z.object({
  id: uuidSchema,
  miner_results: z.array(minerTaskResultSchema).nullable(),
});
export type TaskResultResponse = z.infer<typeof taskResultResponseSchema>;

/** TaskMinerResult / AllOfNodeResults: GET /v1/tasks/node_results/{hotkey}. */
export const taskMinerResultSchema = z.object({ task_id: uuidSchema, quality_score: floatSchema });
export type TaskMinerResult = z.infer<typeof taskMinerResultSchema>;
export const allOfNodeResultsSchema = z.object({
  success: z.boolean(),
  hotkey: z.string(),
  task_results: z.array(taskMinerResultSchema).nullable(),
});
export type AllOfNodeResults = z.infer<typeof allOfNodeResultsSchema>;

export const taskListResponseSchema = z.object({ success: z.boolean(), task_id: uuidSchema, status: taskStatusSchema });
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;

/** WinningSubmission: the best miner of a task. */
export const winningSubmissionSchema = z.object({ hotkey: z.string(), score: floatSchema, model_repo: z.string() });
export type WinningSubmission = z.infer<typeof winningSubmissionSchema>;

/** GET /v1/network/status. */
export const networkStatsSchema = z.object({
  number_of_jobs_training: intSchema,
  number_of_jobs_preevaluation: intSchema,
  number_of_jobs_evaluating: intSchema,
  number_of_jobs_success: intSchema,
  next_training_end: dateTimeSchema.nullable(),
  job_can_be_made: z.boolean().optional(),
});
export type NetworkStats = z.infer<typeof networkStatsSchema>;

const count = intSchema.optional();
/** GET /v1/network/detailed_status: the above plus per-type counts (no chat at the reference). */
export const detailedNetworkStatsSchema = networkStatsSchema.extend({
  instruct_training: count,
  instruct_preevaluation: count,
  instruct_evaluating: count,
  instruct_success: count,
  dpo_training: count,
  dpo_preevaluation: count,
  dpo_evaluating: count,
  dpo_success: count,
  grpo_training: count,
  grpo_preevaluation: count,
  grpo_evaluating: count,
  grpo_success: count,
  image_training: count,
  image_preevaluation: count,
  image_evaluating: count,
  image_success: count,
});
export type DetailedNetworkStats = z.infer<typeof detailedNetworkStatsSchema>;

const qualityMetricsSchema = z.object({
  total_score: floatSchema,
  total_count: intSchema,
  total_success: intSchema,
  total_quality: intSchema,
  avg_quality_score: floatSchema,
  success_rate: floatSchema,
  quality_rate: floatSchema,
});
const workloadMetricsSchema = z.object({
  competition_hours: intSchema.min(0),
  total_params_billions: floatSchema.min(0),
});
const modelMetricsSchema = z.object({
  modal_model: z.string(),
  unique_models: intSchema.min(0),
  unique_datasets: intSchema.min(0),
});
export const nodeStatsSchema = z.object({
  quality_metrics: qualityMetricsSchema,
  workload_metrics: workloadMetricsSchema,
  model_metrics: modelMetricsSchema,
});
export type NodeStats = z.infer<typeof nodeStatsSchema>;
/** Leaderboard periods and the SQL interval each covers. */
export const LEADERBOARD_PERIODS = {
  daily: '24 hours',
  three_day: '3 days',
  weekly: '7 days',
  monthly: '30 days',
  all_time: 'all',
} as const;
export const allNodeStatsSchema = z.object({
  daily: nodeStatsSchema,
  three_day: nodeStatsSchema,
  weekly: nodeStatsSchema,
  monthly: nodeStatsSchema,
  all_time: nodeStatsSchema,
});
/** One row of GET /v1/leaderboard. */
export const leaderboardRowSchema = z.object({ hotkey: z.string(), stats: allNodeStatsSchema });
export type LeaderboardRow = z.infer<typeof leaderboardRowSchema>;

export const imageModelInfoSchema = z.object({ model_id: z.string(), model_type: imageModelTypeSchema });
export const imageModelsResponseSchema = z.object({ models: z.array(imageModelInfoSchema) });
export type ImageModelsResponse = z.infer<typeof imageModelsResponseSchema>;

/** GET /v1/benchmark/results. */
export const benchmarkResultSchema = z.object({
  copy_task_id: z.string(),
  participant_hotkey: z.string(),
  tournament_id: z.string().nullable(),
  quality_score: floatSchema,
  test_loss: floatSchema.nullable(),
  synth_loss: floatSchema.nullable(),
  repo: z.string().nullable(),
  completed_at: dateTimeSchema.nullable(),
  created_at: dateTimeSchema,
  model_id: z.string(),
  dataset: z.string(),
  task_type: z.string(),
});
export const benchmarkRootTaskResultsSchema = z.object({
  root_task_id: z.string(),
  model_id: z.string(),
  dataset: z.string(),
  task_type: z.string(),
  results: z.array(benchmarkResultSchema),
});
export type BenchmarkRootTaskResults = z.infer<typeof benchmarkRootTaskResultsSchema>;

