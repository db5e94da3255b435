// A small caption-conditioned denoiser: the built-in stand-in for SDXL/Flux. It sees a noisy image x_t, the
// noise level t and a caption, and predicts the clean image x0:
//
//   a1 = x_t @ W_in + b_in + time(t) @ W_t + b_t + bag(c) @ W_cap   bag(c) = word-bucket frequencies of the caption
//   h1 = GELU(a1);  h2 = GELU(h1 @ W_mid + b_mid) + h1;  x0_hat = h2 @ W_out + b_out
//
// Images are S×S RGB scaled to [−1, 1] and flattened (D = 3·S²). Noise follows a cosine (variance-preserving)
// schedule x_t = cos(πt/2)·x0 + sin(πt/2)·ε. Captions are bags of words hashed into `captionBuckets` buckets
// (bucket 0 is the empty caption), so the model conditions on colour/shape/position words and also learns an
// unconditional mode (training drops captions at a rate, as classifier-free training does). The caption enters
// through a linear layer (not an embedding lookup) so a LoRA can teach the model words the base never saw.
// LoRA adapters target the four projections; all weights use the (in, out) layout of gpt.ts.
import type { FloatArray } from '../kernels/matmul.ts';
import { matmul, transpose } from '../kernels/matmul.ts';
import { geluBackward, geluForward, linearBackward, linearForward } from '../kernels/ops.ts';
import { scratch } from '../kernels/scratch.ts';
import { Rng } from '../rng.ts';

export interface DenoiserConfig {
  imageSize: number;
  hidden: number;
  captionBuckets: number;
  timeFeatures: number;
}

export function denoiserConfig(partial: Partial<DenoiserConfig> = {}): DenoiserConfig {
  const cfg = { imageSize: 32, hidden: 256, captionBuckets: 1024, timeFeatures: 32, ...partial };
  for (const [k, v] of Object.entries(cfg)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`denoiser config.${k} must be a positive integer, got ${v}`);
  }
  if (cfg.timeFeatures % 2 !== 0) throw new Error('denoiser config.timeFeatures must be even');
  if (cfg.captionBuckets < 2) throw new Error('denoiser config.captionBuckets must be at least 2');
  return cfg;
}

export const DENOISER_MODULES = ['caption_proj', 'in_proj', 'mid_proj', 'out_proj'] as const;
export type DenoiserModule = (typeof DENOISER_MODULES)[number];

export interface DenoiserTensor {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  decay: boolean;
}

export function pixelsOf(cfg: DenoiserConfig): number {
  return 3 * cfg.imageSize * cfg.imageSize;
}

export function denoiserLayout(cfg: DenoiserConfig): { tensors: DenoiserTensor[]; size: number } {
  const d = pixelsOf(cfg), h = cfg.hidden;
  const tensors: DenoiserTensor[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], decay: boolean): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, size, decay });
    offset += size;
  };
  add('caption_proj.weight', [cfg.captionBuckets, h], true);
  add('time_proj.weight', [cfg.timeFeatures, h], true);
  add('time_proj.bias', [h], false);
  add('in_proj.weight', [d, h], true);
  add('in_proj.bias', [h], false);
  add('mid_proj.weight', [h, h], true);
  add('mid_proj.bias', [h], false);
  add('out_proj.weight', [h, d], true);
  add('out_proj.bias', [d], false);
  return { tensors, size: offset };
}

export function moduleDims(cfg: DenoiserConfig, m: DenoiserModule): [number, number] {
  const d = pixelsOf(cfg), h = cfg.hidden;
  return m === 'caption_proj' ? [cfg.captionBuckets, h] : m === 'in_proj' ? [d, h] : m === 'mid_proj' ? [h, h] : [h, d];
}

/** FNV-1a of a word → bucket 1..B−1; the empty caption is bucket 0. */
export function captionBuckets(caption: string, buckets: number): number[] {
  const words = caption.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  if (words.length === 0) return [0];
  return words.map((w) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193) >>> 0;
    return 1 + (h % (buckets - 1));
  });
}

/** Sinusoidal features of t ∈ [0, 1] at frequencies 1 … 1000 (geometric). */
export function timeFeatures(t: number, f: number, out: FloatArray, off: number): void {
  const half = f / 2;
  for (let k = 0; k < half; k++) {
    const freq = Math.exp((Math.log(1000) * k) / Math.max(1, half - 1));
    out[off + k] = Math.sin(t * freq);
    out[off + half + k] = Math.cos(t * freq);
  }
}

export const alphaOf = (t: number): number => Math.cos((Math.PI * t) / 2);
export const sigmaOf = (t: number): number => Math.sin((Math.PI * t) / 2);

export interface DenoiserLoraConfig {
  rank: number;
  alpha: number;
  targets: DenoiserModule[];
}

