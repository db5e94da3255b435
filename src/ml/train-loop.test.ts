// The shared sampler must draw from the RNG exactly as the trainers' former hand-written cursor loops did
// (seeded runs depend on it), and every epoch must visit each index once.
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';
import { BatchSampler, trainableSetup } from './train-loop.ts';
import { gptConfig } from './config.ts';
import { makeBatch } from './data/batch.ts';
import { Gpt } from './gpt.ts';
import { createLora, resolveLoraTargets } from './lora.ts';

/** The loop the trainers used to inline: shuffle once, then reshuffle in place when the cursor runs out. */
function referenceDraws(seed: number, count: number, draws: number): { picked: number[]; after: number } {
  const rng = new Rng(seed);
  const order = rng.shuffle([...Array(count).keys()]);
  let cursor = 0;
  const picked: number[] = [];
  for (let i = 0; i < draws; i++) {
    if (cursor === order.length) {
      rng.shuffle(order);
      cursor = 0;
    }
    picked.push(order[cursor++]!);
  }
  return { picked, after: rng.nextU32() };
}

describe('BatchSampler', () => {
  it('matches the inline cursor loop draw for draw, including the RNG state afterwards', () => {
    for (const [count, batch, steps] of [[7, 3, 9], [5, 5, 4], [1, 4, 3], [10, 4, 1]] as const) {
      const ref = referenceDraws(42, count, batch * steps);
      const rng = new Rng(42);
      const sampler = new BatchSampler(rng, count);
      const picked: number[] = [];
      for (let s = 0; s < steps; s++) picked.push(...sampler.next(batch));
      expect(picked).toEqual(ref.picked);
      expect(rng.nextU32()).toBe(ref.after);
    }
  });

  it('reshuffles only when the epoch is exhausted and the next index is asked for', () => {
    const rng = new Rng(7);
    const sampler = new BatchSampler(rng, 4);
    const epoch = sampler.next(4);
    expect([...epoch].sort()).toEqual([0, 1, 2, 3]);
    // the epoch is used up but not yet reshuffled: the shared RNG stands where a single shuffle leaves it
    const twin = new Rng(7);
    twin.shuffle([0, 1, 2, 3]);
    expect(rng.nextU32()).toBe(twin.nextU32());
    const second = sampler.next(4);
    expect([...second].sort()).toEqual([0, 1, 2, 3]);
    expect(() => new BatchSampler(new Rng(1), 0)).toThrow(/at least one/);
  });
});

describe('trainableSetup', () => {
  const cfg = gptConfig({ contextLength: 8, width: 16, depth: 1, heads: 2 });
  const opts = { steps: 10, lr: 0.01, warmupSteps: 0, minLrRatio: 0.1, weightDecay: 0.01, gradClip: 1 };
  const batch = (m: Gpt) => makeBatch([{ ids: [1, 2, 3, 4, 5], lossMask: [0, 0, 1, 1, 1] }], 4, m.floatType, () => 1);

  it('full training updates the model with decay only on the tensors marked for it', () => {
    const m = Gpt.init(cfg, 1);
    const t = trainableSetup(m, null, opts);
    expect(t.params).toBe(m.params);
    for (const spec of m.tensors) expect(t.optim.decayMask![spec.offset]).toBe(spec.decay ? 1 : 0);
    const before = Float32Array.from(m.params);
    m.forward(batch(m), null);
    const { lr, gradNorm } = t.backwardAndUpdate(0);
    expect(lr).toBeCloseTo(0.01, 12);
    expect(gradNorm).toBeGreaterThan(0);
    expect(m.params).not.toEqual(before);
  });

  it('under an adapter only the adapter moves and every factor decays', () => {
    const m = Gpt.init(cfg, 1);
    const adapter = createLora(cfg, { rank: 2, alpha: 4, targets: resolveLoraTargets(['all']) }, 3);
    const t = trainableSetup(m, adapter, opts);
    expect(t.params).toBe(adapter.params);
    expect(t.optim.decayMask).toBeNull();
    const base = Float32Array.from(m.params), start = Float32Array.from(adapter.params);
    m.forward(batch(m), adapter);
    t.backwardAndUpdate(0);
    expect(adapter.grads).toHaveLength(adapter.params.length);
    expect(m.params).toEqual(base);
    expect(adapter.params).not.toEqual(start);
  });
});
