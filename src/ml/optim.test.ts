import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, learningRate } from './optim.ts';

describe('optimiser', () => {
  it('AdamW takes the textbook first step, with decay only where the mask says', () => {
    const p = Float32Array.from([1, 2]);
    const g = Float32Array.from([0.5, -0.25]);
    const opt = new AdamW(2, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 }, Uint8Array.from([1, 0]));
    opt.update(p, g, 0.1);
    // step 1: m̂ = g, v̂ = g², update = sign(g)·(1 − tiny); decay 0.1·0.5·p on the first only
    expect(p[0]).toBeCloseTo(1 - 0.1 * (1 + 0.5 * 1), 6);
    expect(p[1]).toBeCloseTo(2 + 0.1, 6);
  });

  it('warms up linearly, then follows a cosine to the floor', () => {
    const s = { lr: 1, warmupSteps: 4, totalSteps: 14, minLrRatio: 0.1 };
    expect(learningRate(s, 0)).toBeCloseTo(0.25);
    expect(learningRate(s, 3)).toBeCloseTo(1);
    expect(learningRate(s, 4)).toBeCloseTo(1);
    expect(learningRate(s, 9)).toBeCloseTo(0.55);
    expect(learningRate(s, 14)).toBeCloseTo(0.1);
    expect(learningRate(s, 100)).toBeCloseTo(0.1);
  });

  it('clips by global norm and reports the norm before clipping', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipGradNorm(g, 1)).toBeCloseTo(5);
    expect(Math.hypot(g[0]!, g[1]!)).toBeCloseTo(1, 5);
    const small = Float32Array.from([0.3, 0.4]);
    clipGradNorm(small, 1);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});
