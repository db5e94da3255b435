/**
 * The built-in CPU ML engine (issue 5; docs/ml-engine.md): the public API other roles use.
 *
 * - Jobs (worker processes): `runTrainingJob(spec, {onProgress, signal, deadline})` → TrainingResult (best
 *   checkpoint in spec.outputDir, HF layout); `runEvaluationJob(spec)` → production's result object
 *   `{model_params_count, <repo>: {eval_loss, is_finetune} | "error"}`. In-process twins: trainInProcess,
 *   evaluateInProcess.
 * - Validator port: `createLocalEvaluationExecutor({fetchDataset, repoDir, home})` implements EvaluationExecutor.
 * - Base models: `ensureBaseModel(id, {home, onProgress})` → directory; `listBaseModels`, `resolveModelDir`.
 * - Datasets: `listBuiltinDatasets`, `loadBuiltinDataset(id, {seed, rows})` (raw rows),
 *   `builtinImagePairs(id, …)` (PNG + caption); readers (`readDatasetFile`, `parseDataset`) and the column mapping
 *   (`standardizeRows`, `instructExamples`, `chatExamples`, `dpoRows`, `grpoPrompts`).
 * - GRPO rewards: `sandboxRewardFunctions(scorer, functions)` puts the sandbox's Python functions behind the
 *   trainers' RewardFunction; `evaluateGrpoRepos` is the per-repo GRPO evaluator.
 * - Evaluators (in-process, on directories): evaluateInstructRepos, evaluateDpoRepos, evaluateGrpoRepos,
 *   evaluateImageRepos (+ imageLoss for the host's 0.25/0.75 mix).
 */
export { runEvaluationJob, runTrainingJob, JobError } from './jobs/run.ts';
export type { TrainingJobOptions } from './jobs/run.ts';
export { trainInProcess } from './jobs/train.ts';
export type { JobControl } from './jobs/train.ts';
export { evaluateInProcess } from './jobs/evaluate.ts';
export {
  evaluationJobSpecSchema, trainingJobSpecSchema, datasetRefSchema, hyperSchema,
} from './jobs/spec.ts';
export type {
  CheckpointEvent, DatasetRef, EvalEvent, EvaluationJobSpec, Hyper, JobEvent, ProgressEvent, TrainingJobSpec,
  TrainingResult,
} from './jobs/spec.ts';
export { createLocalEvaluationExecutor } from './executor.ts';
export type { EvaluationJobLike, LocalExecutorOptions } from './executor.ts';

export {
  ZOO, defaultHome, ensureBaseModel, isCached, isZooModel, listBaseModels, modelDir, modelsDir, resolveModelDir, zooEntry,
} from './zoo.ts';
export type { BuildProgress, EnsureOptions, ZooEntry, ZooStatus } from './zoo.ts';

export {
  IMAGE_DATASET_ID, builtinDatasetInfo, builtinImagePairs, isBuiltinDataset, listBuiltinDatasets, loadBuiltinDataset,
} from './data/builtin.ts';
export type { BuiltinDatasetInfo, DataRow, ImagePair } from './data/builtin.ts';
export { formatOf, parseCsv, parseDataset, parseJsonLines, parseJsonRows, parseParquet, readDatasetFile } from './data/readers.ts';
export type { FileFormat } from './data/readers.ts';
export {
  ColumnError, chatExamples, chatMessages, columnPairs, dpoRows, grpoPrompts, instructExamples, instructRows, standardizeRows,
} from './data/columns.ts';

export { evaluateGrpoRepos, sandboxRewardFunctions, defaultGrpoEvalOptions, RewardFunctionError } from './grpo-eval.ts';
export type { CompletionScorer, GrpoRepoResult, PythonRewardFunction } from './grpo-eval.ts';
export { evaluateDpoRepos, evaluateInstructRepos, isFinetune } from './evaluate.ts';
export type { EvaluationResults, TextEvalResult } from './evaluate.ts';
export { DEFAULT_IMG2IMG, DIFFUSION_EVAL_SEEDS, diffusionLosses, evaluateImageRepos, imageLoss } from './image/evaluate.ts';
export type { DiffusionLosses, ImageEvaluationResults, Img2ImgOptions, TestImage } from './image/evaluate.ts';
export { readImagePairs, unzip } from './image/folder.ts';
export { decodePng, encodePng } from './image/png.ts';
export type { RgbImage } from './image/png.ts';

export type { RewardFunction, GrpoPrompt } from './grpo.ts';
export { BETA_GRPO } from './grpo.ts';
export { BETA_DPO } from './dpo.ts';
export { loadModel, saveModel, loadAdapter, saveAdapter, isAdapterRepo } from './hub-format.ts';
export { modelParamsCount } from './gpt.ts';
