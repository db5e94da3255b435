// Supervised fine-tuning: token-mean cross-entropy on completion tokens, AdamW with warm-up + cosine,
// gradient clipping, either full fine-tuning (the model's own buffer is updated) or a LoRA adapter over a
// frozen base. Deterministic for a given seed.
import type { Gpt } from './gpt.ts';
import { completionTokens, makeBatch, paddedLength, usableExamples } from './data/batch.ts';
import type { Example } from './data/template.ts';
import { createLora } from './lora.ts';
import type { LoraAdapter, LoraConfig } from './lora.ts';
import { Rng } from './rng.ts';
import { BatchSampler, trainableSetup } from './train-loop.ts';

export interface SftOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  /** max global gradient norm; 0 disables clipping */
  gradClip: number;
  seed: number;
  /** null: full fine-tuning */
  lora: LoraConfig | null;
  /** an existing adapter to continue training (takes precedence over `lora`) */
  adapter?: LoraAdapter;
  /** return false to stop after this step (deadline, cancellation) */
  onStep?: (info: StepInfo) => boolean | void;
}

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  elapsedMs: number;
}

export interface SftResult {
  adapter: LoraAdapter | null;
  losses: number[];
  tokensSeen: number;
  elapsedMs: number;
}

export const DEFAULT_SFT: Omit<SftOptions, 'steps' | 'seed'> = {
  batchSize: 16, lr: 3e-3, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0.01, gradClip: 1, lora: null,
};

export function trainSft(model: Gpt, data: readonly Example[], opts: SftOptions): SftResult {
  const examples = usableExamples(data, model.config.contextLength);
  if (examples.length === 0) throw new Error('no training example fits the context with a completion token');
  const t = paddedLength(examples, model.config.contextLength);
  const rng = new Rng(opts.seed);
  const adapter = opts.adapter ?? (opts.lora ? createLora(model.config, opts.lora, rng.nextU32(), model.floatType) : null);
  const trainer = trainableSetup(model, adapter, opts);
  const sampler = new BatchSampler(rng, examples.length);
  const losses: number[] = [];
  let tokensSeen = 0;
  const start = performance.now();
  for (let step = 0; step < opts.steps; step++) {
    const picked = sampler.next(opts.batchSize).map((i) => examples[i]!);
    const total = picked.reduce((s, ex) => s + completionTokens(ex), 0);
    const batch = makeBatch(picked, t, model.floatType, () => 1 / total);
    const loss = model.forward(batch, adapter);
    const { gradNorm, lr } = trainer.backwardAndUpdate(step);
    losses.push(loss);
    tokensSeen += batch.b * batch.t;
    if (opts.onStep?.({ step, loss, lr, gradNorm, tokens: tokensSeen, elapsedMs: performance.now() - start }) === false) break;
  }
  return { adapter, losses, tokensSeen, elapsedMs: performance.now() - start };
}
