// GRPO: for each prompt, sample a group of completions from the current policy, score them with weighted
// reward functions, normalise rewards within the group (A = (r − mean)/(std + 1e-4)), and step on
//   per-token loss = −A·(πθ/πθ_old) + β·KL_t,  KL_t = e^{ref−logp} − (ref − logp) − 1   (TRL's estimator),
// averaged over each completion's tokens, then over completions. One update per generation, so the ratio is 1
// and its gradient is ∇log πθ. As in dpo.ts the loss is linear in our per-token weights, so the weights are set
// after the forward to w_t = −∂loss/∂log p_t = A − β(1 − e^{ref_t − logp_t}) (over the normalisation).
//
// Rewards come through RewardFunction; the sandbox issue plugs Python reward functions in behind it.
import { Gpt } from './gpt.ts';
import { makeBatch } from './data/batch.ts';
import type { Example } from './data/template.ts';
import { promptIds } from './data/template.ts';
import { createLora } from './lora.ts';
import type { LoraAdapter, LoraConfig } from './lora.ts';
import { Rng } from './rng.ts';
import { BatchSampler, trainableSetup } from './train-loop.ts';
import { defaultRules } from '../core/rules/index.ts';
import { generate } from './sample.ts';
import { SPECIAL_TOKENS, decode } from './tokenizer.ts';

/** KL β of GRPO at REF (scoring.md §0 BETA_GRPO), from the rules module. */
export const BETA_GRPO = defaultRules.scoring.betaGrpo;

export interface GrpoPrompt {
  prompt: string;
  /** the task's extra column, handed to reward functions that ask for it */
  extraData?: unknown;
}

/** One reward function: scores a list of completions (aligned with their prompts and extra data). */
export interface RewardFunction {
  weight: number;
  score(completions: string[], context: { prompts: string[]; extraData: unknown[] }): Promise<number[]> | number[];
}

/** Production's name for the i-th function: reward_func_<i>_weight_<w:.2f>. */
export function rewardName(i: number, weight: number): string {
  return `reward_func_${i}_weight_${weight.toFixed(2)}`;
}

export interface SampledGroup {
  prompts: string[];
  completions: string[];
  examples: Example[];
  /** raw rewards per function, aligned with completions */
  raw: number[][];
  /** Σ_i w_i·r_i per completion */
  total: number[];
}

export interface GrpoSampling {
  groupSize: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
}

/** Samples `groupSize` completions per prompt and scores them. */
export async function sampleAndScore(
  model: Gpt, lora: LoraAdapter | null, prompts: readonly GrpoPrompt[], rewards: readonly RewardFunction[],
  s: GrpoSampling, rng: Rng,
): Promise<SampledGroup> {
  const out: SampledGroup = { prompts: [], completions: [], examples: [], raw: rewards.map(() => []), total: [] };
  const extra: unknown[] = [];
  for (const p of prompts) {
    const ids = promptIds([{ role: 'user', content: p.prompt }]);
    for (let g = 0; g < s.groupSize; g++) {
      const gen = generate(model, ids, {
        maxNewTokens: s.maxNewTokens, temperature: s.temperature, topP: s.topP, seed: rng.nextU32(), lora, stopTokens: [],
      });
      // keep the completion up to and including the first <|end|>, which is itself a sampled decision
      const stop = gen.indexOf(SPECIAL_TOKENS.end);
      const completion = stop >= 0 ? gen.slice(0, stop + 1) : gen;
      const room = model.config.contextLength + 1 - ids.length;
      const kept = completion.slice(0, Math.max(0, room));
      out.prompts.push(p.prompt);
      extra.push(p.extraData ?? null);
      out.completions.push(decode(kept));
      out.examples.push({ ids: [...ids, ...kept], lossMask: [...ids.map(() => 0), ...kept.map(() => 1)] });
    }
  }
  for (let i = 0; i < rewards.length; i++) {
    const r = await rewards[i]!.score(out.completions, { prompts: out.prompts, extraData: extra });
    if (r.length !== out.completions.length || r.some((x) => !Number.isFinite(x))) {
      throw new Error(`reward function ${i} returned ${r.length} values for ${out.completions.length} completions (or a non-finite value)`);
    }
    out.raw[i] = r;
  }
  out.total = out.completions.map((_, c) => rewards.reduce((s2, f, i) => s2 + f.weight * out.raw[i]![c]!, 0));
  return out;
}

/** Group-relative advantages: (r − mean_group)/(std_group + 1e-4), std with Bessel's correction as torch. */
export function groupAdvantages(total: readonly number[], groupSize: number): number[] {
  const adv: number[] = [];
  for (let g = 0; g < total.length; g += groupSize) {
    const group = total.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / group.length;
    const variance = group.length > 1 ? group.reduce((a, b) => a + (b - mean) ** 2, 0) / (group.length - 1) : 0;
    const std = Math.sqrt(variance);
    for (const r of group) adv.push((r - mean) / (std + 1e-4));
  }
  return adv;
}

/** Per-token log-probabilities of the completion tokens (row-major (B,T), 0 elsewhere) under `lora`/model. */
function tokenLogProbs(model: Gpt, lora: LoraAdapter | null, examples: readonly Example[], t: number): Float64Array {
  const batch = makeBatch(examples, t, model.floatType, () => 1);
  model.forward(batch, lora);
  const losses = model.tokenLosses();
  return Float64Array.from(losses, (l) => -l);
}

function batchLength(examples: readonly Example[], contextLength: number): number {
  let longest = 1;
  for (const ex of examples) longest = Math.max(longest, ex.ids.length - 1);
  return Math.min(contextLength, longest);
}