export interface DenoiserLora {
  config: DenoiserLoraConfig;
  scale: number;
  /** A (in, r) and B (r, out) offsets per module */
  slots: Map<DenoiserModule, { aOff: number; bOff: number; inDim: number; outDim: number }>;
  params: FloatArray;
  grads: FloatArray | null;
}

export function denoiserLoraLayout(cfg: DenoiserConfig, lc: DenoiserLoraConfig): { slots: DenoiserLora['slots']; size: number } {
  const slots: DenoiserLora['slots'] = new Map();
  let off = 0;
  for (const m of DENOISER_MODULES) {
    if (!lc.targets.includes(m)) continue;
    const [inDim, outDim] = moduleDims(cfg, m);
    slots.set(m, { aOff: off, bOff: off + inDim * lc.rank, inDim, outDim });
    off += (inDim + outDim) * lc.rank;
  }
  return { slots, size: off };
}

export function wrapDenoiserLora(cfg: DenoiserConfig, lc: DenoiserLoraConfig, params: FloatArray): DenoiserLora {
  if (!Number.isInteger(lc.rank) || lc.rank < 1) throw new Error(`lora rank must be a positive integer, got ${lc.rank}`);
  if (lc.targets.length === 0) throw new Error('lora targets must name at least one module');
  const { slots, size } = denoiserLoraLayout(cfg, lc);
  if (params.length !== size) throw new Error(`lora buffer has ${params.length} values, layout needs ${size}`);
  return { config: lc, scale: lc.alpha / lc.rank, slots, params, grads: null };
}

/** A uniform in ±1/√in, B zero: a fresh adapter leaves the model unchanged. */
export function createDenoiserLora(cfg: DenoiserConfig, lc: DenoiserLoraConfig, seed: number): DenoiserLora {
  const lora = wrapDenoiserLora(cfg, lc, new Float32Array(denoiserLoraLayout(cfg, lc).size));
  const rng = new Rng(seed);
  for (const s of lora.slots.values()) {
    const bound = 1 / Math.sqrt(s.inDim);
    for (let i = 0; i < s.inDim * lc.rank; i++) lora.params[s.aOff + i] = (rng.next() * 2 - 1) * bound;
  }
  return lora;
}

export function resolveDenoiserTargets(targets: readonly string[]): DenoiserModule[] {
  const out = new Set<DenoiserModule>();
  for (const t of targets) {
    if (t === 'all') DENOISER_MODULES.forEach((m) => out.add(m));
    else if ((DENOISER_MODULES as readonly string[]).includes(t)) out.add(t as DenoiserModule);
    else throw new Error(`unknown denoiser LoRA target "${t}" (use ${DENOISER_MODULES.join(', ')}, all)`);
  }
  return DENOISER_MODULES.filter((m) => out.has(m));
}

/** One denoising batch: noisy images, their noise levels and captions; x0 and weights only for training. */
export interface DenoiseBatch {
  n: number;
  /** (n, D) noisy images */
  xt: FloatArray;
  /** (n) noise levels in [0, 1] */
  t: Float64Array;
  captions: readonly string[];
  /** (n, D) clean targets; loss = Σ_rows weight_row · mean_pixels (out − x0)² */
  x0?: FloatArray;
  rowWeights?: Float64Array;
}

interface Acts {
  n: number;
  tf: FloatArray; bag: FloatArray; a1: FloatArray; th1: FloatArray; h1: FloatArray; a2: FloatArray; th2: FloatArray; g2: FloatArray;
  h2: FloatArray; out: FloatArray; dout: FloatArray; dh2: FloatArray; da2: FloatArray; dh1: FloatArray; da1: FloatArray;
  lora: Map<DenoiserModule, FloatArray>;
}

export class Denoiser {
  readonly config: DenoiserConfig;
  readonly tensors: DenoiserTensor[];
  readonly params: FloatArray;
  grads: FloatArray | null = null;
  private readonly offsets: Map<string, number>;
  private acts: Acts | null = null;
  private last: { batch: DenoiseBatch; lora: DenoiserLora | null } | null = null;

  constructor(config: DenoiserConfig, params?: FloatArray) {
    this.config = denoiserConfig(config);
    const { tensors, size } = denoiserLayout(this.config);
    this.tensors = tensors;
    this.params = params ?? new Float32Array(size);
    if (this.params.length !== size) throw new Error(`parameter buffer has ${this.params.length} values, layout needs ${size}`);
    this.offsets = new Map(tensors.map((t) => [t.name, t.offset]));
  }

