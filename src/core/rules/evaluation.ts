import { z } from 'zod';
import { count, num, seconds, structured, text, valuesOf, type ValuesOf } from './define.ts';

/** `GPU_IDS=0,1` as the original reads it; JSON (`[0,1]`) also works. */
function parseGpuIds(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as unknown;
  return trimmed.split(',').map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : part));
}

/** Evaluation orchestration: GPU sizing, the evaluation loop, container limits and metric settings (evaluation.md). */
export const evaluationDefs = {
  // loop and GPUs (evaluation.md §1.1; validator.md §4.3)
  gpuIds: structured<readonly number[]>([0], z.array(z.number().int().min(0)).min(1), 'a comma list or JSON list of GPU ids', 'evaluation.md §1.1 GPU_IDS', 'GPUs given to evaluation; one worker per id', parseGpuIds),
  pollIntervalSeconds: seconds(30, 'evaluation.md §1.1; validator.md §4.3', 'how often preevaluation tasks are fetched into the queue'),
  queuePerGpu: count(2, 'evaluation.md §1.1', 'tasks queued or running per GPU before the loop stops fetching', 1),
  oneGpuMaxParamsB: num(35, 'evaluation.md §1.1', 'effective size (billions, exclusive) below which a task gets 1 GPU (HEAD 30)', { min: 0 }),
  twoGpuMaxParamsB: num(75, 'evaluation.md §1.1', 'below this 2 GPUs (HEAD 70)', { min: 0 }),
  threeGpuMaxParamsB: num(110, 'evaluation.md §1.1', 'below this 3 GPUs, otherwise 4 (HEAD 100)', { min: 0 }),
  maxGpusPerTask: count(4, 'evaluation.md §1.1', 'GPUs given to the largest tasks', 1),
  dpoParamsMultiplier: num(2, 'evaluation.md §1.1', 'DPO loads policy + reference, so its size counts twice', { min: 0 }),
  grpoParamsMultiplier: num(1, 'evaluation.md §1.1', 'GRPO size factor (HEAD 3)', { min: 0 }),
  // timeouts and retries (evaluation.md §1.4)
  grpoRepoTimeoutSeconds: seconds(18_000, 'evaluation.md §1.4', 'limit on one GRPO repo evaluation attempt (5 h)'),
  grpoTimeoutAttempts: count(3, 'evaluation.md §1.4', 'attempts of a GRPO repo evaluation, retried only on timeout', 1),
  hubRetryAttempts: count(5, 'evaluation.md §1.4 retry_on_5xx', 'attempts to load a model/tokenizer/config on hub 5xx or rate limits', 1),
  hubRetryMinSeconds: seconds(30, 'evaluation.md §1.4', 'first back-off of hub retries'),
  hubRetryMaxSeconds: seconds(600, 'evaluation.md §1.4', 'longest back-off of hub retries'),
  hubRetryMultiplier: num(2.5, 'evaluation.md §1.4', 'exponential back-off multiplier of hub retries', { min: 1 }),
  finetuneCheckAttempts: count(3, 'evaluation.md §1.4', 'attempts of the is_finetune config fetch on connection errors', 1),
  hashVerificationTimeoutSeconds: seconds(6000, 'evaluation.md §1.4; miner-protocol-chain.md §4', 'limit on recomputing a submission\'s model hash'),
  comfyConnectRetrySeconds: seconds(2, 'evaluation.md §1.4', 'pause between ComfyUI connection attempts (the original retries forever)'),
  // two-stage text evaluation (scoring.md §1.1)
  synthEvalTopN: count(4, 'scoring.md §1.1; evaluation.md §0', 'finetuned repos (by test loss) also evaluated on the synthetic set', 1),
  // text metrics (evaluation.md §4–§6)
  textSequenceLength: count(4096, 'evaluation.md §4', 'token length of evaluation rows (halved models with short context)', 1),
  startingBatchSize: count(1, 'evaluation.md §4–§5', 'first eval batch size of Instruct/Chat/DPO (halved on OOM)', 1),
  betaDpo: num(0.1, 'evaluation.md §5 BETA_DPO', 'β of the DPO evaluation loss', { min: 0 }),
  grpoInitialBatchSize: count(16, 'evaluation.md §6.1 GRPO_INITIAL_BATCH_SIZE', 'first GRPO eval batch size (halved on OOM)', 1),
  grpoNumGenerations: count(2, 'evaluation.md §6.1 GRPO_DEFAULT_NUM_GENERATIONS', 'completions sampled per prompt', 1),
  grpoMaxPromptLength: count(512, 'evaluation.md §6.1', 'prompt tokens kept (left-truncated); implicit TRL default, pinned here', 1),
  grpoMaxCompletionLength: count(256, 'evaluation.md §6.1', 'completion tokens generated; implicit TRL default, pinned here', 1),
  rewardValidationRows: count(10, 'evaluation.md §6.1, §9.3', 'eval rows each reward function is checked on before scoring', 1),
  // diffusion (evaluation.md §8)
  imageSize: count(1024, 'evaluation.md §8.3', 'longer side test images are resized to', 8),
  sdxlSteps: count(20, 'evaluation.md §8.2 EVAL_DEFAULTS', 'SDXL img2img steps', 1),
  sdxlCfg: num(8, 'evaluation.md §8.2', 'SDXL guidance', { min: 0 }),
  sdxlDenoise: num(0.9, 'evaluation.md §8.2', 'SDXL img2img denoise', { min: 0, max: 1 }),
  sdxlSeed: count(908_820_999_791_964, 'evaluation.md §8.2', 'SDXL sampler seed'),
  fluxSteps: count(35, 'evaluation.md §8.2', 'Flux img2img steps', 1),
  fluxGuidance: num(100, 'evaluation.md §8.2', 'Flux guidance', { min: 0 }),
  fluxDenoise: num(0.75, 'evaluation.md §8.2', 'Flux img2img denoise', { min: 0, max: 1 }),
  fluxSeed: count(18_006_742_449_132, 'evaluation.md §8.2', 'Flux noise seed'),
  sdxlMinCheckpointGib: num(6, 'evaluation.md §8.1', 'a single SDXL .safetensors file above this is used as the checkpoint', { min: 0 }),
  fluxMinCheckpointGib: num(10, 'evaluation.md §8.1', 'a single Flux .safetensors file above this is used as the unet', { min: 0 }),
  // container images (evaluation.md §1.2)
  textEvalImage: text('weightswandering/tuning_vali:latest', 'evaluation.md §1.2', 'container that evaluates text repos (GPU hosts)'),
  diffusionEvalImage: text('diagonalge/tuning_validator_diffusion:latest', 'evaluation.md §1.2', 'container that evaluates image LoRAs (GPU hosts)'),
} as const;

export type EvaluationRules = ValuesOf<typeof evaluationDefs>;
export const evaluationRules: EvaluationRules = valuesOf(evaluationDefs);
