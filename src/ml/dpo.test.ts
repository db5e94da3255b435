// DPO: the gradient trick (weights set after the forward) equals finite differences of the DPO loss, and
// training on procedural preference pairs raises the chosen-vs-rejected margin on held-out pairs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateDpoRepos } from './evaluate.ts';
import { saveAdapter, saveModel } from './hub-format.ts';
import { gptConfig } from './config.ts';
import { proceduralInstruct } from './data/procedural.ts';
import { encodeInstruct } from './data/template.ts';
import { BETA_DPO, dpoEvaluate, encodeDpo, proceduralDpoRows, trainDpo } from './dpo.ts';
import { Gpt } from './gpt.ts';
import { resolveLoraTargets } from './lora.ts';
import { DEFAULT_SFT, trainSft } from './sft.ts';

const cfg = gptConfig({ contextLength: 32, width: 32, depth: 2, heads: 4 });
const tasks = ['first', 'last', 'copy', 'upper'] as const;
const trainRows = proceduralInstruct({ seed: 1, count: 600, split: 'train', tasks: [...tasks], minLength: 4, maxLength: 4 });
const testRows = proceduralInstruct({ seed: 2, count: 60, split: 'test', tasks: [...tasks], minLength: 4, maxLength: 4 });
const trainPairs = proceduralDpoRows(trainRows, 3).map(encodeDpo);
const testPairs = proceduralDpoRows(testRows, 4).map(encodeDpo);

describe('DPO', () => {
  it('builds pairs that differ only in the answer, and a fresh policy scores ln 2 against itself', () => {
    const row = proceduralDpoRows([{ instruct: 'copy', input: 'abcd', output: 'abcd' }], 1)[0]!;
    expect(row.chosen).toBe('abcd');
    expect(row.rejected).not.toBe('abcd');
    expect(row.rejected).toHaveLength(4);
    const model = Gpt.init(cfg, 1);
    const m = dpoEvaluate(model, null, null, testPairs);
    expect(m.loss).toBeCloseTo(Math.log(2), 10);
    expect(m.margin).toBe(0);
  });

  it('full fine-tuning gradient (loss weights set after the forward) equals finite differences (float64)', () => {
    const small = gptConfig({ contextLength: 32, width: 8, depth: 1, heads: 2 });
    const start = Gpt.init(small, 2, 'float64');
    for (let i = 0; i < start.params.length; i++) start.params[i] = start.params[i]! * 5;
    const pairs = trainPairs.slice(0, 2);
    // a zero-learning-rate step leaves the weights as they are and the DPO gradient in .grads
    const stepped = new Gpt(small, Float64Array.from(start.params));
    trainDpo(stepped, pairs, {
      steps: 1, batchSize: 2, lr: 0, warmupSteps: 0, minLrRatio: 1, weightDecay: 0, gradClip: 0, beta: BETA_DPO, seed: 5, lora: null,
    });
    const grad = Float64Array.from(stepped.grads!);
    // the policy starts at the reference, as in trainDpo; the check covers every seventh weight
    const reference = new Gpt(small, Float64Array.from(start.params));
    const policy = new Gpt(small, Float64Array.from(start.params));
    const loss = (): number => dpoEvaluate(policy, null, reference, pairs).loss;
    let worst = 0;
    const h = 1e-5;
    for (let i = 0; i < policy.params.length; i += 7) {
      const keep = policy.params[i]!;
      policy.params[i] = keep + h;
      const up = loss();
      policy.params[i] = keep - h;
      const down = loss();
      policy.params[i] = keep;
      const num = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(num - grad[i]!) / Math.max(1e-4, Math.abs(num) + Math.abs(grad[i]!)));
    }
    expect(worst).toBeLessThan(1e-4);
    expect(grad.some((g) => Math.abs(g) > 1e-6)).toBe(true);
  });

  it('LoRA DPO on a briefly tuned base raises the held-out chosen-vs-rejected margin; evaluator result shape', async () => {
    const model = Gpt.init(cfg, 3);
    trainSft(model, trainRows.map((r) => encodeInstruct(r)), { ...DEFAULT_SFT, steps: 60, seed: 1, lr: 3e-3 });
    const before = dpoEvaluate(model, null, null, testPairs);
    const { adapter } = trainDpo(model, trainPairs, {
      steps: 60, batchSize: 8, lr: 5e-3, warmupSteps: 5, minLrRatio: 0.1, weightDecay: 0, gradClip: 1, beta: BETA_DPO, seed: 2,
      lora: { rank: 8, alpha: 16, targets: resolveLoraTargets(['all']) },
    });
    const after = dpoEvaluate(model, adapter, null, testPairs);
    expect(before.margin).toBe(0);
    expect(after.margin).toBeGreaterThan(1);
    expect(after.loss).toBeLessThan(Math.log(2) - 0.05);
    expect(after.accuracy).toBeGreaterThan(before.accuracy);

    // the DPO evaluator's production result shape: the adapter repo scores its DPO loss against the original
    const root = mkdtempSync(join(tmpdir(), 'god-ml-dpo-'));
    try {
      await saveModel(join(root, 'original'), model);
      await saveAdapter(join(root, 'adapter'), adapter!, 'god-local/test');
      await saveModel(join(root, 'same'), model);
      const results = await evaluateDpoRepos(join(root, 'original'), [
        { id: 'a/lora', dir: join(root, 'adapter') }, { id: 'b/unchanged', dir: join(root, 'same') },
      ], testPairs);
      expect(results['a/lora']).toEqual({ eval_loss: expect.closeTo(after.loss, 5), is_finetune: true });
      // an unchanged full copy of the original scores exactly ln 2 and passes the architecture check
      expect(results['b/unchanged']).toEqual({ eval_loss: expect.closeTo(Math.log(2), 9), is_finetune: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
