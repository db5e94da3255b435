/**
 * A training job as the queue stores it and a backend receives it: the validator's request with the dataset
 * already on this machine, and the hub repo the result goes to (decided when the job is queued, so the
 * submission endpoint can name it even for GRPO — docs/deviations.md D-miner-1).
 */
import { z } from 'zod';
import { imageModelTypeSchema, taskTypeSchema, type TaskType } from '../core/enums.ts';
import { classifyDatasetType, grpoDatasetTypeSchema, textDatasetTypeSchema, type ClassifiedDatasetType } from '../core/models/datasets.ts';
import type { TrainRequestGrpo, TrainRequestImage, TrainRequestText } from '../core/models/payloads.ts';
import { parseWire } from '../core/parse.ts';

const common = {
  taskId: z.string(),
  taskType: taskTypeSchema,
  model: z.string(),
  hoursToComplete: z.number(),
  expectedRepoName: z.string().nullable(),
  /** `namespace/name` on the model hub. */
  repo: z.string(),
};

export const textJobSchema = z.object({
  kind: z.literal('text'),
  ...common,
  /** Local file (json/csv) or a Hugging Face dataset id (hf). */
  dataset: z.string(),
  fileFormat: z.enum(['json', 'csv', 'hf']),
  /** The wire dataset type as parsed at the endpoint; parsed and classified again by `datasetTypeOf`. */
  datasetType: z.record(z.string(), z.unknown()),
  grpo: z.boolean(),
});
export type TextJob = z.infer<typeof textJobSchema>;

export const imageJobSchema = z.object({
  kind: z.literal('image'),
  ...common,
  /** Local path of the downloaded zip. */
  datasetZip: z.string(),
  modelType: imageModelTypeSchema,
});
export type ImageJob = z.infer<typeof imageJobSchema>;

export const trainingJobSchema = z.discriminatedUnion('kind', [textJobSchema, imageJobSchema]);
export type TrainingJob = z.infer<typeof trainingJobSchema>;

/** Reads a stored job back, failing loudly (with the field path) on a row written by something else. */
export function parseStoredJob(value: unknown): TrainingJob {
  return parseWire(trainingJobSchema, value, { label: 'miner_jobs.job' });
}

/** The dataset type's union member; a GRPO-endpoint job is GRPO whatever keys it carries. */
export function datasetTypeOf(job: TextJob): ClassifiedDatasetType {
  if (job.grpo) return { kind: 'GrpoDatasetType', value: parseWire(grpoDatasetTypeSchema, job.datasetType, { label: 'dataset_type' }) };
  return classifyDatasetType(parseWire(textDatasetTypeSchema, job.datasetType, { label: 'dataset_type' }));
}

/** Which task type a text request is, from its dataset type. */
export function textTaskType(datasetType: ClassifiedDatasetType): TaskType {
  switch (datasetType.kind) {
    case 'InstructTextDatasetType':
      return 'InstructTextTask';
    case 'DpoDatasetType':
      return 'DpoTask';
    case 'GrpoDatasetType':
      return 'GrpoTask';
    case 'ChatTemplateDatasetType':
      return 'ChatTask';
  }
}

export function textJobFrom(
  request: TrainRequestText | TrainRequestGrpo,
  grpo: boolean,
  local: { dataset: string; fileFormat: 'json' | 'csv' | 'hf' },
  repo: string,
): TextJob {
  const classified: ClassifiedDatasetType = grpo ? { kind: 'GrpoDatasetType', value: request.dataset_type as TrainRequestGrpo['dataset_type'] } : classifyDatasetType(request.dataset_type);
  return {
    kind: 'text',
    taskId: request.task_id,
    taskType: textTaskType(classified),
    model: request.model,
    hoursToComplete: request.hours_to_complete,
    expectedRepoName: request.expected_repo_name ?? null,
    repo,
    dataset: local.dataset,
    fileFormat: local.fileFormat,
    datasetType: request.dataset_type as Record<string, unknown>,
    grpo,
  };
}

export function imageJobFrom(request: TrainRequestImage, datasetZip: string, repo: string): ImageJob {
  return {
    kind: 'image',
    taskId: request.task_id,
    taskType: 'ImageTask',
    model: request.model,
    hoursToComplete: request.hours_to_complete,
    expectedRepoName: request.expected_repo_name ?? null,
    repo,
    datasetZip,
    modelType: request.model_type ?? 'sdxl',
  };
}
