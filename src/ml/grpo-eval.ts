// GRPO evaluation across repositories, and the bridge from the sandbox's Python reward functions to the
// trainers' RewardFunction interface.
//
// Per repo (evaluation.md §6, with HEAD's extra keys of §2.2): sample `numGenerations` completions per prompt from
// base + adapter (LoRA) or the full model, score them with every reward function, and report
//   eval_loss = Σ_i mean(w_i·r_i) − β·KL(policy ‖ base)
// with the KL computed explicitly for LoRA and full models alike (§6.2's recommendation), plus
// final_weighted_rewards, final_raw_rewards, total_avg_reward, weights, kl_divergence. A reward function that
// fails fails the repo (its entry is the error text), as in production. HEAD's cross-repo normalisation (§7.2)
// is the host's step and is not applied here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultRules } from '../core/rules/index.ts';
import { isFinetune } from './evaluate.ts';
import type { EvaluationResults } from './evaluate.ts';
import { modelParamsCount } from './gpt.ts';
import { BETA_GRPO, grpoEvaluate } from './grpo.ts';
import type { GrpoEvalResult, GrpoPrompt, GrpoSampling, RewardFunction } from './grpo.ts';
import { isAdapterRepo, loadAdapter, loadModel } from './hub-format.ts';

/** The batch scorer the sandbox offers (`Sandbox.scoreCompletions`), as a structural interface. */
export interface CompletionScorer {
  scoreCompletions(
    functions: readonly string[], weights: readonly number[], completions: readonly string[], extraData?: readonly unknown[] | null,
  ): Promise<{ perFunction: { rewards: number[] | null; error: string | null }[]; totals: number[] | null; error: string | null }>;
}

/** A task's reward function as the dataset type carries it. */
export interface PythonRewardFunction {
  reward_func: string;
  reward_weight: number;
}

export class RewardFunctionError extends Error {
  override readonly name = 'RewardFunctionError';
}

/**
 * Python reward functions behind RewardFunction: each call scores one function over the batch in the sandbox.
 * Functions declaring `extra_data` receive the extra column (the sandbox decides from the signature); when no
 * prompt carries extra data, none is sent.
 */
export function sandboxRewardFunctions(scorer: CompletionScorer, functions: readonly PythonRewardFunction[]): RewardFunction[] {
  return functions.map((f, i) => ({
    weight: f.reward_weight,
    async score(completions, ctx) {
      const extra = ctx.extraData.every((x) => x === null || x === undefined) ? null : ctx.extraData;
      const res = await scorer.scoreCompletions([f.reward_func], [f.reward_weight], completions, extra);
      const rewards = res.perFunction[0]?.rewards;
      if (res.error !== null || !rewards) throw new RewardFunctionError(`Invalid reward function ${i}: ${res.error ?? res.perFunction[0]?.error ?? 'no rewards'}`);
      return rewards;
    },
  }));
}

export interface GrpoEvalOptions extends GrpoSampling {
  beta: number;
  seed: number;
}

/** Production's settings: 2 generations per prompt (GRPO_DEFAULT_NUM_GENERATIONS), β = BETA_GRPO, temperature 1. */
export function defaultGrpoEvalOptions(contextLength: number): GrpoEvalOptions {
  return {
    groupSize: defaultRules.evaluation.grpoNumGenerations,
    maxNewTokens: Math.min(defaultRules.evaluation.grpoMaxCompletionLength, Math.max(1, Math.floor(contextLength / 2))),
    temperature: 1,
    topP: 1,
    beta: BETA_GRPO,
    seed: 42,
  };
}

export type GrpoRepoResult = GrpoEvalResult & { is_finetune: boolean };

/** `{model_params_count, <repo>: {eval_loss, is_finetune, final_weighted_rewards, …} | "error text"}`. */
export async function evaluateGrpoRepos(
  originalDir: string, repos: readonly { id: string; dir: string }[], prompts: readonly GrpoPrompt[],
  rewards: readonly RewardFunction[], opts?: Partial<GrpoEvalOptions>,
): Promise<EvaluationResults> {
  const original = await loadModel(originalDir);
  const originalConfig: unknown = JSON.parse(await readFile(join(originalDir, 'config.json'), 'utf8'));
  const o = { ...defaultGrpoEvalOptions(original.config.contextLength), ...opts };
  const results: EvaluationResults = { model_params_count: modelParamsCount(original.config) };
  for (const repo of repos) {
    try {
      if (prompts.length === 0) throw new Error('no evaluation prompts');
      let entry: GrpoRepoResult;
      if (await isAdapterRepo(repo.dir)) {
        const { adapter } = await loadAdapter(repo.dir, original.config);
        entry = { ...(await grpoEvaluate(original, adapter, null, prompts, rewards, o)), is_finetune: true };
      } else {
        const candidateConfig: unknown = JSON.parse(await readFile(join(repo.dir, 'config.json'), 'utf8'));
        const model = await loadModel(repo.dir);
        entry = { ...(await grpoEvaluate(model, null, original, prompts, rewards, o)), is_finetune: isFinetune(originalConfig, candidateConfig) };
      }
      results[repo.id] = entry as unknown as EvaluationResults[string];
    } catch (err) {
      results[repo.id] = err instanceof Error ? err.message : String(err);
    }
  }
  return results;
}
