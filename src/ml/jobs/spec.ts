// Job specifications (validated with zod at the process boundary) and the events and results jobs report.
// Field names are camelCase: this is the engine's own interface, not a wire format of the original; the
// evaluation result it produces is production's JSON.
import { z } from 'zod';
import { taskTypeSchema } from '../../core/enums.ts';

const rowSchema = z.record(z.string(), z.unknown());

/** Where a job's rows come from: a built-in dataset, a file (json/jsonl/csv/parquet), inline rows, or an image folder. */
export const datasetRefSchema = z.union([
  z.object({ builtin: z.string().min(1), seed: z.number().int().optional(), rows: z.number().int().positive().optional() }).strict(),
  z.object({ path: z.string().min(1), format: z.enum(['json', 'jsonl', 'csv', 'parquet']).optional() }).strict(),
  z.object({ rows: z.array(rowSchema) }).strict(),
  z.object({ imageDir: z.string().min(1) }).strict(),
]);
export type DatasetRef = z.infer<typeof datasetRefSchema>;

export const pythonRewardSchema = z.object({ reward_func: z.string().min(1), reward_weight: z.number().min(0) }).loose();

export const hyperSchema = z.object({
  method: z.enum(['lora', 'full']).default('lora'),
  steps: z.number().int().positive().default(200),
  batchSize: z.number().int().positive().default(16),
  lr: z.number().positive().default(3e-3),
  warmupSteps: z.number().int().min(0).default(10),
  minLrRatio: z.number().min(0).max(1).default(0.1),
  weightDecay: z.number().min(0).default(0.01),
  gradClip: z.number().min(0).default(1),
  seed: z.number().int().default(0),
  loraRank: z.number().int().positive().default(8),
  loraAlpha: z.number().positive().default(16),
  loraTargets: z.array(z.string()).min(1).default(['all']),
  /** steps between held-out evaluations (best-checkpoint selection); 0 = only at the end */
  evalEvery: z.number().int().min(0).default(25),
  /** share of the rows held out for checkpoint selection (at most maxEvalRows) */
  evalFraction: z.number().min(0).max(0.5).default(0.1),
  maxEvalRows: z.number().int().positive().default(64),
  /** DPO β / GRPO KL β */
  beta: z.number().min(0).optional(),
  /** GRPO */
  groupSize: z.number().int().min(2).default(4),
  promptsPerStep: z.number().int().positive().default(8),
  maxNewTokens: z.number().int().positive().default(16),
  temperature: z.number().min(0).default(1),
  /** image */
  captionDropout: z.number().min(0).max(1).default(0.25),
});
export type Hyper = z.infer<typeof hyperSchema>;

export const trainingJobSpecSchema = z.object({
  taskType: taskTypeSchema,
  /** a zoo id (built on demand), a model directory, or a repo cached under $GOD_HOME/models */
  baseModel: z.string().min(1),
  /** written into adapter_config.json's base_model_name_or_path (default: baseModel) */
  baseModelName: z.string().optional(),
  home: z.string().optional(),
  dataset: datasetRefSchema,
  /** the task's dataset-type object (field names, formats, reward_functions, extra_column) */
  datasetType: z.record(z.string(), z.unknown()).default({}),
  /** GRPO: Python reward functions (default: datasetType.reward_functions) */
  rewardFunctions: z.array(pythonRewardSchema).optional(),
  outputDir: z.string().min(1),
  hyper: hyperSchema.default(hyperSchema.parse({})),
});
export type TrainingJobSpec = z.input<typeof trainingJobSpecSchema>;
export type ParsedTrainingJobSpec = z.output<typeof trainingJobSpecSchema>;

export const evaluationJobSpecSchema = z.object({
  taskType: taskTypeSchema,
  originalModel: z.string().min(1),
  home: z.string().optional(),
  /** repos to score; `dir` defaults to resolving `id` like originalModel */
  repos: z.array(z.object({ id: z.string().min(1), dir: z.string().optional() })).min(1),
  dataset: datasetRefSchema,
  datasetType: z.record(z.string(), z.unknown()).default({}),
  rewardFunctions: z.array(pythonRewardSchema).optional(),
  /** GRPO sampling overrides */
  grpo: z.object({
    groupSize: z.number().int().min(2).optional(),
    maxNewTokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).optional(),
    beta: z.number().min(0).optional(),
    seed: z.number().int().optional(),
  }).optional(),
  /** image overrides (defaults: production SDXL denoise 0.9, 20 steps, HEAD's 10 seeds) */
  image: z.object({
    denoise: z.number().min(0).max(1).optional(),
    steps: z.number().int().positive().optional(),
    cfg: z.number().min(0).optional(),
    seeds: z.array(z.number().int().min(0)).min(1).optional(),
  }).optional(),
  /** keep at most this many evaluation rows (production evaluates the whole file) */
  maxRows: z.number().int().positive().optional(),
});
export type EvaluationJobSpec = z.input<typeof evaluationJobSpecSchema>;
export type ParsedEvaluationJobSpec = z.output<typeof evaluationJobSpecSchema>;

/** zod errors as one line naming the field path. */
export function parseSpec<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${what}: ${issues.join('; ')}`);
}

export interface ProgressEvent {
  type: 'progress';
  step: number;
  totalSteps: number;
  /** training loss (SFT/DPO/image) or, for GRPO, the negated mean reward */
  loss: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number;
  /** GRPO mean weighted reward of the step's samples */
  meanReward?: number;
}

export interface EvalEvent {
  type: 'eval';
  step: number;
  /** held-out loss (lower is better; GRPO: negated mean reward) */
  evalLoss: number;
  improved: boolean;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  dir: string;
  evalLoss: number | null;
}

export type JobEvent = ProgressEvent | EvalEvent | CheckpointEvent | { type: 'log'; message: string };

export interface TrainingResult {
  /** completed: all steps; deadline: stopped to meet the deadline; cancelled: stopped on request */
  status: 'completed' | 'deadline' | 'cancelled';
  outputDir: string;
  /** true when outputDir holds a LoRA adapter, false for a full model; null when nothing was saved */
  isAdapter: boolean | null;
  steps: number;
  totalSteps: number;
  bestStep: number | null;
  bestEvalLoss: number | null;
  finalLoss: number | null;
  tokens: number;
  elapsedSeconds: number;
  paramsCount: number;
}
