/**
 * Validator ↔ miner payloads (core/models/payload_models.py; miner-protocol-chain.md §3). Paths, with their
 * trailing slashes, are in `MINER_ENDPOINTS`.
 */
import { z } from 'zod';
import { fileFormatSchema, imageModelTypeSchema, jobStatusSchema, taskTypeSchema } from '../enums.ts';
import { complete, floatSchema, intSchema, smartUnion, uuidSchema, type Complete, type DefaultsOf } from './common.ts';
import {
  completeDatasetType,
  grpoDatasetTypeDefaults,
  grpoDatasetTypeSchema,
  textDatasetTypeSchema,
  type CompleteTextDatasetType,
} from './datasets.ts';
import { completeRewardFunction } from './reward-functions.ts';

/** Miner routes exactly as the validator calls them; the trailing slashes are part of the contract. */
export const MINER_ENDPOINTS = {
  taskOffer: '/task_offer/',
  taskOfferImage: '/task_offer_image/',
  startTraining: '/start_training/',
  startTrainingGrpo: '/start_training_grpo/',
  startTrainingImage: '/start_training_image/',
  latestModelSubmission: '/get_latest_model_submission/{task_id}',
  trainingRepo: '/training_repo/{task_type}',
} as const;

/** POST /task_offer/ and /task_offer_image/: "will you train this?" */
export const minerTaskOfferSchema = z.object({
  /** The validator's dataset size (a fixed 100000 for text at the reference). */
  ds_size: intSchema.nullable().optional(),
  model: z.string(),
  hours_to_complete: floatSchema,
  task_id: z.string(),
  task_type: taskTypeSchema,
  model_params_count: intSchema.nullable().optional(),
});
export type MinerTaskOffer = z.infer<typeof minerTaskOfferSchema>;
export const minerTaskOfferDefaults: DefaultsOf<MinerTaskOffer> = { ds_size: null, model_params_count: null };

/**
 * The miner's answer to an offer. Loose: the validator stores the whole response dict in
 * `offer_responses.offer_response` (jsonb), so keys beyond these two are kept, not dropped.
 */
export const minerTaskResponseSchema = z.looseObject({
  message: z.string(),
  accepted: z.boolean(),
});
export type MinerTaskResponse = z.infer<typeof minerTaskResponseSchema>;
/** What the validator records when an offer gets no usable answer (non-200, timeout, not an object). */
export const NO_OFFER_RESPONSE: MinerTaskResponse = Object.freeze({ message: 'No message given', accepted: false });

const trainRequestBase = {
  model: z.string().min(1),
  task_id: z.string(),
  hours_to_complete: floatSchema,
  /** Last path segment the submitted HF repo must have; null lets the miner choose (a uuid4). */
  expected_repo_name: z.string().nullable().optional(),
};

/** POST /start_training/ (Instruct, DPO, Chat; and any text type for a trainer). */
export const trainRequestTextSchema = z.object({
  ...trainRequestBase,
  dataset: z.string().min(1),
  dataset_type: textDatasetTypeSchema,
  file_format: fileFormatSchema,
});
export type TrainRequestText = z.infer<typeof trainRequestTextSchema>;

/** POST /start_training_grpo/. */
export const trainRequestGrpoSchema = z.object({
  ...trainRequestBase,
  dataset: z.string().min(1),
  dataset_type: grpoDatasetTypeSchema,
  file_format: fileFormatSchema,
});
export type TrainRequestGrpo = z.infer<typeof trainRequestGrpoSchema>;

/** POST /start_training_image/. */
export const trainRequestImageSchema = z.object({
  ...trainRequestBase,
  dataset_zip: z.string().min(1),
  model_type: imageModelTypeSchema.optional(),
});
export type TrainRequestImage = z.infer<typeof trainRequestImageSchema>;

/** Chat and DPO have no request class of their own: they are TrainRequestText with that dataset type. */
export const trainRequestChatSchema = trainRequestTextSchema;
export type TrainRequestChat = TrainRequestText;
export const trainRequestDpoSchema = trainRequestTextSchema;
export type TrainRequestDpo = TrainRequestText;

/** `TrainRequestImage | TrainRequestText` (the trainer's `training_data`), told apart by key presence. */
export const trainRequestSchema = smartUnion([
  { name: 'TrainRequestImage', schema: trainRequestImageSchema },
  { name: 'TrainRequestText', schema: trainRequestTextSchema },
] as const);
export type TrainRequest = TrainRequestText | TrainRequestImage;

export function isImageTrainRequest(r: TrainRequest): r is TrainRequestImage {
  return 'dataset_zip' in r;
}

export type CompleteTrainRequestText = Omit<Complete<TrainRequestText>, 'dataset_type'> & {
  dataset_type: CompleteTextDatasetType;
};
/** Every key present, nested dataset type included: the body a Python validator sends. */
export function completeTrainRequestText(r: TrainRequestText): CompleteTrainRequestText {
  return { ...complete(r, { expected_repo_name: null }), dataset_type: completeDatasetType(r.dataset_type) };
}
export function completeTrainRequestGrpo(r: TrainRequestGrpo) {
  const dt = complete(r.dataset_type, grpoDatasetTypeDefaults);
  return {
    ...complete(r, { expected_repo_name: null }),
    dataset_type: { ...dt, reward_functions: dt.reward_functions?.map(completeRewardFunction) ?? null },
  };
}
export function completeTrainRequestImage(r: TrainRequestImage): Complete<TrainRequestImage> {
  return complete(r, { expected_repo_name: null, model_type: 'sdxl' });
}

/** The miner's reply to a start-training call (the validator logs and ignores it). `task_id` is the job id. */
export const trainResponseSchema = z.object({
  message: z.string(),
  task_id: uuidSchema,
});
export type TrainResponse = z.infer<typeof trainResponseSchema>;

/** GET /get_latest_model_submission/{task_id}. */
export const minerSubmissionSchema = z.object({
  repo: z.string(),
  /** calculate_model_hash of the repo: 64 lowercase hex; absent/null skips verification. */
  model_hash: z.string().nullable().optional(),
});
export type MinerSubmission = z.infer<typeof minerSubmissionSchema>;

/**
 * What the validator accepts from the submission endpoint: the object, or (legacy) a bare JSON string,
 * where the literal "None" means no submission. Use `submissionRepo` to read it.
 */
export const minerSubmissionResponseSchema = z.union([minerSubmissionSchema, z.string()]);
export type MinerSubmissionResponse = z.infer<typeof minerSubmissionResponseSchema>;

/** Normalises either reply form; null when there is no submission. */
export function submissionRepo(reply: MinerSubmissionResponse): MinerSubmission | null {
  if (typeof reply === 'string') return reply === 'None' || reply === '' ? null : { repo: reply };
  return reply;
}

/** GET /training_repo/{task_type}: where a tournament participant's training code lives. */
export const trainingRepoResponseSchema = z.object({
  github_repo: z.string(),
  commit_hash: z.string(),
});
export type TrainingRepoResponse = z.infer<typeof trainingRepoResponseSchema>;

/** Miner-internal job status query (JobStatusPayload / JobStatusResponse). */
export const jobStatusPayloadSchema = z.object({ task_id: uuidSchema });
export type JobStatusPayload = z.infer<typeof jobStatusPayloadSchema>;
export const jobStatusResponseSchema = z.object({ task_id: uuidSchema, status: jobStatusSchema });
export type JobStatusResponse = z.infer<typeof jobStatusResponseSchema>;
