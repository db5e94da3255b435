// Finite-difference gradient checks for every layer kernel, in float64 so the tolerance can be tight.
// Each check builds a scalar loss L = Σ out ⊙ R with a random R (so dL/dout = R), runs the kernel's backward,
// and compares every analytic derivative with a central difference.
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { matmul, transpose } from './matmul.ts';
import {
  attentionBackward, attentionForward, encoderBackward, encoderForward, fastTanh, geluBackward, geluForward,
  layernormBackward, layernormForward, linearBackward, linearForward, softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from './ops.ts';

const rng = new Rng(1234);
function rand(n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Max relative error between analytic `grad` and central differences of `loss` over x. */
function gradError(x: Float64Array, grad: Float64Array, loss: () => number, h = 1e-5): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    const numeric = (up - down) / (2 * h);
    const err = Math.abs(numeric - grad[i]!) / Math.max(1e-4, Math.abs(numeric) + Math.abs(grad[i]!));
    worst = Math.max(worst, err);
  }
  return worst;
}

describe('layer kernels: analytic gradients match finite differences (float64)', () => {
  it('matmul / linear: input, weight and bias', () => {
    const n = 5, c = 6, oc = 7;
    const x = rand(n * c), w = rand(c * oc), b = rand(oc), r = rand(n * oc);
    const out = new Float64Array(n * oc);
    const loss = (): number => {
      linearForward(out, x, { buf: w, off: 0 }, { buf: b, off: 0 }, n, c, oc);
      return dot(out, r);
    };
    const dx = new Float64Array(n * c), dw = new Float64Array(c * oc), db = new Float64Array(oc);
    linearBackward(dx, { buf: dw, off: 0 }, { buf: db, off: 0 }, r, x, { buf: w, off: 0 }, n, c, oc);
    expect(gradError(x, dx, loss)).toBeLessThan(1e-7);
    expect(gradError(w, dw, loss)).toBeLessThan(1e-7);
    expect(gradError(b, db, loss)).toBeLessThan(1e-7);
  });

  it('matmul agrees with the naive triple loop, with offsets and accumulation', () => {
    const m = 9, k = 5, n = 11;
    const a = rand(3 + m * k), bm = rand(2 + k * n), c0 = rand(4 + m * n);
    const c = Float64Array.from(c0);
    matmul(c, a, bm, m, k, n, true, 4, 3, 2);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = c0[4 + i * n + j]!;
        for (let p = 0; p < k; p++) s += a[3 + i * k + p]! * bm[2 + p * n + j]!;
        expect(c[4 + i * n + j]).toBeCloseTo(s, 12);
      }
    }
    const t = new Float64Array(k * m);
    transpose(t, a, m, k, 0, 3);
    expect(t[2 * m + 1]).toBe(a[3 + 1 * k + 2]);
  });

  it('layernorm: input, gain and bias', () => {
    const n = 4, c = 8;
    const x = rand(n * c, 2), w = rand(c), b = rand(c), r = rand(n * c);
    const out = new Float64Array(n * c), mean = new Float64Array(n), rstd = new Float64Array(n);
    const loss = (): number => {
      layernormForward(out, mean, rstd, x, w, b, n, c, 1e-5);
      return dot(out, r);
    };
    loss();
    const dx = new Float64Array(n * c), dw = new Float64Array(c), db = new Float64Array(c);
    layernormBackward(dx, dw, db, r, x, w, mean, rstd, n, c);
    expect(gradError(x, dx, loss)).toBeLessThan(1e-6);
    expect(gradError(w, dw, loss)).toBeLessThan(1e-7);
    expect(gradError(b, db, loss)).toBeLessThan(1e-7);
  });

  it('GELU (tanh form)', () => {
    const n = 40;
    const x = rand(n, 2), r = rand(n);
    const out = new Float64Array(n), th = new Float64Array(n);
    const loss = (): number => {
      geluForward(out, th, x, n);
      return dot(out, r);
    };
    loss();
    const dx = new Float64Array(n);
    geluBackward(dx, x, th, r, n);
    for (let i = 0; i < n; i++) expect(th[i]).toBeCloseTo(Math.tanh(Math.sqrt(2 / Math.PI) * (x[i]! + 0.044715 * x[i]! ** 3)), 14);
    expect(gradError(x, dx, loss)).toBeLessThan(1e-7);
  });

  it('fastTanh (the float32 GELU path) stays within 3e-7 of Math.tanh', () => {
    let worst = 0;
    for (let x = -20; x <= 20; x += 1e-3) worst = Math.max(worst, Math.abs(fastTanh(x) - Math.tanh(x)));
    expect(worst).toBeLessThan(3e-7);
    expect(fastTanh(0)).toBe(0);
  });

  it('causal multi-head attention', () => {
    const b = 2, t = 5, c = 8, nh = 2;
    const qkv = rand(b * t * 3 * c), r = rand(b * t * c);
    const out = new Float64Array(b * t * c), att = new Float64Array(b * nh * t * t);
    const loss = (): number => {
      attentionForward(out, att, qkv, b, t, c, nh);
      return dot(out, r);
    };
    loss();
    const dqkv = new Float64Array(qkv.length);
    attentionBackward(dqkv, r, qkv, att, b, t, c, nh);
    expect(gradError(qkv, dqkv, loss)).toBeLessThan(1e-6);
    // causality: the first position's output depends only on itself
    const first = out.slice(0, c);
    qkv[(1 * 3 * c) + c] = qkv[(1 * 3 * c) + c]! + 5; // perturb the key of position 1
    loss();
    expect(Array.from(out.slice(0, c))).toEqual(Array.from(first));
  });

  it('softmax cross-entropy with a loss mask', () => {
    const n = 6, v = 7;
    const logits = rand(n * v, 3), work = new Float64Array(n * v), losses = new Float64Array(n);
    const targets = Int32Array.from([1, 0, 6, 3, 3, 2]);
    const weights = Float64Array.from([0.5, 0, 0.25, 0.25, 0, 1]);
    const loss = (): number => {
      work.set(logits);
      return softmaxCrossEntropyForward(work, losses, targets, weights, n, v);
    };
    loss();
    expect(losses[1]).toBe(0);
    const dlogits = new Float64Array(n * v);
    softmaxCrossEntropyBackward(dlogits, work, targets, weights, n, v);
    expect(gradError(logits, dlogits, loss)).toBeLessThan(1e-5);
    // masked rows get no gradient at all
    expect(Array.from(dlogits.slice(v, 2 * v)).every((g) => g === 0)).toBe(true);
  });

  it('token and position embedding', () => {
    const b = 2, t = 3, c = 4, v = 5;
    const tokens = Int32Array.from([1, 4, 1, 0, 2, 4]);
    const wte = rand(v * c), wpe = rand(t * c), r = rand(b * t * c);
    const out = new Float64Array(b * t * c);
    const loss = (): number => {
      encoderForward(out, tokens, wte, wpe, b * t, t, c);
      return dot(out, r);
    };
    const dwte = new Float64Array(v * c), dwpe = new Float64Array(t * c);
    encoderBackward(dwte, dwpe, r, tokens, b * t, t, c);
    expect(gradError(wte, dwte, loss)).toBeLessThan(1e-8);
    expect(gradError(wpe, dwpe, loss)).toBeLessThan(1e-8);
  });
});