  static init(config: DenoiserConfig, seed: number, floatType: 'float32' | 'float64' = 'float32'): Denoiser {
    const cfg = denoiserConfig(config);
    const size = denoiserLayout(cfg).size;
    const model = new Denoiser(cfg, floatType === 'float64' ? new Float64Array(size) : new Float32Array(size));
    const rng = new Rng(seed);
    for (const t of model.tensors) {
      if (t.name.endsWith('.bias')) continue;
      // the caption input is a frequency vector summing to 1, so its rows get unit-scale weights
      const std = t.name === 'caption_proj.weight' ? 1 : t.name === 'out_proj.weight' ? 0.5 / Math.sqrt(t.shape[0]!) : 1 / Math.sqrt(t.shape[0]!);
      for (let i = 0; i < t.size; i++) model.params[t.offset + i] = rng.normal() * std;
    }
    return model;
  }

  get floatType(): 'float32' | 'float64' {
    return this.params instanceof Float64Array ? 'float64' : 'float32';
  }

  alloc(n: number): FloatArray {
    return this.params instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  }

  offset(name: string): number {
    const o = this.offsets.get(name);
    if (o === undefined) throw new Error(`no tensor named ${name}`);
    return o;
  }

  zeroGrad(): void {
    if (!this.grads) this.grads = this.alloc(this.params.length);
    else this.grads.fill(0);
  }

  private activations(n: number): Acts {
    if (this.acts && this.acts.n === n) return this.acts;
    const d = pixelsOf(this.config), h = this.config.hidden, f = this.config.timeFeatures;
    const A = (k: number): FloatArray => this.alloc(k);
    this.acts = {
      n, tf: A(n * f), bag: A(n * this.config.captionBuckets), a1: A(n * h), th1: A(n * h), h1: A(n * h), a2: A(n * h), th2: A(n * h), g2: A(n * h), h2: A(n * h),
      out: A(n * d), dout: A(n * d), dh2: A(n * h), da2: A(n * h), dh1: A(n * h), da1: A(n * h), lora: new Map(),
    };
    return this.acts;
  }

  private biasSlice(m: DenoiserModule, buf: FloatArray): { buf: FloatArray; off: number } | null {
    const o = this.offsets.get(`${m}.bias`);
    return o === undefined ? null : { buf, off: o };
  }

  private linear(m: DenoiserModule, out: FloatArray, inp: FloatArray, n: number, lora: DenoiserLora | null, acts: Acts): void {
    const [c, oc] = moduleDims(this.config, m);
    linearForward(out, inp, { buf: this.params, off: this.offset(`${m}.weight`) }, this.biasSlice(m, this.params), n, c, oc);
    const slot = lora?.slots.get(m);
    if (!lora || !slot) return;
    const r = lora.config.rank;
    let su = acts.lora.get(m);
    if (!su || su.length !== n * r) {
      su = this.alloc(n * r);
      acts.lora.set(m, su);
    }
    matmul(su, inp, lora.params, n, c, r, false, 0, 0, slot.aOff);
    for (let i = 0; i < n * r; i++) su[i] = su[i]! * lora.scale;
    matmul(out, su, lora.params, n, r, oc, true, 0, 0, slot.bOff);
  }

  private linearBack(
    m: DenoiserModule, dinp: FloatArray | null, dout: FloatArray, inp: FloatArray, n: number, lora: DenoiserLora | null,
    acts: Acts, trainBase: boolean,
  ): void {
    const [c, oc] = moduleDims(this.config, m);
    const G = this.grads;
    linearBackward(dinp, trainBase && G ? { buf: G, off: this.offset(`${m}.weight`) } : null,
      trainBase && G ? this.biasSlice(m, G) : null, dout, inp,
      { buf: this.params, off: this.offset(`${m}.weight`) }, n, c, oc);
    const slot = lora?.slots.get(m);
    if (!lora || !slot) return;
    if (!lora.grads) throw new Error('adapter gradients are not allocated');
    const r = lora.config.rank;
    const su = acts.lora.get(m)!;
    const bT = scratch(30, oc * r, dout);
    transpose(bT, lora.params, r, oc, 0, slot.bOff);
    const g = scratch(31, n * r, dout);
    matmul(g, dout, bT, n, oc, r);
    for (let i = 0; i < n * r; i++) g[i] = g[i]! * lora.scale;
    const inpT = scratch(32, c * n, dout);
    transpose(inpT, inp, n, c);
    matmul(lora.grads, inpT, g, c, n, r, true, slot.aOff);
    const suT = scratch(33, r * n, dout);
    transpose(suT, su, n, r);
    matmul(lora.grads, suT, dout, r, n, oc, true, slot.bOff);
    if (dinp) {
      const aT = scratch(34, r * c, dout);
      transpose(aT, lora.params, c, r, 0, slot.aOff);
      matmul(dinp, g, aT, n, r, c, true);
    }
  }

