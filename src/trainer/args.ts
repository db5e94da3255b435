/**
 * The training command's arguments, in the original's order (tournament.md §5.7), shared by both executors so a
 * repo sees the same interface in a container and as a local process.
 */
import type { TaskType } from '../core/enums.ts';
import { classifyDatasetType, completeDatasetType } from '../core/models/datasets.ts';
import { isImageTrainRequest, type TrainRequest } from '../core/models/payloads.ts';
import { pythonJsonDumps } from '../net/python-json.ts';

/** The task type the original derives from the request's shape (image by `dataset_zip`, text by dataset type). */
export function taskTypeOf(training: TrainRequest): TaskType {
  if (isImageTrainRequest(training)) return 'ImageTask';
  switch (classifyDatasetType(training.dataset_type).kind) {
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

/**
 * text: --task-id --model --dataset --dataset-type <json> --task-type --file-format --expected-repo-name --hours-to-complete
 * image: --task-id --model --dataset-zip --model-type --expected-repo-name --hours-to-complete
 * Hours are passed as a whole number (`str(int(hours))` in the original); the dataset type as Python's
 * `json.dumps(model_dump())`.
 */
export function trainingArgs(training: TrainRequest, expectedRepoName: string): string[] {
  const hours = String(Math.trunc(training.hours_to_complete));
  if (isImageTrainRequest(training)) {
    return [
      '--task-id', training.task_id,
      '--model', training.model,
      '--dataset-zip', training.dataset_zip,
      '--model-type', training.model_type ?? 'sdxl',
      '--expected-repo-name', expectedRepoName,
      '--hours-to-complete', hours,
    ];
  }
  return [
    '--task-id', training.task_id,
    '--model', training.model,
    '--dataset', training.dataset,
    '--dataset-type', pythonJsonDumps(completeDatasetType(training.dataset_type)),
    '--task-type', taskTypeOf(training),
    '--file-format', training.file_format,
    '--expected-repo-name', expectedRepoName,
    '--hours-to-complete', hours,
  ];
}

/** Container/cache paths of the contract (tournament.md §5.7); the local executor maps them to per-job folders. */
export const CONTRACT_PATHS = {
  cacheRoot: '/cache',
  checkpoints: '/app/checkpoints',
  hfCache: '/cache/hf_cache',
} as const;

/** Relative to the cache root: where the downloaded inputs of a task live. */
export function cacheLayout(training: TrainRequest, modelFolder: string): { model: string; dataset: string } {
  return {
    model: `models/${modelFolder}`,
    dataset: isImageTrainRequest(training) ? `datasets/${training.task_id}_tourn.zip` : `datasets/${training.task_id}_train_data.json`,
  };
}
