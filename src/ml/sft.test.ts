// Learning end to end on the procedural task: SFT lowers held-out loss by ≥30 % and raises exact match;
// runs are bit-for-bit reproducible; different recipes give different losses; LoRA leaves the base intact;
// the evaluator writes production's result shape for full and LoRA repos.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gptConfig } from './config.ts';
import { proceduralInstruct } from './data/procedural.ts';
import type { ProceduralTask } from './data/procedural.ts';
import { encodeInstruct, instructMessages } from './data/template.ts';
import { evaluateInstructRepos, exactMatch, instructEvalLoss, isFinetune } from './evaluate.ts';
import { Gpt, modelParamsCount } from './gpt.ts';
import { saveAdapter, saveModel } from './hub-format.ts';
import { resolveLoraTargets } from './lora.ts';
import { DEFAULT_SFT, trainSft } from './sft.ts';
import type { SftOptions } from './sft.ts';

const root = mkdtempSync(join(tmpdir(), 'god-ml-sft-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cfg = gptConfig({ contextLength: 32, width: 64, depth: 2, heads: 4 });
const tasks: ProceduralTask[] = ['first', 'last', 'copy', 'upper'];
const data = (split: 'train' | 'test', seed: number, count: number) =>
  proceduralInstruct({ seed, count, split, tasks, minLength: 4, maxLength: 4 });
const train = data('train', 1, 2000);
const heldOut = data('test', 2, 80);
const trainEx = train.map((r) => encodeInstruct(r));
const heldEx = heldOut.map((r) => encodeInstruct(r));
const emRows = heldOut.slice(0, 40).map((r) => ({ messages: instructMessages(r), expected: r.output }));
const recipe = (over: Partial<SftOptions>): SftOptions => ({ ...DEFAULT_SFT, steps: 10, seed: 3, lr: 3e-3, ...over });

describe('SFT on the procedural instruct task (held-out prompts disjoint from training)', () => {
  const base = Gpt.init(cfg, 1);
  const tuned = new Gpt(cfg, Float32Array.from(base.params));
  let before = 0, after = 0, emBefore = 0, emAfter = 0;

  beforeAll(() => {
    before = instructEvalLoss(base, null, heldEx).evalLoss;
    emBefore = exactMatch(base, null, emRows, 6);
    trainSft(tuned, trainEx, recipe({ steps: 300, batchSize: 16, warmupSteps: 20 }));
    after = instructEvalLoss(tuned, null, heldEx).evalLoss;
    emAfter = exactMatch(tuned, null, emRows, 6);
  }, 120_000);

  it('lowers held-out loss by at least 30% from the base model in 300 steps', () => {
    expect(after).toBeLessThan(0.7 * before);
  });

  it('raises greedy exact-match accuracy on held-out prompts', () => {
    expect(emAfter).toBeGreaterThan(emBefore);
    expect(emAfter).toBeGreaterThanOrEqual(0.1);
  });
});

describe('SFT runs', () => {
  it('are bit-identical for the same seed (weights and losses)', () => {
    const a = Gpt.init(cfg, 5), b = Gpt.init(cfg, 5);
    const ra = trainSft(a, trainEx, recipe({}));
    const rb = trainSft(b, trainEx, recipe({}));
    expect(ra.losses).toEqual(rb.losses);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
  });

  it('give measurably different losses under two recipes', () => {
    const fast = trainSft(Gpt.init(cfg, 5), trainEx, recipe({ lr: 3e-3, steps: 20 }));
    const slow = trainSft(Gpt.init(cfg, 5), trainEx, recipe({ lr: 1e-4, steps: 20 }));
    expect(fast.losses[19]! + 0.3).toBeLessThan(slow.losses[19]!);
  });

  it('LoRA trains only the adapter and the evaluator returns the production result shape', async () => {
    const model = Gpt.init(cfg, 6);
    // a short full fine-tune stands in for a pre-trained base, so the adapter has something to adapt
    trainSft(model, trainEx, recipe({ steps: 40 }));
    const frozen = Float32Array.from(model.params);
    const res = trainSft(model, trainEx, recipe({ steps: 30, lora: { rank: 8, alpha: 16, targets: resolveLoraTargets(['all']) } }));
    expect(Buffer.from(model.params.buffer).equals(Buffer.from(frozen.buffer))).toBe(true);
    expect(res.adapter).not.toBeNull();
    const baseLoss = instructEvalLoss(model, null, heldEx).evalLoss;
    const loraLoss = instructEvalLoss(model, res.adapter, heldEx).evalLoss;
    expect(loraLoss).toBeLessThan(baseLoss);

    const originalDir = join(root, 'original');
    await saveModel(originalDir, model);
    const adapterDir = join(root, 'alice-lora');
    await saveAdapter(adapterDir, res.adapter!, 'god-local/test-base');
    const otherArch = Gpt.init(gptConfig({ contextLength: 32, width: 32, depth: 2, heads: 4 }), 7);
    const otherDir = join(root, 'bob-other');
    await saveModel(otherDir, otherArch);
    const brokenDir = join(root, 'carol-broken');
    mkdirSync(brokenDir);
    writeFileSync(join(brokenDir, 'config.json'), '{"model_type": "gpt2"}');
    const results = await evaluateInstructRepos(originalDir, [
      { id: 'alice/lora', dir: adapterDir }, { id: 'bob/other', dir: otherDir }, { id: 'carol/broken', dir: brokenDir },
    ], heldEx);
    expect(results.model_params_count).toBe(modelParamsCount(cfg));
    expect(results['alice/lora']).toEqual({ eval_loss: expect.closeTo(loraLoss, 5), is_finetune: true });
    expect(results['bob/other']).toMatchObject({ is_finetune: false });
    expect(typeof (results['bob/other'] as { eval_loss: number }).eval_loss).toBe('number');
    expect(results['carol/broken']).toMatch(/config\.json: architectures/);
  }, 60_000);
});

describe('isFinetune (production attribute check)', () => {
  const original = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: 64, n_layer: 2, n_head: 4, vocab_size: 264 };
  it('accepts the same architecture with a different vocabulary size', () => {
    expect(isFinetune(original, { ...original, vocab_size: 300 })).toBe(true);
  });
  it('rejects a different width, depth, head count or architecture, and malformed input', () => {
    expect(isFinetune(original, { ...original, n_embd: 32 })).toBe(false);
    expect(isFinetune(original, { ...original, n_layer: 3 })).toBe(false);
    expect(isFinetune(original, { ...original, n_head: 2 })).toBe(false);
    expect(isFinetune(original, { ...original, architectures: ['LlamaForCausalLM'] })).toBe(false);
    expect(isFinetune(original, null)).toBe(false);
  });
});
