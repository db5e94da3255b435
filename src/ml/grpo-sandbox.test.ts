// GRPO with Python reward functions run by the real sandbox (Pyodide in isolated child processes): training raises
// the mean reward, and the per-repo evaluator returns production's result shape with HEAD's extra keys.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, libraryFunction } from '../sandbox/index.ts';
import { gptConfig } from './config.ts';
import { proceduralInstruct } from './data/procedural.ts';
import type { InstructRow } from './data/template.ts';
import { encodeInstruct } from './data/template.ts';
import { Gpt } from './gpt.ts';
import { evaluateGrpoRepos, sandboxRewardFunctions } from './grpo-eval.ts';
import { BETA_GRPO, trainGrpo } from './grpo.ts';
import type { GrpoPrompt } from './grpo.ts';
import { saveAdapter, saveModel } from './hub-format.ts';
import { resolveLoraTargets } from './lora.ts';
import { DEFAULT_SFT, trainSft } from './sft.ts';

const cfg = gptConfig({ contextLength: 32, width: 32, depth: 2, heads: 4 });
const tasks = ['first', 'last'] as const;
const trainRows = proceduralInstruct({ seed: 1, count: 600, split: 'train', tasks: [...tasks], minLength: 4, maxLength: 4 });
const testRows = proceduralInstruct({ seed: 2, count: 24, split: 'test', tasks: [...tasks], minLength: 4, maxLength: 4 });
// extra_data as the prepared file carries it: a JSON string
const toPrompt = (r: InstructRow): GrpoPrompt => ({ prompt: `${r.instruct} ${r.input}`, extraData: JSON.stringify({ answer: r.output }) });

/** Dense: the share of upper-case letters (the SFT data answers in lower case). Python, no extra_data. */
const SHOUT = `def shout(completions, **kwargs):
    out = []
    for c in completions:
        letters = [ch for ch in c if ch.isalpha()]
        out.append(sum(1 for ch in letters if ch.isupper()) / len(letters) if letters else 0.0)
    return out
`;

describe('GRPO with Python reward functions through the sandbox', () => {
  let sandbox: Sandbox;
  let dir = '';
  beforeAll(async () => {
    sandbox = await Sandbox.start({ rules: { poolSize: 1 } });
    dir = await mkdtemp(join(tmpdir(), 'god-ml-grpo-'));
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('LoRA GRPO raises the mean Python reward; evaluateGrpoRepos reports production keys; a broken function fails the repo', async () => {
    const fns = [
      { reward_func: libraryFunction('exact_answer_match').code, reward_weight: 1 },
      { reward_func: SHOUT, reward_weight: 0.5 },
    ];
    const rewards = sandboxRewardFunctions(sandbox, fns);
    const model = Gpt.init(cfg, 3);
    trainSft(model, trainRows.map((r) => encodeInstruct(r)), { ...DEFAULT_SFT, steps: 30, seed: 1, lr: 3e-3 });
    await saveModel(join(dir, 'base'), model);
    const prompts = testRows.map(toPrompt);
    const evalOpts = { groupSize: 2, maxNewTokens: 4, temperature: 1, topP: 1, beta: BETA_GRPO, seed: 9 };
    const before = await evaluateGrpoRepos(join(dir, 'base'), [{ id: 'base/copy', dir: join(dir, 'base') }], prompts, rewards, evalOpts);
    const { adapter, meanRewards } = await trainGrpo(model, trainRows.map(toPrompt), rewards, {
      steps: 40, promptsPerStep: 8, groupSize: 4, maxNewTokens: 4, temperature: 1, topP: 1, lr: 1e-2, warmupSteps: 3,
      minLrRatio: 0.1, weightDecay: 0, gradClip: 1, beta: BETA_GRPO, seed: 4,
      lora: { rank: 8, alpha: 16, targets: resolveLoraTargets(['all']) },
    });
    expect(meanRewards).toHaveLength(40);
    await saveAdapter(join(dir, 'lora'), adapter!, 'base');
    const broken = sandboxRewardFunctions(sandbox, [{ reward_func: 'def f(completions, **kwargs):\n    return [1.0]\n', reward_weight: 1 }]);
    const after = await evaluateGrpoRepos(join(dir, 'base'), [{ id: 'alice/lora', dir: join(dir, 'lora') }], prompts, rewards, evalOpts);
    const failed = await evaluateGrpoRepos(join(dir, 'base'), [{ id: 'bob/lora', dir: join(dir, 'lora') }], prompts.slice(0, 2), broken, evalOpts);

    type Entry = { eval_loss: number; is_finetune: boolean; total_avg_reward: number; kl_divergence: number; final_raw_rewards: Record<string, number> };
    const b = before['base/copy'] as unknown as Entry;
    const a = after['alice/lora'] as unknown as Entry;
    expect(b.kl_divergence).toBe(0);
    expect(b.is_finetune).toBe(true);
    expect(a.is_finetune).toBe(true);
    expect(a.total_avg_reward).toBeGreaterThan(b.total_avg_reward + 0.05);
    expect(a.kl_divergence).toBeGreaterThan(0);
    expect(a.eval_loss).toBeCloseTo(a.total_avg_reward - BETA_GRPO * a.kl_divergence, 12);
    expect(Object.keys(a.final_raw_rewards)).toEqual(['reward_func_0_weight_1.00', 'reward_func_1_weight_0.50']);
    expect(after.model_params_count).toBe(model.params.length);
    expect(failed['bob/lora']).toMatch(/Invalid reward function 0/);
  }, 90_000);
});
