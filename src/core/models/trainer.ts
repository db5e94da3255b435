/**
 * Validator (orchestrator) ↔ trainer payloads (core/models/payload_models.py, utility_models.py;
 * tournament.md §5 and §6).
 */
import { z } from 'zod';
import { gpuTypeSchema, taskStatusSchema } from '../enums.ts';
import { complete, dateTimeSchema, intSchema, type Complete, type DefaultsOf } from './common.ts';
import { trainRequestSchema } from './payloads.ts';

/** Trainer routes (default port 8001 when `trainer_ip` has none; plain HTTP). */
export const TRAINER_ENDPOINTS = {
  startTraining: '/v1/trainer/start_training',
  gpuAvailability: '/v1/trainer/get_gpu_availability',
  recentTasks: '/v1/trainer/get_recent_tasks',
  taskDetails: '/v1/trainer/{task_id}',
} as const;
export const DEFAULT_TRAINER_PORT = 8001;
/** The start reply's message the orchestrator checks for to count a start as successful. */
export const TRAINING_STARTED_MESSAGE = 'Started Training!';

/** GPUInfo: one GPU of a trainer. `available` = no running job lists its id. */
export const gpuInfoSchema = z.object({
  gpu_id: intSchema,
  gpu_type: gpuTypeSchema,
  vram_gb: intSchema,
  available: z.boolean(),
  used_until: dateTimeSchema.nullable().optional(),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;
export const gpuInfoDefaults: DefaultsOf<GpuInfo> = { used_until: null };

/** GET /v1/trainer/get_gpu_availability. */
export const gpuAvailabilityResponseSchema = z.array(gpuInfoSchema);

/** TrainerInfo: a trainer (the `trainers_gpus` rows sharing `trainer_ip`) and its GPUs. */
export const trainerInfoSchema = z.object({
  /** Host, optionally with `:port`. */
  trainer_ip: z.string(),
  gpus: z.array(gpuInfoSchema),
});
export type TrainerInfo = z.infer<typeof trainerInfoSchema>;

const trainerProxyRequestShape = {
  training_data: trainRequestSchema,
  github_repo: z.string(),
  gpu_ids: z.array(intSchema),
  hotkey: z.string(),
  github_branch: z.string().nullable().optional(),
  github_commit_hash: z.string().nullable().optional(),
};

/** POST /v1/trainer/start_training: build the miner's repo and train `training_data` on `gpu_ids`. */
export const trainerProxyRequestSchema = z.object(trainerProxyRequestShape);
export type TrainerProxyRequest = z.infer<typeof trainerProxyRequestSchema>;
export const trainerProxyRequestDefaults: DefaultsOf<TrainerProxyRequest> = {
  github_branch: null,
  github_commit_hash: null,
};

/**
 * The trainer's reply to start_training. Reference: `{message, task_id}`; [HEAD] a clone failure answers
 * 200 with `{message, task_id, error, success: false, no_retry: true}`, hence the optional keys.
 */
export const trainerStartResponseSchema = z.object({
  message: z.string(),
  task_id: z.string(),
  error: z.string().nullable().optional(),
  success: z.boolean().optional(),
  no_retry: z.boolean().optional(),
});
export type TrainerStartResponse = z.infer<typeof trainerStartResponseSchema>;

/** TrainerTaskLog: a trainer's history entry for (task_id, hotkey). Status is training | success | failure. */
export const trainerTaskLogSchema = z.object({
  ...trainerProxyRequestShape,
  status: taskStatusSchema,
  started_at: dateTimeSchema.nullable(),
  finished_at: dateTimeSchema.nullable(),
  wandb_url: z.string().nullable().optional(),
  /** `[<iso utc>] message` lines. */
  logs: z.array(z.string()).optional(),
});
export type TrainerTaskLog = z.infer<typeof trainerTaskLogSchema>;
export const trainerTaskLogDefaults: DefaultsOf<TrainerTaskLog> = {
  github_branch: null,
  github_commit_hash: null,
  wandb_url: null,
  logs: [],
};
export const completeTrainerTaskLog = (l: TrainerTaskLog): Complete<TrainerTaskLog> => complete(l, trainerTaskLogDefaults);

/** GET /v1/trainer/get_recent_tasks?hours=N (404 when empty). */
export const recentTasksResponseSchema = z.array(trainerTaskLogSchema);

/** GET /v1/tournament_orchestrator/training_stats (`training` only when such rows exist). */
export const trainingStatsSchema = z.object({
  total_pairs: intSchema,
  pending: intSchema,
  success: intSchema,
  failure: intSchema,
  training: intSchema.optional(),
  avg_attempts: z.number(),
  max_attempts: intSchema,
});
export type TrainingStats = z.infer<typeof trainingStatsSchema>;
