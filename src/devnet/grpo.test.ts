import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../sandbox/index.ts';
import { beatsBase, DEVNET_GRPO_REWARDS, devnetGrpoFields, gainOverBase } from './grpo.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await Sandbox.start({ rules: { poolSize: 1 } });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
});

const fn = (name: string) => DEVNET_GRPO_REWARDS.find((f) => f.name === name)!.reward_func;

describe("the devnet's GRPO reward functions (run in the Python sandbox)", () => {
  it('pass the sandbox validation prep runs, on rows shaped like the built-in arithmetic dataset', async () => {
    const rows = [{ prompt: 'add 2 3', extra_data: '{"answer": "5"}' }, { prompt: 'subtract 9 4', extra_data: '{"answer": "5"}' }];
    for (const f of devnetGrpoFields().reward_functions) expect(await sandbox.validateRewardFunction(f.reward_func, rows)).toMatchObject({ valid: true });
  });

  it('digit_share gives partial credit by the share of digits in the first 8 non-space characters', async () => {
    const r = await sandbox.scoreCompletions([fn('digit_share')], [1], ['12345678 and more', '12 ab', 'abc', '', '1 2 3 4'], null);
    expect(r.perFunction[0]!.rewards).toEqual([1, 0.25, 0, 0, 0.5]);
  });

  it('numeric_closeness scores the first integer against extra_data, 1.0 when exact', async () => {
    const extra = ['{"answer": "40"}', '{"answer": "40"}', '{"answer": "40"}', '{"answer": "-5"}', '{"answer": "40"}'];
    const r = await sandbox.scoreCompletions([fn('numeric_closeness')], [1], ['40', 'x 45 y 40', '200', '-5\n', 'no number'], extra);
    const rewards = r.perFunction[0]!.rewards!;
    expect(rewards[0]).toBe(1);
    expect(rewards[1]).toBeCloseTo(1 - 5 / 50, 12);
    expect(rewards[2]).toBe(0);
    expect(rewards[3]).toBe(1);
    expect(rewards[4]).toBe(0);
  });
});

describe('direction of the metric', () => {
  it('GRPO is better when higher, the losses when lower', () => {
    expect(beatsBase('GrpoTask', 1.0, 0.3)).toBe(true);
    expect(beatsBase('GrpoTask', 0.2, 0.3)).toBe(false);
    expect(beatsBase('InstructTextTask', 1.0, 3.0)).toBe(true);
    expect(beatsBase('InstructTextTask', 3.5, 3.0)).toBe(false);
    expect(beatsBase('DpoTask', null, 3.0)).toBe(false);
    expect(gainOverBase('GrpoTask', 1.2, 0.4)).toBeCloseTo(200, 9);
    expect(gainOverBase('InstructTextTask', 3, 6)).toBeCloseTo(50, 9);
  });
});
