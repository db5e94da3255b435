// One training job, in the current process: resolve the base model and the data, hold out a slice for
// checkpoint selection, train (SFT for Instruct/Chat, DPO, GRPO, or the image denoiser), evaluate the held-out
// slice every `evalEvery` steps and save a checkpoint whenever it improves — so the best model is on disk
// before any deadline — and stop early for a deadline (leaving room for a last evaluation and save) or a
// cancellation. worker.ts runs this in a child process; run.ts is the parent side.
import { rm } from 'node:fs/promises';
import { chatExamples, dpoRows, grpoPrompts, instructExamples } from '../data/columns.ts';
import type { Example } from '../data/template.ts';
import { encodeDpo, dpoEvaluate, trainDpo, BETA_DPO } from '../dpo.ts';
import type { DpoPair } from '../dpo.ts';
import { instructEvalLoss } from '../evaluate.ts';
import { Gpt, modelParamsCount } from '../gpt.ts';
import type { CompletionScorer } from '../grpo-eval.ts';
import { sandboxRewardFunctions } from '../grpo-eval.ts';
import { BETA_GRPO, grpoEvaluate, trainGrpo } from '../grpo.ts';
import type { GrpoPrompt, RewardFunction } from '../grpo.ts';
import { adapterFiles, loadModel, modelFiles, writeRepoFiles, writeRepoFilesSync } from '../hub-format.ts';
import type { RepoFile } from '../hub-format.ts';
import { createLora, resolveLoraTargets } from '../lora.ts';
import type { LoraAdapter } from '../lora.ts';
import { Rng } from '../rng.ts';
import { trainSft } from '../sft.ts';
import { resolveModelDir } from '../zoo.ts';
import { createDenoiserLora, denoiserLayout, resolveDenoiserTargets } from '../image/denoiser.ts';
import type { Denoiser, DenoiserLora } from '../image/denoiser.ts';
import { diffusionLosses, imageLoss } from '../image/evaluate.ts';
import type { TestImage } from '../image/evaluate.ts';
import { denoiserAdapterFiles, denoiserFiles, loadDenoiser } from '../image/format.ts';
import { preparePairs, trainDenoiser } from '../image/train.ts';
import { loadImages, loadTextRows } from './data.ts';
import { parseSpec, trainingJobSpecSchema } from './spec.ts';
import type { JobEvent, ParsedTrainingJobSpec, TrainingJobSpec, TrainingResult } from './spec.ts';

export interface JobControl {
  onEvent?: (e: JobEvent) => void;
  /** epoch milliseconds by which the best checkpoint must be on disk */
  deadline?: number | null;
  cancelled?: () => boolean;
  /** GRPO reward scorer (the sandbox); started on demand when absent */
  scorer?: CompletionScorer;
}

/** Deterministic split: the held-out slice drives checkpoint selection only. */
function split<T>(items: readonly T[], h: ParsedTrainingJobSpec['hyper']): { train: T[]; heldOut: T[] } {
  const order = new Rng(h.seed ^ 0x9e3779b9).shuffle([...items.keys()]);
  const n = items.length >= 20 ? Math.min(h.maxEvalRows, Math.floor(items.length * h.evalFraction)) : 0;
  return { heldOut: order.slice(0, n).map((i) => items[i]!), train: order.slice(n).map((i) => items[i]!) };
}

/** The bookkeeping shared by all trainers: progress, held-out evaluation, best checkpoint, deadline, cancel. */
class Supervisor {
  readonly start = performance.now();
  status: TrainingResult['status'] = 'completed';
  steps = 0;
  tokens = 0;
  finalLoss: number | null = null;
  bestLoss: number | null = null;
  bestStep: number | null = null;
  saved = false;
  private lastStepAt = performance.now();
  private stepMs = 0;
  private evalMs = 0;
  private saveMs = 0;