/** Mean over completions of the mean per-token KL(π‖π_ref) estimate e^{ref−logp} − (ref−logp) − 1. */
function meanKl(policy: Float64Array, ref: Float64Array, examples: readonly Example[], t: number): number {
  let total = 0, rows = 0;
  examples.forEach((ex, r) => {
    let s = 0, n = 0;
    for (let p = 0; p < ex.ids.length - 1; p++) {
      if (ex.lossMask[p + 1] !== 1) continue;
      const d = ref[r * t + p]! - policy[r * t + p]!;
      s += Math.exp(d) - d - 1;
      n++;
    }
    if (n > 0) {
      total += s / n;
      rows++;
    }
  });
  return rows === 0 ? 0 : total / rows;
}

export interface GrpoOptions extends GrpoSampling {
  steps: number;
  /** prompts per step (each gives groupSize completions) */
  promptsPerStep: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  gradClip: number;
  beta: number;
  seed: number;
  /** null: full fine-tuning (the reference is a frozen copy of the starting weights) */
  lora: LoraConfig | null;
  /** an existing adapter to train (takes precedence over `lora`) */
  adapter?: LoraAdapter;
  /** return false to stop after this step (awaited, so it may save a checkpoint) */
  onStep?: (info: { step: number; meanReward: number; kl: number; lr: number; tokens: number }) => boolean | void | Promise<boolean | void>;
}

export async function trainGrpo(
  model: Gpt, prompts: readonly GrpoPrompt[], rewards: readonly RewardFunction[], opts: GrpoOptions,
): Promise<{ adapter: LoraAdapter | null; meanRewards: number[] }> {
  if (prompts.length === 0) throw new Error('GRPO needs at least one prompt');
  if (opts.groupSize < 2) throw new Error('GRPO needs groups of at least 2 completions');
  const rng = new Rng(opts.seed);
  const adapter = opts.adapter ?? (opts.lora ? createLora(model.config, opts.lora, rng.nextU32(), model.floatType) : null);
  const reference = adapter ? null : new Gpt(model.config, model.params.slice());
  const trainer = trainableSetup(model, adapter, opts);
  const sampler = new BatchSampler(rng, prompts.length);
  const meanRewards: number[] = [];
  let tokens = 0;
  for (let step = 0; step < opts.steps; step++) {
    const picked = sampler.next(opts.promptsPerStep).map((i) => prompts[i]!);
    const group = await sampleAndScore(model, adapter, picked, rewards, opts, rng);
    const adv = groupAdvantages(group.total, opts.groupSize);
    const examples = group.examples;
    const t = batchLength(examples, model.config.contextLength);
    const ref = reference ? tokenLogProbs(reference, null, examples, t) : tokenLogProbs(model, null, examples, t);
    const batch = makeBatch(examples, t, model.floatType, () => 1);
    model.forward(batch, adapter);
    const logp = Float64Array.from(model.tokenLosses(), (l) => -l);
    const kl = meanKl(logp, ref, examples, t);
    let usable = 0;
    for (const ex of examples) if (ex.ids.length > 1 && ex.lossMask.includes(1)) usable++;
    examples.forEach((ex, r) => {
      const len = ex.lossMask.reduce((a, b) => a + b, 0);
      for (let p = 0; p < t; p++) {
        const i = r * t + p;
        if (batch.weights[i] === 0) continue;
        const w = adv[r]! - opts.beta * (1 - Math.exp(ref[i]! - logp[i]!));
        batch.weights[i] = w / (len * Math.max(1, usable));
      }
    });
    const { lr } = trainer.backwardAndUpdate(step);
    const meanReward = group.total.reduce((a, b) => a + b, 0) / group.total.length;
    meanRewards.push(meanReward);
    tokens += batch.b * batch.t;
    if ((await opts.onStep?.({ step, meanReward, kl, lr, tokens })) === false) break;
  }
  return { adapter, meanRewards };
}

export interface GrpoEvalResult {
  /** Σ_i mean(w_i·r_i) − β·KL: production's GRPO "eval_loss" (higher is better) */
  eval_loss: number;
  final_weighted_rewards: Record<string, number>;
  final_raw_rewards: Record<string, number>;
  total_avg_reward: number;
  weights: Record<string, number>;
  kl_divergence: number;
}

/**
 * GRPO evaluation with the KL term computed explicitly against the base for LoRA and full models alike
 * (evaluation.md §6.2 recommends this over TRL's asymmetric reference). `reference` null: the model without
 * the adapter.
 */
export async function grpoEvaluate(
  model: Gpt, lora: LoraAdapter | null, reference: Gpt | null, prompts: readonly GrpoPrompt[],
  rewards: readonly RewardFunction[], opts: GrpoSampling & { beta: number; seed: number },
): Promise<GrpoEvalResult> {
  const group = await sampleAndScore(model, lora, prompts, rewards, opts, new Rng(opts.seed));
  const t = batchLength(group.examples, model.config.contextLength);
  const ref = tokenLogProbs(reference ?? model, null, group.examples, t);
  const pol = tokenLogProbs(model, lora, group.examples, t);
  const kl = meanKl(pol, ref, group.examples, t);
  const weighted: Record<string, number> = {}, raw: Record<string, number> = {}, weights: Record<string, number> = {};
  let sum = 0;
  rewards.forEach((f, i) => {
    const name = rewardName(i, f.weight);
    const r = group.raw[i]!;
    raw[name] = r.reduce((a, b) => a + b, 0) / r.length;
    weighted[name] = r.reduce((a, b) => a + f.weight * b, 0) / r.length;
    weights[name] = f.weight;
    sum += weighted[name];
  });
  return {
    eval_loss: sum - opts.beta * kl, final_weighted_rewards: weighted, final_raw_rewards: raw,
    total_avg_reward: sum, weights, kl_divergence: kl,
  };
}
