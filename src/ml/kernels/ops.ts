// Layer kernels of the transformer, each an explicit forward and backward over flat arrays (llm.c style).
// Conventions: N = B·T rows; activations are row-major (N, C); weights use the Hugging Face GPT-2 Conv1D
// layout (in, out), so a linear layer is out = inp @ W + b. Backward functions ACCUMULATE into gradient
// buffers (+=), so a buffer read by several consumers (the residual stream) collects all contributions;
// callers zero gradients before a step.
import { matmul, transpose } from './matmul.ts';
import type { FloatArray } from './matmul.ts';
import { scratch } from './scratch.ts';

// ---------------------------------------------------------------- embedding

/** out(N,C) = wte[tokens[n]] + wpe[n % T]; tokens is (B,T) flattened. */
export function encoderForward(
  out: FloatArray, tokens: Int32Array, wte: FloatArray, wpe: FloatArray, bt: number, t: number, c: number,
): void {
  for (let n = 0; n < bt; n++) {
    const tok = tokens[n]!;
    const pos = n % t;
    const o = n * c, we = tok * c, pe = pos * c;
    for (let i = 0; i < c; i++) out[o + i] = wte[we + i]! + wpe[pe + i]!;
  }
}

export function encoderBackward(
  dwte: FloatArray | null, dwpe: FloatArray | null, dout: FloatArray, tokens: Int32Array,
  bt: number, t: number, c: number,
): void {
  for (let n = 0; n < bt; n++) {
    const o = n * c;
    if (dwte) {
      const we = tokens[n]! * c;
      for (let i = 0; i < c; i++) dwte[we + i] = dwte[we + i]! + dout[o + i]!;
    }
    if (dwpe) {
      const pe = (n % t) * c;
      for (let i = 0; i < c; i++) dwpe[pe + i] = dwpe[pe + i]! + dout[o + i]!;
    }
  }
}

// ---------------------------------------------------------------- layer norm

/** out(N,C) = (inp - mean) * rstd * weight + bias; mean, rstd (N) are kept for backward. */
export function layernormForward(
  out: FloatArray, mean: FloatArray, rstd: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray,
  n: number, c: number, eps: number, wOff = 0, bOff = 0,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * c;
    let m = 0;
    for (let i = 0; i < c; i++) m += inp[o + i]!;
    m /= c;
    let v = 0;
    for (let i = 0; i < c; i++) {
      const d = inp[o + i]! - m;
      v += d * d;
    }
    v /= c;
    const s = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < c; i++) out[o + i] = (inp[o + i]! - m) * s * weight[wOff + i]! + bias[bOff + i]!;
    mean[r] = m;
    rstd[r] = s;
  }
}

