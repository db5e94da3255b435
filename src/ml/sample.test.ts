import { describe, expect, it } from 'vitest';
import { gptConfig } from './config.ts';
import { Gpt } from './gpt.ts';
import { Rng } from './rng.ts';
import { generate, nextTokenProbs, pickToken } from './sample.ts';

describe('sampling', () => {
  const probs = Float64Array.from([0.05, 0.5, 0.3, 0.15]);

  it('temperature 0 is argmax', () => {
    expect(pickToken(probs, 0, 1, new Rng(1))).toBe(1);
  });

  it('top-p keeps only the smallest set reaching the mass', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(pickToken(probs, 1, 0.75, rng));
    expect([...seen].sort()).toEqual([1, 2]);
    const all = new Set<number>();
    for (let i = 0; i < 2000; i++) all.add(pickToken(probs, 1, 1, rng));
    expect(all.size).toBe(4);
  });

  it('low temperature sharpens and high temperature flattens the distribution', () => {
    const count = (temp: number): number => {
      const rng = new Rng(9);
      let top = 0;
      for (let i = 0; i < 2000; i++) if (pickToken(probs, temp, 1, rng) === 1) top++;
      return top / 2000;
    };
    expect(count(0.3)).toBeGreaterThan(0.8);
    expect(count(1)).toBeGreaterThan(0.42);
    expect(count(1)).toBeLessThan(0.58);
    expect(count(5)).toBeLessThan(0.35);
  });

  it('generation is reproducible for a seed and varies across seeds', () => {
    const model = Gpt.init(gptConfig({ contextLength: 16, width: 16, depth: 1, heads: 2 }), 4);
    // scale weights up so the distribution is far from uniform
    for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! * 40;
    const opts = { maxNewTokens: 20, temperature: 1, topP: 0.95, seed: 7, stopTokens: [] };
    const a = generate(model, [256, 97], opts);
    expect(generate(model, [256, 97], opts)).toEqual(a);
    expect(a).toHaveLength(20);
    const others = [8, 9, 10].map((seed) => generate(model, [256, 97], { ...opts, seed }).join(','));
    expect(others.some((o) => o !== a.join(','))).toBe(true);
    const p = nextTokenProbs(model, [256, 97]);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
  });
});
