// Whole-model checks: the composed forward/backward (with and without LoRA) against finite differences in
// float64, the LoRA merge, and bit-exact determinism.
import { describe, expect, it } from 'vitest';
import { Gpt, modelParamsCount } from './gpt.ts';
import type { Batch } from './gpt.ts';
import { gptConfig } from './config.ts';
import { createLora, mergeLoraInto, resolveLoraTargets } from './lora.ts';
import { Rng } from './rng.ts';
import { setThreads } from './kernels/matmul.ts';

const cfg = gptConfig({ vocabSize: 13, contextLength: 6, width: 8, depth: 2, heads: 2 });

function batch(seed: number, floatType: 'float32' | 'float64'): Batch {
  const rng = new Rng(seed);
  const b = 2, t = 5;
  const tokens = Int32Array.from({ length: b * t }, () => rng.int(cfg.vocabSize));
  const targets = Int32Array.from({ length: b * t }, () => rng.int(cfg.vocabSize));
  const w = [0, 0.2, 0.2, 0.3, 0.3, 0, 0, 0.5, 0.25, 0.25];
  const weights = floatType === 'float64' ? Float64Array.from(w) : Float32Array.from(w);
  return { b, t, tokens, targets, weights };
}

function worstError(x: Float64Array, grad: Float64Array, loss: () => number, h = 1e-5): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - grad[i]!) / Math.max(1e-4, Math.abs(numeric) + Math.abs(grad[i]!)));
  }
  return worst;
}

describe('Gpt', () => {
  it('full-model gradient of every parameter matches finite differences (float64)', () => {
    const model = Gpt.init(cfg, 7, 'float64');
    // larger weights than GPT-2's 0.02 make every path contribute measurably
    for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! * 10;
    const bt = batch(3, 'float64');
    model.forward(bt);
    model.zeroGrad();
    model.backward({ trainBase: true });
    const grads = Float64Array.from(model.grads!);
    expect(worstError(model.params as Float64Array, grads, () => model.forward(bt))).toBeLessThan(1e-5);
  });

  it('LoRA gradients match finite differences and the frozen base gets none (float64)', () => {
    const model = Gpt.init(cfg, 8, 'float64');
    for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! * 10;
    const lora = createLora(cfg, { rank: 3, alpha: 6, targets: resolveLoraTargets(['all']) }, 9, 'float64');
    // B starts at zero; give it values so the A gradient is not trivially zero
    const rng = new Rng(5);
    for (let i = 0; i < lora.params.length; i++) lora.params[i] = lora.params[i]! + rng.normal() * 0.3;
    const bt = batch(4, 'float64');
    model.forward(bt, lora);
    lora.grads = new Float64Array(lora.params.length);
    model.backward({ trainBase: false });
    expect(model.grads).toBeNull();
    const grads = Float64Array.from(lora.grads);
    // the adapter path is strongly curved at these scales, so a smaller step (truncation error ∝ h²)
    expect(worstError(lora.params as Float64Array, grads, () => model.forward(bt, lora), 1e-6)).toBeLessThan(1e-4);
  });

  it('merging LoRA into the base weights gives the same outputs as the adapter', () => {
    const model = Gpt.init(cfg, 10);
    const lora = createLora(cfg, { rank: 2, alpha: 4, targets: resolveLoraTargets(['qkv', 'o', 'mlp']) }, 11);
    const rng = new Rng(6);
    for (let i = 0; i < lora.params.length; i++) lora.params[i] = lora.params[i]! + rng.normal() * 0.1;
    const bt = batch(5, 'float32');
    const withAdapter = model.forward(bt, lora);
    const baseOnly = model.forward(bt);
    const merged = new Gpt(cfg, Float32Array.from(model.params));
    mergeLoraInto(merged.params, lora, (l, m) => merged.weightOffset(l, m));
    const mergedLoss = merged.forward(bt);
    expect(Math.abs(mergedLoss - withAdapter)).toBeLessThan(1e-5);
    expect(Math.abs(baseOnly - withAdapter)).toBeGreaterThan(1e-3);
  });

  it('same seed gives bit-identical weights and losses; another seed differs', () => {
    const a = Gpt.init(cfg, 42), b = Gpt.init(cfg, 42), c = Gpt.init(cfg, 43);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(c.params.buffer))).toBe(false);
    expect(a.forward(batch(1, 'float32'))).toBe(b.forward(batch(1, 'float32')));
  });

  it('float32 results are bit-identical with one or two kernel threads, and match float64 closely', () => {
    const wide = gptConfig({ contextLength: 32, width: 64, depth: 2, heads: 4 });
    const rng = new Rng(3);
    const b = 16, t = 32, n = b * t;
    const bt: Batch = {
      b, t, tokens: Int32Array.from({ length: n }, () => rng.int(256)), targets: Int32Array.from({ length: n }, () => rng.int(256)),
      weights: new Float32Array(n).fill(1 / n),
    };
    const run = (threads: number): { loss: number; grads: Float32Array } => {
      setThreads(threads);
      const model = Gpt.init(wide, 1);
      const loss = model.forward(bt);
      model.zeroGrad();
      model.backward();
      return { loss, grads: Float32Array.from(model.grads!) };
    };
    const one = run(1), two = run(2);
    expect(two.loss).toBe(one.loss);
    expect(Buffer.from(two.grads.buffer).equals(Buffer.from(one.grads.buffer))).toBe(true);
    const m64 = new Gpt(wide, Float64Array.from(Gpt.init(wide, 1).params));
    const loss64 = m64.forward({ ...bt, weights: new Float64Array(n).fill(1 / n) });
    m64.zeroGrad();
    m64.backward();
    let num = 0, den = 0;
    for (let i = 0; i < one.grads.length; i++) {
      num += (one.grads[i]! - m64.grads![i]!) ** 2;
      den += m64.grads![i]! ** 2;
    }
    expect(Math.abs(one.loss - loss64)).toBeLessThan(1e-5);
    expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
  });

  it('counts parameters once for the tied head', () => {
    const c = 8, v = 13, t = 6, depth = 2;
    const perLayer = 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + 2 * c + (c * 4 * c + 4 * c) + (4 * c * c + c);
    expect(modelParamsCount(cfg)).toBe(v * c + t * c + depth * perLayer + 2 * c);
  });

  it('rejects tokens outside the vocabulary and sequences past the context', () => {
    const model = Gpt.init(cfg, 1);
    const bad = batch(1, 'float32');
    bad.tokens[3] = 99;
    expect(() => model.forward(bad)).toThrow(/outside the vocabulary/);
    const long: Batch = { b: 1, t: 7, tokens: new Int32Array(7), targets: new Int32Array(7), weights: new Float32Array(7) };
    expect(() => model.forward(long)).toThrow(/exceeds the context/);
  });
});
