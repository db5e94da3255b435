// GRPO with reward functions behind the RewardFunction interface (TypeScript here; the sandbox issue plugs
// Python functions in behind the same interface): advantages, the evaluator's result keys, and learning.
import { describe, expect, it } from 'vitest';
import { gptConfig } from './config.ts';
import { proceduralInstruct } from './data/procedural.ts';
import type { InstructRow } from './data/template.ts';
import { encodeInstruct } from './data/template.ts';
import { Gpt } from './gpt.ts';
import { BETA_GRPO, groupAdvantages, grpoEvaluate, rewardName, trainGrpo } from './grpo.ts';
import type { GrpoPrompt, RewardFunction } from './grpo.ts';
import { resolveLoraTargets } from './lora.ts';
import { DEFAULT_SFT, trainSft } from './sft.ts';

const cfg = gptConfig({ contextLength: 32, width: 32, depth: 2, heads: 4 });
const tasks = ['first', 'last'] as const;
const trainRows = proceduralInstruct({ seed: 1, count: 600, split: 'train', tasks: [...tasks], minLength: 4, maxLength: 4 });
const testRows = proceduralInstruct({ seed: 2, count: 40, split: 'test', tasks: [...tasks], minLength: 4, maxLength: 4 });
const toPrompt = (r: InstructRow): GrpoPrompt => ({ prompt: `${r.instruct} ${r.input}`, extraData: { answer: r.output } });

/** Verifiable: 1 when the completion is exactly the answer in extra_data. */
const exact: RewardFunction = {
  weight: 1,
  score: (c, ctx) => c.map((x, i) => (x === (ctx.extraData[i] as { answer: string }).answer ? 1 : 0)),
};
/** Dense: the share of the completion's letters that are upper-case (the SFT data only has lower-case answers). */
const shout: RewardFunction = {
  weight: 0.5,
  score: (c) => c.map((x) => {
    const letters = [...x].filter((ch) => /[a-z]/i.test(ch));
    return letters.length === 0 ? 0 : letters.filter((ch) => /[A-Z]/.test(ch)).length / letters.length;
  }),
};

describe('GRPO', () => {
  it('normalises rewards within each group', () => {
    const a = groupAdvantages([1, 0, 0.5, 0.5], 2);
    // torch's unbiased std of [1, 0] is √0.5
    expect(a[0]).toBeCloseTo(0.5 / (Math.SQRT1_2 + 1e-4), 9);
    expect(a[0]! + a[1]!).toBeCloseTo(0, 12);
    expect(a.slice(2)).toEqual([0, 0]);
    expect(rewardName(0, 0.5)).toBe('reward_func_0_weight_0.50');
  });

  it('LoRA GRPO raises the mean reward on held-out prompts; the evaluator reports production keys', async () => {
    const model = Gpt.init(cfg, 3);
    trainSft(model, trainRows.map((r) => encodeInstruct(r)), { ...DEFAULT_SFT, steps: 30, seed: 1, lr: 3e-3 });
    const evalOpts = { groupSize: 2, maxNewTokens: 4, temperature: 1, topP: 1, beta: BETA_GRPO, seed: 9 };
    const prompts = testRows.map(toPrompt);
    const before = await grpoEvaluate(model, null, null, prompts, [exact, shout], evalOpts);
    expect(before.kl_divergence).toBe(0);
    const { adapter, meanRewards } = await trainGrpo(model, trainRows.map(toPrompt), [exact, shout], {
      steps: 40, promptsPerStep: 8, groupSize: 4, maxNewTokens: 4, temperature: 1, topP: 1, lr: 1e-2, warmupSteps: 3,
      minLrRatio: 0.1, weightDecay: 0, gradClip: 1, beta: BETA_GRPO, seed: 4,
      lora: { rank: 8, alpha: 16, targets: resolveLoraTargets(['all']) },
    });
    expect(meanRewards).toHaveLength(40);
    const after = await grpoEvaluate(model, adapter, null, prompts, [exact, shout], evalOpts);
    expect(after.total_avg_reward).toBeGreaterThan(before.total_avg_reward + 0.05);
    expect(after.kl_divergence).toBeGreaterThan(0);
    expect(Object.keys(after.final_raw_rewards)).toEqual(['reward_func_0_weight_1.00', 'reward_func_1_weight_0.50']);
    expect(after.eval_loss).toBeCloseTo(after.total_avg_reward - BETA_GRPO * after.kl_divergence, 12);
  }, 60_000);

  it('rejects a reward function that returns the wrong number of values', async () => {
    const model = Gpt.init(cfg, 1);
    const bad: RewardFunction = { weight: 1, score: () => [1] };
    await expect(grpoEvaluate(model, null, null, testRows.slice(0, 2).map(toPrompt), [bad],
      { groupSize: 2, maxNewTokens: 2, temperature: 1, topP: 1, beta: BETA_GRPO, seed: 1 })).rejects.toThrow(/reward function 0/);
  });
});
