// AdamW with decoupled weight decay, a linear warm-up + cosine learning-rate schedule, and gradient
// clipping by global norm. State (m, v) mirrors the parameter buffer it optimises.
import type { FloatArray } from './kernels/matmul.ts';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  /** `decayMask[i]` = 1 where weight decay applies (matrices), 0 elsewhere; null = decay everything. */
  constructor(readonly size: number, readonly config: AdamWConfig, readonly decayMask: Uint8Array | null = null) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update with learning rate `lr` (the schedule's value for this step). */
  update(params: FloatArray, grads: FloatArray, lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    const m = this.m, v = this.v, mask = this.decayMask;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * g;
      const vi = beta2 * v[i]! + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const p = params[i]!;
      const decay = mask === null || mask[i] === 1 ? weightDecay * p : 0;
      params[i] = p - lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + decay);
    }
  }
}

export interface Schedule {
  /** peak learning rate */
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** final learning rate as a fraction of the peak */
  minLrRatio: number;
}

/** Linear warm-up from lr/warmup to lr, then cosine decay to lr·minLrRatio at totalSteps. `step` counts from 0. */
export function learningRate(s: Schedule, step: number): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  const minLr = s.lr * s.minLrRatio;
  return minLr + 0.5 * (s.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** Scales grads so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: FloatArray, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sq);
  if (maxNorm > 0 && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * s;
  }
  return norm;
}
