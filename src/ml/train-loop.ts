// The pieces every built-in trainer (SFT, DPO, GRPO, the image denoiser) shares: which buffer is trained (a
// LoRA adapter over a frozen base, or the model's own weights), AdamW with the warm-up + cosine schedule, the
// backward → clip → update step, and the shuffled epoch sampler. Kept in one place so the trainers cannot drift
// apart; none of it draws from the RNG except the sampler, whose draws happen exactly where the trainers'
// hand-written loops used to make them (seeded runs depend on that order).
import type { FloatArray } from './kernels/matmul.ts';
import { AdamW, clipGradNorm, learningRate } from './optim.ts';
import type { Schedule } from './optim.ts';
import type { Rng } from './rng.ts';

/** What the trainers need from a model (Gpt and Denoiser both fit). */
export interface TrainableModel {
  readonly params: FloatArray;
  readonly tensors: readonly { offset: number; size: number; decay: boolean }[];
  grads: FloatArray | null;
  alloc(n: number): FloatArray;
  zeroGrad(): void;
  backward(opts: { trainBase: boolean }): void;
}

/** A LoRA adapter of either model family: its own parameter and gradient buffers. */
export interface TrainableAdapter {
  params: FloatArray;
  grads: FloatArray | null;
}

export interface OptimOptions {
  steps: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  /** max global gradient norm; 0 disables clipping */
  gradClip: number;
}

export interface Trainable {
  /** the buffer being optimised: the adapter's params under LoRA, else the model's */
  params: FloatArray;
  optim: AdamW;
  schedule: Schedule;
  /**
   * Backward of the model's last forward into the trained buffer's gradients (zeroed first), clipping, and one
   * AdamW update at the schedule's rate for `step`. Returns the pre-clip gradient norm and the rate used.
   */
  backwardAndUpdate(step: number): { gradNorm: number; lr: number };
}

export function trainableSetup(model: TrainableModel, adapter: TrainableAdapter | null, opts: OptimOptions): Trainable {
  const params = adapter ? adapter.params : model.params;
  // full training decays only the tensors marked for it (matrices); an adapter's factors all decay
  let decayMask: Uint8Array | null = null;
  if (!adapter) {
    decayMask = new Uint8Array(model.params.length);
    for (const spec of model.tensors) if (spec.decay) decayMask.fill(1, spec.offset, spec.offset + spec.size);
  }
  const optim = new AdamW(params.length, { lr: opts.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: opts.weightDecay }, decayMask);
  const schedule: Schedule = { lr: opts.lr, warmupSteps: opts.warmupSteps, totalSteps: opts.steps, minLrRatio: opts.minLrRatio };
  const backwardAndUpdate = (step: number): { gradNorm: number; lr: number } => {
    let grads: FloatArray;
    if (adapter) {
      if (!adapter.grads) adapter.grads = model.alloc(adapter.params.length);
      else adapter.grads.fill(0);
      model.backward({ trainBase: false });
      grads = adapter.grads;
    } else {
      model.zeroGrad();
      model.backward({ trainBase: true });
      grads = model.grads!;
    }
    const gradNorm = clipGradNorm(grads, opts.gradClip);
    const lr = learningRate(schedule, step);
    optim.update(params, grads, lr);
    return { gradNorm, lr };
  };
  return { params, optim, schedule, backwardAndUpdate };
}

/**
 * Indices 0..count−1 in shuffled epochs: one shuffle when built, another each time the epoch runs out (only
 * then, and only when the next index is asked for), so the RNG draws interleave with the caller's own draws
 * exactly as a hand-written cursor loop would.
 */
export class BatchSampler {
  private readonly order: number[];
  private cursor = 0;

  constructor(private readonly rng: Rng, count: number) {
    if (!Number.isInteger(count) || count <= 0) throw new Error(`a sampler needs at least one item, got ${count}`);
    this.order = rng.shuffle([...Array(count).keys()]);
  }

  nextIndex(): number {
    if (this.cursor === this.order.length) {
      this.rng.shuffle(this.order);
      this.cursor = 0;
    }
    return this.order[this.cursor++]!;
  }

  next(batchSize: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < batchSize; i++) out.push(this.nextIndex());
    return out;
  }
}