  constructor(
    readonly spec: ParsedTrainingJobSpec, readonly control: JobControl, readonly hasHeldOut: boolean,
    readonly files: () => RepoFile[],
  ) {}

  private emit(e: JobEvent): void {
    this.control.onEvent?.(e);
  }

  /** After each step: report, maybe evaluate and checkpoint, and decide whether to go on. */
  afterStep(step: number, loss: number, tokens: number, evaluate: () => number, extra: { meanReward?: number } = {}): boolean {
    const now = performance.now();
    const dt = now - this.lastStepAt;
    this.lastStepAt = now;
    this.stepMs = this.stepMs === 0 ? dt : 0.8 * this.stepMs + 0.2 * dt;
    this.steps = step + 1;
    this.tokens = tokens;
    this.finalLoss = loss;
    const total = this.spec.hyper.steps;
    const elapsed = (now - this.start) / 1000;
    this.emit({
      type: 'progress', step: this.steps, totalSteps: total, loss, tokensPerSecond: tokens / Math.max(1e-3, elapsed),
      elapsedSeconds: elapsed, etaSeconds: (this.stepMs / 1000) * (total - this.steps), ...extra,
    });
    const every = this.spec.hyper.evalEvery;
    if (every > 0 && this.steps % every === 0 && this.steps < total) this.checkpoint(evaluate);
    if (this.control.cancelled?.()) {
      this.status = 'cancelled';
      return false;
    }
    const deadline = this.control.deadline;
    if (deadline && this.steps < total) {
      // room for one more step, then the final evaluation and save, with a margin
      const reserve = this.stepMs * 1.5 + this.evalMs * 1.5 + this.saveMs * 2 + 250;
      if (Date.now() + reserve > deadline) {
        this.status = 'deadline';
        return false;
      }
    }
    return true;
  }

  /** Evaluates the held-out slice and saves when it improved (always saves when there is no held-out slice). */
  checkpoint(evaluate: () => number): void {
    let loss: number | null = null;
    if (this.hasHeldOut) {
      const t0 = performance.now();
      loss = evaluate();
      this.evalMs = performance.now() - t0;
      const improved = this.bestLoss === null || loss < this.bestLoss;
      this.emit({ type: 'eval', step: this.steps, evalLoss: loss, improved });
      if (!improved && this.saved) return;
      this.bestLoss = loss;
      this.bestStep = this.steps;
    } else {
      this.bestStep = this.steps;
    }
    const t0 = performance.now();
    writeRepoFilesSync(this.spec.outputDir, this.files());
    this.saveMs = performance.now() - t0;
    this.saved = true;
    this.emit({ type: 'checkpoint', step: this.steps, dir: this.spec.outputDir, evalLoss: loss });
  }

  finish(evaluate: () => number, isAdapter: boolean, paramsCount: number): TrainingResult {
    if (this.status !== 'cancelled' && this.steps > 0 && this.bestStep !== this.steps) this.checkpoint(evaluate);
    return {
      status: this.status, outputDir: this.spec.outputDir, isAdapter: this.saved ? isAdapter : null, steps: this.steps,
      totalSteps: this.spec.hyper.steps, bestStep: this.bestStep, bestEvalLoss: this.bestLoss, finalLoss: this.finalLoss,
      tokens: this.tokens, elapsedSeconds: (performance.now() - this.start) / 1000, paramsCount,
    };
  }
}

/** The job's Python reward functions behind the sandbox (started here unless the caller passed a scorer). */
export async function rewardFunctionsOf(
  spec: { rewardFunctions?: { reward_func: string; reward_weight: number }[] | undefined; datasetType: Record<string, unknown> },
  control: { scorer?: CompletionScorer },
): Promise<{ rewards: RewardFunction[]; close: () => Promise<void> }> {
  const fromType = spec.datasetType.reward_functions;
  const fns = spec.rewardFunctions ?? (Array.isArray(fromType) ? (fromType as { reward_func: string; reward_weight: number }[]) : []);
  if (fns.length === 0) throw new Error('GRPO needs reward functions (rewardFunctions or datasetType.reward_functions)');
  if (control.scorer) return { rewards: sandboxRewardFunctions(control.scorer, fns), close: async () => {} };
  const { Sandbox } = await import('../../sandbox/index.ts');
  const sandbox = await Sandbox.start({ rules: { poolSize: 1 } });
  return { rewards: sandboxRewardFunctions(sandbox, fns), close: () => sandbox.close() };
}