export function layernormBackward(
  dinp: FloatArray, dweight: FloatArray | null, dbias: FloatArray | null, dout: FloatArray, inp: FloatArray,
  weight: FloatArray, mean: FloatArray, rstd: FloatArray, n: number, c: number, wOff = 0, bOff = 0,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const m = mean[r]!, s = rstd[r]!;
    // dnorm = dout * weight; dinp = s * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
    let dnormMean = 0, dnormNormMean = 0;
    for (let i = 0; i < c; i++) {
      const norm = (inp[o + i]! - m) * s;
      const dnorm = weight[wOff + i]! * dout[o + i]!;
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= c;
    dnormNormMean /= c;
    for (let i = 0; i < c; i++) {
      const norm = (inp[o + i]! - m) * s;
      const d = dout[o + i]!;
      if (dbias) dbias[bOff + i] = dbias[bOff + i]! + d;
      if (dweight) dweight[wOff + i] = dweight[wOff + i]! + norm * d;
      const dnorm = weight[wOff + i]! * d;
      dinp[o + i] = dinp[o + i]! + (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

// ---------------------------------------------------------------- linear

export interface Slice {
  /** The buffer holding the tensor and the tensor's first element in it (one buffer per model). */
  buf: FloatArray;
  off: number;
}

/** out(N,OC) = inp(N,C) @ w(C,OC) + bias(OC). */
export function linearForward(
  out: FloatArray, inp: FloatArray, w: Slice, bias: Slice | null, n: number, c: number, oc: number,
): void {
  matmul(out, inp, w.buf, n, c, oc, false, 0, 0, w.off);
  if (bias) {
    const b = bias.buf, bo = bias.off;
    for (let r = 0; r < n; r++) {
      const o = r * oc;
      for (let j = 0; j < oc; j++) out[o + j] = out[o + j]! + b[bo + j]!;
    }
  }
}

/**
 * dinp(N,C) += dout(N,OC) @ wᵀ(OC,C); dw(C,OC) += inpᵀ(C,N) @ dout(N,OC); dbias(OC) += Σ_rows dout.
 * Null gradient slices are skipped (frozen weights under LoRA still pass gradients to their input).
 */
export function linearBackward(
  dinp: FloatArray | null, dw: Slice | null, dbias: Slice | null, dout: FloatArray, inp: FloatArray, w: Slice,
  n: number, c: number, oc: number,
): void {
  if (dinp) {
    const wt = scratch(0, oc * c, dout);
    transpose(wt, w.buf, c, oc, 0, w.off);
    matmul(dinp, dout, wt, n, oc, c, true);
  }
  if (dw) {
    const inpT = scratch(1, c * n, dout);
    transpose(inpT, inp, n, c);
    matmul(dw.buf, inpT, dout, c, n, oc, true, dw.off);
  }
  if (dbias) {
    const db = dbias.buf, bo = dbias.off;
    for (let r = 0; r < n; r++) {
      const o = r * oc;
      for (let j = 0; j < oc; j++) db[bo + j] = db[bo + j]! + dout[o + j]!;
    }
  }
}

// ---------------------------------------------------------------- GELU (tanh approximation, GPT-2 "gelu_new")

const GELU_K = Math.sqrt(2 / Math.PI);

/**
 * tanh by a [13/6] rational minimax approximation (the one Eigen uses for float): within 3e-7 of Math.tanh
 * everywhere, float32's own precision, and several times cheaper than Math.tanh or Math.exp in V8.
 */
export function fastTanh(x: number): number {
  const lim = 7.90531110763549805;
  const v = x > lim ? lim : x < -lim ? -lim : x;
  const v2 = v * v;
  let p = v2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = v2 * p - 8.60467152213735e-11;
  p = v2 * p + 5.12229709037114e-8;
  p = v2 * p + 1.48572235717979e-5;
  p = v2 * p + 6.37261928875436e-4;
  p = v2 * p + 4.89352455891786e-3;
  let q = v2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = v2 * q + 2.268434632439e-3;
  q = v2 * q + 4.89352518554385e-3;
  return (v * p) / q;
}

/**
 * out = 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³). tanh(u) is kept in `th` so backward needs no
 * transcendental. Float32 runs use fastTanh; float64 (gradient checks) uses Math.tanh.
 */
export function geluForward(out: FloatArray, th: FloatArray, inp: FloatArray, n: number): void {
  const exact = inp instanceof Float64Array;
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    const u = GELU_K * (x + 0.044715 * x * x * x);
    const t = exact ? Math.tanh(u) : fastTanh(u);
    th[i] = t;
    out[i] = 0.5 * x * (1 + t);
  }
}

export function geluBackward(dinp: FloatArray, inp: FloatArray, th: FloatArray, dout: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    const t = th[i]!;
    const grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * 0.044715 * x * x);
    dinp[i] = dinp[i]! + grad * dout[i]!;
  }
}

// ---------------------------------------------------------------- residual

export function residualForward(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

/** The gradient of a sum flows unchanged to both inputs. */
export function residualBackward(da: FloatArray, db: FloatArray, dout: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const d = dout[i]!;
    da[i] = da[i]! + d;
    db[i] = db[i]! + d;
  }
}

// ---------------------------------------------------------------- causal self-attention

/**
 * qkv is (B,T,3C) = [q | k | v] per row, heads are contiguous slices of width hs = C/NH.
 * att (B,NH,T,T) keeps the softmax probabilities (zero above the diagonal) for backward; out is (B,T,C).
 * Each head is three explicit matmuls: pre = q @ kᵀ / √hs, softmax with the causal mask, out = att @ v.
 */
export function attentionForward(
  out: FloatArray, att: FloatArray, qkv: FloatArray, b: number, t: number, c: number, nh: number,
): void {
  const hs = c / nh;
  const scale = 1 / Math.sqrt(hs);
  const q = scratch(2, t * hs, qkv), kT = scratch(3, hs * t, qkv), v = scratch(4, t * hs, qkv);
  const y = scratch(5, t * hs, qkv);
  for (let bi = 0; bi < b; bi++) {
    for (let h = 0; h < nh; h++) {
      gatherHead(q, kT, v, qkv, bi, h, t, c, hs);
      const aOff = (bi * nh + h) * t * t;
      matmul(att, q, kT, t, hs, t, false, aOff);
      for (let i = 0; i < t; i++) {
        const row = aOff + i * t;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          const s = att[row + j]! * scale;
          att[row + j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(att[row + j]! - max);
          att[row + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j <= i; j++) att[row + j] = att[row + j]! * inv;
        for (let j = i + 1; j < t; j++) att[row + j] = 0;
      }
      matmul(y, att, v, t, t, hs, false, 0, aOff);
      for (let i = 0; i < t; i++) {
        const o = (bi * t + i) * c + h * hs;
        for (let d = 0; d < hs; d++) out[o + d] = y[i * hs + d]!;
      }
    }
  }
}

/** q (T,hs), kᵀ (hs,T), v (T,hs) of head h in batch row bi. */
function gatherHead(
  q: FloatArray, kT: FloatArray, v: FloatArray, qkv: FloatArray, bi: number, h: number, t: number, c: number, hs: number,
): void {
  for (let i = 0; i < t; i++) {
    const base = (bi * t + i) * 3 * c + h * hs;
    for (let d = 0; d < hs; d++) {
      q[i * hs + d] = qkv[base + d]!;
      kT[d * t + i] = qkv[base + c + d]!;
      v[i * hs + d] = qkv[base + 2 * c + d]!;
    }
  }
}

export function attentionBackward(
  dqkv: FloatArray, dout: FloatArray, qkv: FloatArray, att: FloatArray, b: number, t: number, c: number, nh: number,
): void {
  const hs = c / nh;
  const scale = 1 / Math.sqrt(hs);
  const q = scratch(2, t * hs, qkv), kT = scratch(3, hs * t, qkv), v = scratch(4, t * hs, qkv);
  const dy = scratch(5, t * hs, qkv), vT = scratch(6, hs * t, qkv), datt = scratch(7, t * t, qkv);
  const attT = scratch(8, t * t, qkv), dq = scratch(9, t * hs, qkv), dk = scratch(10, t * hs, qkv);
  const dv = scratch(11, t * hs, qkv), k = scratch(12, t * hs, qkv), dpreT = scratch(13, t * t, qkv);
  for (let bi = 0; bi < b; bi++) {
    for (let h = 0; h < nh; h++) {
      gatherHead(q, kT, v, qkv, bi, h, t, c, hs);
      transpose(k, kT, hs, t);
      transpose(vT, v, t, hs);
      for (let i = 0; i < t; i++) {
        const o = (bi * t + i) * c + h * hs;
        for (let d = 0; d < hs; d++) dy[i * hs + d] = dout[o + d]!;
      }
      const aOff = (bi * nh + h) * t * t;
      // y = att @ v: datt = dy @ vᵀ, dv = attᵀ @ dy
      matmul(datt, dy, vT, t, hs, t);
      transpose(attT, att, t, t, 0, aOff);
      matmul(dv, attT, dy, t, t, hs);
      // softmax backward within the causal row, then the 1/√hs scale: dpre = att ⊙ (datt − Σ att·datt) · scale
      for (let i = 0; i < t; i++) {
        const row = aOff + i * t, drow = i * t;
        let dot = 0;
        for (let j = 0; j <= i; j++) dot += att[row + j]! * datt[drow + j]!;
        for (let j = 0; j <= i; j++) datt[drow + j] = att[row + j]! * (datt[drow + j]! - dot) * scale;
        for (let j = i + 1; j < t; j++) datt[drow + j] = 0;
      }
      // pre = q @ kᵀ: dq = dpre @ k, dk = dpreᵀ @ q
      matmul(dq, datt, k, t, t, hs);
      transpose(dpreT, datt, t, t);
      matmul(dk, dpreT, q, t, t, hs);
      for (let i = 0; i < t; i++) {
        const base = (bi * t + i) * 3 * c + h * hs;
        for (let d = 0; d < hs; d++) {
          dqkv[base + d] = dqkv[base + d]! + dq[i * hs + d]!;
          dqkv[base + c + d] = dqkv[base + c + d]! + dk[i * hs + d]!;
          dqkv[base + 2 * c + d] = dqkv[base + 2 * c + d]! + dv[i * hs + d]!;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- softmax cross-entropy with per-token weights

/**
 * logits (N,V) are replaced by probabilities. Returns Σ_n weight[n] · −log p(target[n]); tokens with weight 0
 * (prompt, padding) add nothing. losses[n] receives each token's unweighted loss (0 where weight is 0).
 * The weights carry the averaging: 1/(masked tokens) for a token mean, 1/(rows · row tokens) for the
 * production row mean.
 */
export function softmaxCrossEntropyForward(
  logits: FloatArray, losses: FloatArray, targets: Int32Array, weights: FloatArray, n: number, v: number,
): number {
  let total = 0;
  for (let r = 0; r < n; r++) {
    const o = r * v;
    const zt = logits[o + targets[r]!]!;
    let max = -Infinity;
    for (let j = 0; j < v; j++) if (logits[o + j]! > max) max = logits[o + j]!;
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const e = Math.exp(logits[o + j]! - max);
      logits[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < v; j++) logits[o + j] = logits[o + j]! * inv;
    const w = weights[r]!;
    if (w !== 0) {
      // log-sum-exp form keeps the loss exact even when the probability underflows float32
      const l = Math.log(sum) + max - zt;
      losses[r] = l;
      total += w * l;
    } else {
      losses[r] = 0;
    }
  }
  return total;
}

/** dlogits(N,V) = weight · (probs − onehot(target)); written, not accumulated. */
export function softmaxCrossEntropyBackward(
  dlogits: FloatArray, probs: FloatArray, targets: Int32Array, weights: FloatArray, n: number, v: number,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * v;
    const w = weights[r]!;
    if (w === 0) {
      dlogits.fill(0, o, o + v);
      continue;
    }
    for (let j = 0; j < v; j++) dlogits[o + j] = w * probs[o + j]!;
    const tgt = o + targets[r]!;
    dlogits[tgt] = dlogits[tgt]! - w;
  }
}
