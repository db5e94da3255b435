// GRPO mechanics with TypeScript reward functions (advantages, reward validation). Learning with Python reward
// functions through the real sandbox is proven in grpo-sandbox.test.ts.
import { describe, expect, it } from 'vitest';
import { gptConfig } from './config.ts';
import { proceduralInstruct } from './data/procedural.ts';
import type { InstructRow } from './data/template.ts';
import { Gpt } from './gpt.ts';
import { BETA_GRPO, groupAdvantages, grpoEvaluate, rewardName } from './grpo.ts';
import type { GrpoPrompt, RewardFunction } from './grpo.ts';
import { createLora, resolveLoraTargets } from './lora.ts';
import { Rng } from './rng.ts';

const cfg = gptConfig({ contextLength: 32, width: 32, depth: 2, heads: 4 });
const tasks = ['first', 'last'] as const;
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

  it('the evaluator reports production keys and eval_loss = Σ mean(w·r) − β·KL against the base', async () => {
    const model = Gpt.init(cfg, 3);
    const lora = createLora(cfg, { rank: 4, alpha: 8, targets: resolveLoraTargets(['all']) }, 1);
    const rng = new Rng(2);
    for (let i = 0; i < lora.params.length; i++) lora.params[i] = rng.normal() * 0.1;
    const opts = { groupSize: 2, maxNewTokens: 4, temperature: 1, topP: 1, beta: BETA_GRPO, seed: 9 };
    const prompts = testRows.slice(0, 6).map(toPrompt);
    const base = await grpoEvaluate(model, null, null, prompts, [exact, shout], opts);
    expect(base.kl_divergence).toBe(0);
    const r = await grpoEvaluate(model, lora, null, prompts, [exact, shout], opts);
    expect(r.kl_divergence).toBeGreaterThan(0);
    expect(Object.keys(r.final_raw_rewards)).toEqual(['reward_func_0_weight_1.00', 'reward_func_1_weight_0.50']);
    expect(r.weights).toEqual({ 'reward_func_0_weight_1.00': 1, 'reward_func_1_weight_0.50': 0.5 });
    expect(r.final_weighted_rewards['reward_func_1_weight_0.50']).toBeCloseTo(0.5 * r.final_raw_rewards['reward_func_1_weight_0.50']!, 12);
    expect(r.eval_loss).toBeCloseTo(r.total_avg_reward - BETA_GRPO * r.kl_divergence, 12);
  });

  it('rejects a reward function that returns the wrong number of values', async () => {
    const model = Gpt.init(cfg, 1);
    const bad: RewardFunction = { weight: 1, score: () => [1] };
    await expect(grpoEvaluate(model, null, null, testRows.slice(0, 2).map(toPrompt), [bad],
      { groupSize: 2, maxNewTokens: 2, temperature: 1, topP: 1, beta: BETA_GRPO, seed: 1 })).rejects.toThrow(/reward function 0/);
  });
});