async function trainText(spec: ParsedTrainingJobSpec, control: JobControl, baseDir: string): Promise<TrainingResult> {
  const h = spec.hyper;
  const { rows, datasetType: builtinType } = await loadTextRows(spec.dataset);
  const dt = { ...builtinType, ...spec.datasetType };
  const model = await loadModel(baseDir);
  const baseName = spec.baseModelName ?? spec.baseModel;
  const adapter: LoraAdapter | null = h.method === 'lora'
    ? createLora(model.config, { rank: h.loraRank, alpha: h.loraAlpha, targets: resolveLoraTargets(h.loraTargets) }, h.seed)
    : null;
  const files = (): RepoFile[] => (adapter ? adapterFiles(adapter, baseName) : modelFiles(model));
  const common = {
    steps: h.steps, lr: h.lr, warmupSteps: h.warmupSteps, minLrRatio: h.minLrRatio, weightDecay: h.weightDecay,
    gradClip: h.gradClip, seed: h.seed, lora: null, ...(adapter ? { adapter } : {}),
  };
  const params = modelParamsCount(model.config);

  if (spec.taskType === 'InstructTextTask' || spec.taskType === 'ChatTask') {
    const examples: Example[] = spec.taskType === 'ChatTask' ? chatExamples(rows, dt) : instructExamples(rows, dt);
    const { train, heldOut } = split(examples, h);
    const evaluate = (): number => instructEvalLoss(model, adapter, heldOut).evalLoss;
    const sup = new Supervisor(spec, control, heldOut.length > 0, files);
    trainSft(model, train, { ...common, batchSize: h.batchSize, onStep: (s) => sup.afterStep(s.step, s.loss, s.tokens, evaluate) });
    return sup.finish(evaluate, adapter !== null, params);
  }
  if (spec.taskType === 'DpoTask') {
    const pairs: DpoPair[] = dpoRows(rows, dt).map(encodeDpo);
    const { train, heldOut } = split(pairs, h);
    const reference = adapter ? null : new Gpt(model.config, model.params.slice());
    const evaluate = (): number => dpoEvaluate(model, adapter, reference, heldOut, h.beta ?? BETA_DPO).loss;
    const sup = new Supervisor(spec, control, heldOut.length > 0, files);
    trainDpo(model, train, { ...common, batchSize: h.batchSize, beta: h.beta ?? BETA_DPO, onStep: (s) => sup.afterStep(s.step, s.loss, s.tokens, evaluate) });
    return sup.finish(evaluate, adapter !== null, params);
  }
  if (spec.taskType === 'GrpoTask') {
    const prompts: GrpoPrompt[] = grpoPrompts(rows, dt);
    const { train, heldOut } = split(prompts, { ...h, maxEvalRows: Math.min(h.maxEvalRows, 16) });
    const { rewards, close } = await rewardFunctionsOf(spec, control);
    try {
      const reference = adapter ? null : new Gpt(model.config, model.params.slice());
      const beta = h.beta ?? BETA_GRPO;
      const sampling = { groupSize: 2, maxNewTokens: h.maxNewTokens, temperature: h.temperature, topP: 1, beta, seed: h.seed + 1 };
      // GRPO's held-out score needs sampling and async rewards: it is computed in the async step hook, and the
      // sync Supervisor reads the cached value
      let cached = Number.NaN;
      const score = async (): Promise<number> => -(await grpoEvaluate(model, adapter, reference, heldOut, rewards, sampling)).eval_loss;
      const sup = new Supervisor(spec, control, heldOut.length > 0, files);
      await trainGrpo(model, train, rewards, {
        ...common, promptsPerStep: h.promptsPerStep, groupSize: h.groupSize, maxNewTokens: h.maxNewTokens,
        temperature: h.temperature, topP: 1, beta,
        onStep: async (s) => {
          const every = h.evalEvery;
          if (heldOut.length > 0 && every > 0 && (s.step + 1) % every === 0) cached = await score();
          return sup.afterStep(s.step, -s.meanReward, s.tokens, () => cached, { meanReward: s.meanReward });
        },
      });
      if (heldOut.length > 0) cached = await score();
      return sup.finish(() => cached, adapter !== null, params);
    } finally {
      await close();
    }
  }
  throw new Error(`task type ${spec.taskType} is not a text task`);
}

