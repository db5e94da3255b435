/**
 * Every enum of the original, with the exact strings it puts on the wire and in the database.
 * Sources: core/models/utility_models.py, core/models/tournament_models.py, validator/core/models.py
 * (reference commit a7e666d7). Values marked [HEAD] exist only in the Dec 2025 version.
 *
 * Each enum is a zod schema plus a frozen `values` tuple and a string-union type of the same name.
 */
import { z } from 'zod';

function wireEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return Object.freeze({ values, schema: z.enum(values) });
}

export const TASK_TYPES = ['InstructTextTask', 'ImageTask', 'DpoTask', 'GrpoTask', 'ChatTask'] as const;
/** `tasktype` Postgres enum; the task-type strings miners see in offers and trainers in CLI args. */
export const taskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof taskTypeSchema>;
/** The text task types (everything but ImageTask): the ones a TrainRequestText carries. */
export const TEXT_TASK_TYPES = ['InstructTextTask', 'DpoTask', 'GrpoTask', 'ChatTask'] as const satisfies readonly TaskType[];
export type TextTaskType = (typeof TEXT_TASK_TYPES)[number];

export const TASK_STATUSES = [
  'pending',
  'preparing_data',
  'prep_task_failure',
  'looking_for_nodes',
  'failure_finding_nodes',
  'delayed',
  'ready',
  'training',
  'preevaluation',
  'evaluating',
  'success',
  'failure',
] as const;
/** Task status as the reference enum defines it; payloads that type it (TaskDetails, TrainerTaskLog) reject others. */
export const taskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/**
 * Removed from the enum in July 2025 but still present in old `tasks.status` rows (the column is free TEXT).
 * Nothing writes them; readers of stored rows must accept them.
 */
export const LEGACY_TASK_STATUSES = ['idle', 'node_training_failure'] as const;
export const legacyTaskStatusSchema = z.enum(LEGACY_TASK_STATUSES);
export type LegacyTaskStatus = z.infer<typeof legacyTaskStatusSchema>;
/** What a stored task row may hold in `status`: a current or a legacy value. */
export const storedTaskStatusSchema = z.enum([...TASK_STATUSES, ...LEGACY_TASK_STATUSES]);
export type StoredTaskStatus = z.infer<typeof storedTaskStatusSchema>;

export const FILE_FORMATS = ['csv', 'json', 'hf', 's3'] as const;
/** Dataset location kind. Tasks only work with `hf` and `s3`; miners always get `s3`, eval containers `json`. */
export const fileFormatSchema = z.enum(FILE_FORMATS);
export type FileFormat = z.infer<typeof fileFormatSchema>;

export const IMAGE_MODEL_TYPES = ['flux', 'sdxl'] as const;
/** `model_type_enum` in Postgres; `sdxl` is the default everywhere it is optional. */
export const imageModelTypeSchema = z.enum(IMAGE_MODEL_TYPES);
export type ImageModelType = z.infer<typeof imageModelTypeSchema>;

export const JOB_STATUSES = ['Queued', 'Running', 'Completed', 'Failed', 'Not Found'] as const;
/** Status of a training job inside the reference miner's queue. */
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const ROLES = ['system', 'user', 'assistant'] as const;
/** Chat message role used by the validator's LLM calls (synthetic data). */
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const GPU_TYPES = ['H100', 'A100', 'A6000'] as const;
/** GPU models a trainer reports; devices matching none of these are left out of its list. */
export const gpuTypeSchema = z.enum(GPU_TYPES);
export type GpuType = z.infer<typeof gpuTypeSchema>;

export const TRAINING_STATUSES = ['pending', 'training', 'success', 'failure'] as const;
/** Per (task, hotkey) training row of a tournament task. */
export const trainingStatusSchema = z.enum(TRAINING_STATUSES);
export type TrainingStatus = z.infer<typeof trainingStatusSchema>;

export const TOURNAMENT_STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;
export const tournamentStatusSchema = z.enum(TOURNAMENT_STATUSES);
export type TournamentStatus = z.infer<typeof tournamentStatusSchema>;

export const ROUND_STATUSES = ['pending', 'active', 'completed'] as const;
export const roundStatusSchema = z.enum(ROUND_STATUSES);
export type RoundStatus = z.infer<typeof roundStatusSchema>;

export const ROUND_TYPES = ['group', 'knockout'] as const;
export const roundTypeSchema = z.enum(ROUND_TYPES);
export type RoundType = z.infer<typeof roundTypeSchema>;

export const TOURNAMENT_TYPES = ['text', 'image'] as const;
/** Also the `{task_type}` path parameter of the miner's `/training_repo/{task_type}`. */
export const tournamentTypeSchema = z.enum(TOURNAMENT_TYPES);
export type TournamentType = z.infer<typeof tournamentTypeSchema>;

export const GPU_REQUIREMENTS = ['A100', '1xH100', '2xH100', '4xH100', '8xH100'] as const;
export const gpuRequirementSchema = z.enum(GPU_REQUIREMENTS);
export type GpuRequirement = z.infer<typeof gpuRequirementSchema>;

export const BACKENDS = ['oblivus', 'runpod'] as const;
/** [HEAD] which orchestrator trains an organic task. */
export const backendSchema = z.enum(BACKENDS);
export type Backend = z.infer<typeof backendSchema>;

export const TOURNAMENT_FILTERS = ['all', 'only', 'exclude'] as const;
/** Task-status queries: restrict by membership in `tournament_tasks`. */
export const tournamentFilterSchema = z.enum(TOURNAMENT_FILTERS);
export type TournamentFilter = z.infer<typeof tournamentFilterSchema>;

export const BENCHMARK_FILTERS = ['include', 'exclude', 'only'] as const;
/** Task-status queries: restrict by membership in the benchmark tables (default `exclude`). */
export const benchmarkFilterSchema = z.enum(BENCHMARK_FILTERS);
export type BenchmarkFilter = z.infer<typeof benchmarkFilterSchema>;

/** Every enum by its original class name, for documentation, OpenAPI and exhaustive tests. */
export const ENUMS = {
  TaskType: wireEnum(TASK_TYPES),
  TaskStatus: wireEnum(TASK_STATUSES),
  LegacyTaskStatus: wireEnum(LEGACY_TASK_STATUSES),
  FileFormat: wireEnum(FILE_FORMATS),
  ImageModelType: wireEnum(IMAGE_MODEL_TYPES),
  JobStatus: wireEnum(JOB_STATUSES),
  Role: wireEnum(ROLES),
  GPUType: wireEnum(GPU_TYPES),
  TrainingStatus: wireEnum(TRAINING_STATUSES),
  TournamentStatus: wireEnum(TOURNAMENT_STATUSES),
  RoundStatus: wireEnum(ROUND_STATUSES),
  RoundType: wireEnum(ROUND_TYPES),
  TournamentType: wireEnum(TOURNAMENT_TYPES),
  GpuRequirement: wireEnum(GPU_REQUIREMENTS),
  Backend: wireEnum(BACKENDS),
  TournamentFilter: wireEnum(TOURNAMENT_FILTERS),
  BenchmarkFilter: wireEnum(BENCHMARK_FILTERS),
} as const;

/** The tournament type a task type belongs to (image tasks run in image tournaments, the rest in text ones). */
export function tournamentTypeOf(taskType: TaskType): TournamentType {
  return taskType === 'ImageTask' ? 'image' : 'text';
}