  /** Predicts x0 for the batch; returns the weighted MSE when the batch has targets (else 0). */
  forward(batch: DenoiseBatch, lora: DenoiserLora | null = null): number {
    const { n } = batch;
    const d = pixelsOf(this.config), h = this.config.hidden, f = this.config.timeFeatures;
    if (batch.xt.length < n * d) throw new Error(`batch.xt holds ${batch.xt.length} values, ${n} images need ${n * d}`);
    const acts = this.activations(n);
    const P = this.params;
    for (let i = 0; i < n; i++) timeFeatures(batch.t[i]!, f, acts.tf, i * f);
    this.linear('in_proj', acts.a1, batch.xt, n, lora, acts);
    const tmp = scratch(35, n * h, acts.a1);
    linearForward(tmp, acts.tf, { buf: P, off: this.offset('time_proj.weight') }, { buf: P, off: this.offset('time_proj.bias') }, n, f, h);
    const nb = this.config.captionBuckets;
    const buckets = batch.captions.map((c) => captionBuckets(c, nb));
    acts.bag.fill(0);
    buckets.forEach((ids, i) => {
      for (const b of ids) acts.bag[i * nb + b] = acts.bag[i * nb + b]! + 1 / ids.length;
    });
    const cap = scratch(36, n * h, acts.a1);
    this.linear('caption_proj', cap, acts.bag, n, lora, acts);
    for (let i = 0; i < n * h; i++) acts.a1[i] = acts.a1[i]! + tmp[i]! + cap[i]!;
    geluForward(acts.h1, acts.th1, acts.a1, n * h);
    this.linear('mid_proj', acts.a2, acts.h1, n, lora, acts);
    geluForward(acts.g2, acts.th2, acts.a2, n * h);
    for (let i = 0; i < n * h; i++) acts.h2[i] = acts.g2[i]! + acts.h1[i]!;
    this.linear('out_proj', acts.out, acts.h2, n, lora, acts);
    this.last = { batch, lora };
    if (!batch.x0) return 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const w = (batch.rowWeights?.[i] ?? 1 / n) / d;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const e = acts.out[i * d + j]! - batch.x0[i * d + j]!;
        s += e * e;
      }
      loss += w * s;
    }
    return loss;
  }

  /** (n, D) predictions of the last forward. */
  output(): FloatArray {
    if (!this.acts) throw new Error('forward() first');
    return this.acts.out;
  }

  backward(opts: { trainBase: boolean } = { trainBase: true }): void {
    if (!this.last || !this.acts) throw new Error('forward() before backward()');
    const { batch, lora } = this.last;
    if (!batch.x0) throw new Error('backward() needs a batch with targets');
    if (opts.trainBase && !this.grads) this.zeroGrad();
    const acts = this.acts;
    const { n } = batch;
    const d = pixelsOf(this.config), h = this.config.hidden, f = this.config.timeFeatures;
    for (let i = 0; i < n; i++) {
      const w = (batch.rowWeights?.[i] ?? 1 / n) / d;
      for (let j = 0; j < d; j++) acts.dout[i * d + j] = 2 * w * (acts.out[i * d + j]! - batch.x0[i * d + j]!);
    }
    acts.dh2.fill(0);
    this.linearBack('out_proj', acts.dh2, acts.dout, acts.h2, n, lora, acts, opts.trainBase);
    // h2 = gelu(a2) + h1
    acts.da2.fill(0);
    geluBackward(acts.da2, acts.a2, acts.th2, acts.dh2, n * h);
    acts.dh1.set(acts.dh2);
    this.linearBack('mid_proj', acts.dh1, acts.da2, acts.h1, n, lora, acts, opts.trainBase);
    acts.da1.fill(0);
    geluBackward(acts.da1, acts.a1, acts.th1, acts.dh1, n * h);
    this.linearBack('in_proj', null, acts.da1, batch.xt, n, lora, acts, opts.trainBase);
    const G = this.grads;
    if (opts.trainBase && G) {
      linearBackward(null, { buf: G, off: this.offset('time_proj.weight') }, { buf: G, off: this.offset('time_proj.bias') },
        acts.da1, acts.tf, { buf: this.params, off: this.offset('time_proj.weight') }, n, f, h);
    }
    this.linearBack('caption_proj', null, acts.da1, acts.bag, n, lora, acts, opts.trainBase);
  }
}

/** Pixels 0–255 → [−1, 1]. */
export function toUnit(px: Uint8Array, out: FloatArray, off = 0): void {
  for (let i = 0; i < px.length; i++) out[off + i] = px[i]! / 127.5 - 1;
}

/** [−1, 1] → pixels 0–255, rounded and clamped (the 8-bit image production compares). */
export function toPixels(x: FloatArray, off: number, d: number): Uint8Array {
  const out = new Uint8Array(d);
  for (let i = 0; i < d; i++) out[i] = Math.max(0, Math.min(255, Math.round((x[off + i]! + 1) * 127.5)));
  return out;
}