async function trainImage(spec: ParsedTrainingJobSpec, control: JobControl, baseDir: string): Promise<TrainingResult> {
  const h = spec.hyper;
  const model: Denoiser = await loadDenoiser(baseDir);
  const images = (await loadImages(spec.dataset)).filter((t): t is TestImage & { caption: string } => t.caption !== null);
  if (images.length === 0) throw new Error('no image has a caption file');
  const { train, heldOut } = split(images, { ...h, maxEvalRows: Math.min(h.maxEvalRows, 16) });
  const adapter: DenoiserLora | null = h.method === 'lora'
    ? createDenoiserLora(model.config, { rank: h.loraRank, alpha: h.loraAlpha, targets: resolveDenoiserTargets(h.loraTargets) }, h.seed)
    : null;
  const baseName = spec.baseModelName ?? spec.baseModel;
  const files = (): RepoFile[] => (adapter ? denoiserAdapterFiles(adapter, baseName) : denoiserFiles(model));
  // a cheap, fixed-seed version of the production metric for checkpoint selection
  const evaluate = (): number => imageLoss(diffusionLosses(model, adapter, heldOut, { denoise: 0.9, steps: 4, cfg: 1, seeds: [2746317213] }));
  const sup = new Supervisor(spec, control, heldOut.length > 0, files);
  trainDenoiser(model, preparePairs(train, model.config.imageSize), {
    steps: h.steps, batchSize: h.batchSize, lr: h.lr, warmupSteps: h.warmupSteps, minLrRatio: h.minLrRatio,
    weightDecay: h.weightDecay, gradClip: h.gradClip, captionDropout: h.captionDropout, seed: h.seed, lora: null,
    ...(adapter ? { adapter } : {}),
    onStep: (s) => sup.afterStep(s.step, s.loss, s.images, evaluate),
  });
  return sup.finish(evaluate, adapter !== null, denoiserLayout(model.config).size);
}

/** Runs a training job in this process. Throws on invalid specs and failures; see run.ts for the worker API. */
export async function trainInProcess(raw: TrainingJobSpec, control: JobControl = {}): Promise<TrainingResult> {
  const spec = parseSpec(trainingJobSpecSchema, raw, 'training job');
  const baseDir = await resolveModelDir(spec.baseModel, {
    ...(spec.home ? { home: spec.home } : {}),
    onProgress: (p) => control.onEvent?.({ type: 'log', message: `building ${p.model}: step ${p.step}/${p.totalSteps}` }),
  });
  await rm(spec.outputDir, { recursive: true, force: true });
  const result = spec.taskType === 'ImageTask' ? await trainImage(spec, control, baseDir) : await trainText(spec, control, baseDir);
  if (result.isAdapter === null && result.status !== 'cancelled') {
    // nothing was saved (no step ran): still leave a valid repository
    const model = spec.taskType === 'ImageTask' ? denoiserFiles(await loadDenoiser(baseDir)) : modelFiles(await loadModel(baseDir));
    await writeRepoFiles(spec.outputDir, model);
  }
  return result;
}
