/**
 * The original's evaluation container contract (evaluation.md §1.2–§2, validator/evaluation/docker_evaluation.py
 * at REF) as pure data: which image and command each task type runs, its environment, where the dataset and the
 * model cache go, and which file holds the results. `planEvaluation` turns one EvaluationJob into the container
 * runs to make; running them is a backend's business.
 *
 * Isolation: the original runs one container for all repos of an Instruct/Chat/DPO/Image job and one per repo for
 * GRPO. `per_repo` (our default) runs every repo in its own container, so one repo that crashes, hangs or
 * corrupts the results file fails only itself.
 */
import type { TaskType } from '../core/enums.ts';
import type { EvaluationJob } from '../validator/ports.ts';
import { jobName, type ContainerJobSpec } from './backend.ts';

export const EVAL_CONTRACT = {
  inputDir: '/workspace/input_data',
  resultsPath: '/aplp/evaluation_results.json',
  /** The image runs as root; the hub cache and `finetuned_repos` live under root's home. */
  home: '/root',
  hubCache: '/root/.cache/huggingface/hub',
  comfyModels: '/app/validator/evaluation/ComfyUI/models',
  commands: {
    instruct: ['python', '-m', 'validator.evaluation.eval_instruct_text'],
    dpo: ['python', '-m', 'validator.evaluation.eval_dpo'],
    grpo: ['python', '-m', 'validator.evaluation.eval_grpo'],
    /** The diffusion image's CMD (starts ComfyUI, then the evaluator); spelled out because Kubernetes wraps it. */
    image: ['/app/start.sh'],
  },
  /** HEAD skips these when pre-downloading GRPO repos (evaluation.md §1.2). */
  prefetchIgnore: ['*.h5', '*.ot', '*.msgpack', '*.pkl', '*.pth'],
} as const;

export type IsolationMode = 'per_repo' | 'contract';

export interface ContractOptions {
  textImage: string;
  diffusionImage: string;
  isolation: IsolationMode;
  /** Limit per repo in a container; a container with n repos gets n times this. */
  repoTimeoutMs: number;
  /** Pre-download base model and repo into the shared cache before each GRPO container (it has no network). */
  grpoPrefetch: boolean;
  prefetchTimeoutMs: number;
}

export interface PlannedRun {
  repos: string[];
  /** True when this container holds a single repo whose failure must not fail the others. */
  isolated: boolean;
  spec: ContainerJobSpec;
  /** Runs first, with network, to fill the model cache (GRPO only). */
  prefetch: ContainerJobSpec | null;
}

export function commandFor(taskType: TaskType): readonly string[] {
  switch (taskType) {
    case 'InstructTextTask':
    case 'ChatTask':
      return EVAL_CONTRACT.commands.instruct;
    case 'DpoTask':
      return EVAL_CONTRACT.commands.dpo;
    case 'GrpoTask':
      return EVAL_CONTRACT.commands.grpo;
    case 'ImageTask':
      return EVAL_CONTRACT.commands.image;
  }
}

/** The file name the dataset gets inside the input folder (the original keeps the downloaded file's name). */
export function datasetFileName(job: Pick<EvaluationJob, 'task_id' | 'split'>): string {
  return `${job.task_id}_${job.split}_data.json`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The environment of one text container (evaluation.md §1.2). */
export function textEnv(job: EvaluationJob, repos: readonly string[]): Record<string, string> {
  return {
    DATASET: `${EVAL_CONTRACT.inputDir}/${datasetFileName(job)}`,
    MODELS: repos.join(','),
    ORIGINAL_MODEL: job.original_model,
    DATASET_TYPE: JSON.stringify(job.dataset_type ?? {}),
    FILE_FORMAT: job.file_format,
    TRANSFORMERS_ALLOW_TORCH_LOAD: 'true',
    HOME: EVAL_CONTRACT.home,
  };
}

export function imageEnv(job: EvaluationJob, repos: readonly string[]): Record<string, string> {
  return {
    DATASET: EVAL_CONTRACT.inputDir,
    MODELS: repos.join(','),
    ORIGINAL_MODEL_REPO: job.original_model,
    MODEL_TYPE: job.model_type ?? 'sdxl',
    TRANSFORMERS_ALLOW_TORCH_LOAD: 'true',
    HOME: EVAL_CONTRACT.home,
  };
}

function labels(job: EvaluationJob, role: string): Record<string, string> {
  return { 'god.role': role, 'god.task-id': job.task_id.slice(0, 63), 'god.split': job.split };
}

/** A command that downloads repos into the hub cache with huggingface_hub (shipped in the image). */
export function prefetchCommand(repos: readonly string[]): string[] {
  const script = [
    'import sys',
    'from huggingface_hub import snapshot_download',
    `ignore = ${JSON.stringify(EVAL_CONTRACT.prefetchIgnore)}`,
    'for repo in sys.argv[1:]:',
    '    snapshot_download(repo_id=repo, ignore_patterns=ignore)',
  ].join('\n');
  return ['python', '-c', script, ...repos];
}

/**
 * The container runs for one job, in order. `suffix` names each run uniquely (random in production, fixed in
 * tests). Repos are de-duplicated, keeping their order.
 */
export function planEvaluation(job: EvaluationJob, opts: ContractOptions, suffix: () => string): PlannedRun[] {
  const repos = [...new Set(job.repos)];
  if (repos.length === 0) return [];
  const image = job.task_type === 'ImageTask';
  const grpo = job.task_type === 'GrpoTask';
  const perRepo = grpo || opts.isolation === 'per_repo';
  const groups = perRepo ? repos.map((r) => [r]) : [repos];
  return groups.map((group) => {
    const spec: ContainerJobSpec = {
      name: jobName(`god-eval-${job.task_type.replace(/Task$/, '')}`, suffix()),
      image: image ? opts.diffusionImage : opts.textImage,
      command: [...commandFor(job.task_type)],
      env: image ? imageEnv(job, group) : textEnv(job, group),
      inputDir: EVAL_CONTRACT.inputDir,
      inputs: image ? [{ name: '', source: { url: job.dataset_url, unzip: true } }] : [{ name: datasetFileName(job), source: { url: job.dataset_url } }],
      cacheDirs: image ? [`${EVAL_CONTRACT.comfyModels}/checkpoints`, `${EVAL_CONTRACT.comfyModels}/diffusers`] : [EVAL_CONTRACT.hubCache],
      // `outputs/` is axolotl's output_dir relative to /app; ComfyUI writes inside its own install folder.
      writableDirs: ['/aplp', '/tmp', EVAL_CONTRACT.home, '/app/outputs'],
      rootfsWritable: image,
      outputPath: EVAL_CONTRACT.resultsPath,
      gpuIds: [...job.gpu_ids],
      network: grpo ? 'none' : 'default',
      timeoutMs: opts.repoTimeoutMs * group.length,
      labels: labels(job, 'evaluation'),
    };
    const prefetch: ContainerJobSpec | null =
      grpo && opts.grpoPrefetch
        ? {
            ...spec,
            name: jobName('god-eval-prefetch', suffix()),
            command: prefetchCommand([job.original_model, ...group]),
            env: { HOME: EVAL_CONTRACT.home },
            inputs: [],
            outputPath: null,
            gpuIds: [],
            network: 'default',
            timeoutMs: opts.prefetchTimeoutMs,
            labels: labels(job, 'evaluation-prefetch'),
          }
        : null;
    return { repos: group, isolated: group.length === 1 && (perRepo || repos.length === 1), spec, prefetch };
  });
}
