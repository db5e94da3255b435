// A decoder-only transformer (GPT-2 architecture), readable top to bottom: one parameter buffer, one
// activation set per batch shape, an explicit forward and backward that call the layer kernels in ops.ts.
//
// Architecture: learned token and position embeddings; `depth` pre-LayerNorm blocks of causal multi-head
// self-attention and a GELU (tanh) MLP of width 4C; a final LayerNorm; the output head is TIED to the token
// embedding (logits = ln_f(x) @ wteᵀ), as in GPT-2, which keeps small models small (the head would otherwise
// be V·C parameters) and matches HF checkpoints that omit lm_head.weight. No dropout, so training is
// deterministic. Tensor names are HF GPT2LMHeadModel's (`transformer.h.0.attn.c_attn.weight` …) with its
// Conv1D (in, out) weight layout.
import type { GptConfig } from './config.ts';
import { validateGptConfig } from './config.ts';
import { Rng } from './rng.ts';
import type { FloatArray } from './kernels/matmul.ts';
import { matmul, transpose } from './kernels/matmul.ts';
import { scratch } from './kernels/scratch.ts';
import {
  attentionBackward, attentionForward, encoderBackward, encoderForward, geluBackward, geluForward,
  layernormBackward, layernormForward, linearBackward, linearForward, residualForward,
  softmaxCrossEntropyBackward, softmaxCrossEntropyForward,
} from './kernels/ops.ts';
import type { Slice } from './kernels/ops.ts';
import type { LoraAdapter, LoraModule } from './lora.ts';

export type FloatType = 'float32' | 'float64';

export interface TensorSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  /** weight decay applies to matrices, not to biases, LayerNorm gains or embeddings' … (GPT-2 practice) */
  decay: boolean;
}

/** The order and shapes of every parameter in the one buffer. */
export function gptLayout(cfg: GptConfig): { tensors: TensorSpec[]; size: number } {
  const { vocabSize: v, contextLength: t, width: c, depth } = cfg;
  const tensors: TensorSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], decay: boolean): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, size, decay });
    offset += size;
  };
  add('transformer.wte.weight', [v, c], true);
  add('transformer.wpe.weight', [t, c], true);
  for (let l = 0; l < depth; l++) {
    const p = `transformer.h.${l}`;
    add(`${p}.ln_1.weight`, [c], false);
    add(`${p}.ln_1.bias`, [c], false);
    add(`${p}.attn.c_attn.weight`, [c, 3 * c], true);
    add(`${p}.attn.c_attn.bias`, [3 * c], false);
    add(`${p}.attn.c_proj.weight`, [c, c], true);
    add(`${p}.attn.c_proj.bias`, [c], false);
    add(`${p}.ln_2.weight`, [c], false);
    add(`${p}.ln_2.bias`, [c], false);
    add(`${p}.mlp.c_fc.weight`, [c, 4 * c], true);
    add(`${p}.mlp.c_fc.bias`, [4 * c], false);
    add(`${p}.mlp.c_proj.weight`, [4 * c, c], true);
    add(`${p}.mlp.c_proj.bias`, [c], false);
  }
  add('transformer.ln_f.weight', [c], false);
  add('transformer.ln_f.bias', [c], false);
  return { tensors, size: offset };
}

/** Parameters as the original counts them (`sum(p.numel())` over unique tensors: the tied head counts once). */
export function modelParamsCount(cfg: GptConfig): number {
  return gptLayout(cfg).size;
}

/** A batch of B rows of T tokens: targets are the next tokens, weights carry the loss mask and averaging. */
export interface Batch {
  b: number;
  t: number;
  tokens: Int32Array;
  targets: Int32Array;
  weights: FloatArray;
}

interface LayerActs {
  ln1: FloatArray; ln1Mean: FloatArray; ln1Rstd: FloatArray;
  qkv: FloatArray; atty: FloatArray; att: FloatArray; attproj: FloatArray; res2: FloatArray;
  ln2: FloatArray; ln2Mean: FloatArray; ln2Rstd: FloatArray;
  fch: FloatArray; fchTanh: FloatArray; fchGelu: FloatArray; fcproj: FloatArray; res3: FloatArray;
  /** scale · (x @ A) per LoRA slot of this layer, kept for backward */
  lora: Map<LoraModule, FloatArray>;
}

interface Acts {
  b: number;
  t: number;
  encoded: FloatArray;
  layers: LayerActs[];
  lnf: FloatArray; lnfMean: FloatArray; lnfRstd: FloatArray;
  logits: FloatArray;
  losses: FloatArray;
  // gradients of activations, shared by all layers
  dres: FloatArray; dln: FloatArray; dqkv: FloatArray; datty: FloatArray; dfch: FloatArray; dfchGelu: FloatArray;
  dlogits: FloatArray;
}

export interface BackwardOptions {
  /** compute gradients of the base weights (full fine-tuning); false under LoRA */
  trainBase: boolean;
}

export class Gpt {
  readonly config: GptConfig;
  readonly tensors: TensorSpec[];
  readonly params: FloatArray;
  grads: FloatArray | null = null;
  readonly floatType: FloatType;
  private readonly offsets: Map<string, number>;
  private acts: Acts | null = null;
  private last: { batch: Batch; lora: LoraAdapter | null } | null = null;

  constructor(config: GptConfig, params?: FloatArray, floatType: FloatType = 'float32') {
    this.config = validateGptConfig(config);
    const { tensors, size } = gptLayout(config);
    this.tensors = tensors;
    this.floatType = params instanceof Float64Array ? 'float64' : params instanceof Float32Array ? 'float32' : floatType;
    this.params = params ?? this.alloc(size);
    if (this.params.length !== size) throw new Error(`parameter buffer has ${this.params.length} values, layout needs ${size}`);
    this.offsets = new Map(tensors.map((t) => [t.name, t.offset]));
  }

  /** GPT-2 initialisation: N(0, 0.02) weights, residual projections scaled by 1/√(2·depth), zero biases, unit LN gains. */
  static init(config: GptConfig, seed: number, floatType: FloatType = 'float32'): Gpt {
    const model = new Gpt(config, undefined, floatType);
    const rng = new Rng(seed);
    const projStd = 0.02 / Math.sqrt(2 * config.depth);
    for (const t of model.tensors) {
      const p = model.params;
      if (t.name.endsWith('ln_1.weight') || t.name.endsWith('ln_2.weight') || t.name.endsWith('ln_f.weight')) {
        p.fill(1, t.offset, t.offset + t.size);
      } else if (t.name.endsWith('.bias')) {
        p.fill(0, t.offset, t.offset + t.size);
      } else {
        const std = t.name.endsWith('c_proj.weight') ? projStd : 0.02;
        for (let i = 0; i < t.size; i++) p[t.offset + i] = rng.normal() * std;
      }
    }
    return model;
  }

  alloc(n: number): FloatArray {
    return this.floatType === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  offset(name: string): number {
    const o = this.offsets.get(name);
    if (o === undefined) throw new Error(`no tensor named ${name}`);
    return o;
  }

  tensor(name: string): FloatArray {
    const spec = this.tensors.find((t) => t.name === name);
    if (!spec) throw new Error(`no tensor named ${name}`);
    return this.params.subarray(spec.offset, spec.offset + spec.size);
  }

  weightOffset(layer: number, module: LoraModule): number {
    return this.offset(`transformer.h.${layer}.${module}.weight`);
  }

  zeroGrad(): void {
    if (!this.grads) this.grads = this.alloc(this.params.length);
    else this.grads.fill(0);
  }

  private activations(b: number, t: number): Acts {
    if (this.acts && this.acts.b === b && this.acts.t === t) return this.acts;
    const { width: c, heads: nh, depth, vocabSize: v } = this.config;
    const n = b * t;
    const A = (k: number): FloatArray => this.alloc(k);
    const layers: LayerActs[] = [];
    for (let l = 0; l < depth; l++) {
      layers.push({
        ln1: A(n * c), ln1Mean: A(n), ln1Rstd: A(n), qkv: A(n * 3 * c), atty: A(n * c), att: A(b * nh * t * t),
        attproj: A(n * c), res2: A(n * c), ln2: A(n * c), ln2Mean: A(n), ln2Rstd: A(n), fch: A(n * 4 * c),
        fchTanh: A(n * 4 * c), fchGelu: A(n * 4 * c), fcproj: A(n * c), res3: A(n * c), lora: new Map(),
      });
    }
    this.acts = {
      b, t, encoded: A(n * c), layers, lnf: A(n * c), lnfMean: A(n), lnfRstd: A(n), logits: A(n * v), losses: A(n),
      dres: A(n * c), dln: A(n * c), dqkv: A(n * 3 * c), datty: A(n * c), dfch: A(n * 4 * c), dfchGelu: A(n * 4 * c),
      dlogits: A(n * v),
    };
    return this.acts;
  }

  private slice(name: string): Slice {
    return { buf: this.params, off: this.offset(name) };
  }

  private gslice(name: string): Slice {
    if (!this.grads) throw new Error('zeroGrad() before backward()');
    return { buf: this.grads, off: this.offset(name) };
  }

  /** One linear layer of block `layer`, with its LoRA update when the adapter targets it. */
  private linear(
    layer: number, module: LoraModule, out: FloatArray, inp: FloatArray, n: number, c: number, oc: number,
    lora: LoraAdapter | null, acts: LayerActs,
  ): void {
    const p = `transformer.h.${layer}.${module}`;
    linearForward(out, inp, this.slice(`${p}.weight`), this.slice(`${p}.bias`), n, c, oc);
    const slot = lora?.index.get(`${layer}:${module}`);
    if (!lora || !slot) return;
    const r = lora.config.rank;
    // su(N,r) = scale · inp @ A; out += su @ B
    let su = acts.lora.get(module);
    if (!su || su.length !== n * r) {
      su = this.alloc(n * r);
      acts.lora.set(module, su);
    }
    matmul(su, inp, lora.params, n, c, r, false, 0, 0, slot.aOff);
    for (let i = 0; i < n * r; i++) su[i] = su[i]! * lora.scale;
    matmul(out, su, lora.params, n, r, oc, true, 0, 0, slot.bOff);
  }

  private linearBack(
    layer: number, module: LoraModule, dinp: FloatArray, dout: FloatArray, inp: FloatArray, n: number, c: number,
    oc: number, lora: LoraAdapter | null, acts: LayerActs, opts: BackwardOptions,
  ): void {
    const p = `transformer.h.${layer}.${module}`;
    const w = this.slice(`${p}.weight`);
    linearBackward(dinp, opts.trainBase ? this.gslice(`${p}.weight`) : null,
      opts.trainBase ? this.gslice(`${p}.bias`) : null, dout, inp, w, n, c, oc);
    const slot = lora?.index.get(`${layer}:${module}`);
    if (!lora || !slot) return;
    if (!lora.grads) throw new Error('adapter gradients are not allocated');
    const r = lora.config.rank;
    const su = acts.lora.get(module)!;
    // g(N,r) = scale · dout @ Bᵀ;  dA(C,r) += inpᵀ @ g;  dB(r,OC) += suᵀ @ dout;  dinp += g @ Aᵀ
    const bT = scratch(14, oc * r, dout);
    transpose(bT, lora.params, r, oc, 0, slot.bOff);
    const g = scratch(15, n * r, dout);
    matmul(g, dout, bT, n, oc, r);
    for (let i = 0; i < n * r; i++) g[i] = g[i]! * lora.scale;
    const inpT = scratch(16, c * n, dout);
    transpose(inpT, inp, n, c);
    matmul(lora.grads, inpT, g, c, n, r, true, slot.aOff);
    const suT = scratch(17, r * n, dout);
    transpose(suT, su, n, r);
    matmul(lora.grads, suT, dout, r, n, oc, true, slot.bOff);
    const aT = scratch(18, r * c, dout);
    transpose(aT, lora.params, c, r, 0, slot.aOff);
    matmul(dinp, g, aT, n, r, c, true);
  }

  /**
   * Runs the model on a batch and returns Σ weight·loss. Activations are kept for backward().
   * After the call, `probs()` holds the next-token distribution for every position.
   */
  forward(batch: Batch, lora: LoraAdapter | null = null): number {
    const { b, t } = batch;
    const { width: c, heads: nh, vocabSize: v, layerNormEps: eps, contextLength } = this.config;
    if (t > contextLength) throw new Error(`sequence length ${t} exceeds the context length ${contextLength}`);
    const n = b * t;
    const acts = this.activations(b, t);
    const P = this.params;
    for (let i = 0; i < n; i++) {
      const tok = batch.tokens[i]!;
      if (tok < 0 || tok >= v) throw new Error(`token id ${tok} at position ${i} is outside the vocabulary (${v})`);
    }
    // encoded (N,C)
    encoderForward(acts.encoded, batch.tokens, P.subarray(this.offset('transformer.wte.weight')),
      P.subarray(this.offset('transformer.wpe.weight')), n, t, c);
    let residual = acts.encoded;
    for (let l = 0; l < this.config.depth; l++) {
      const L = acts.layers[l]!;
      const p = `transformer.h.${l}`;
      layernormForward(L.ln1, L.ln1Mean, L.ln1Rstd, residual, P, P, n, c, eps,
        this.offset(`${p}.ln_1.weight`), this.offset(`${p}.ln_1.bias`));
      this.linear(l, 'attn.c_attn', L.qkv, L.ln1, n, c, 3 * c, lora, L); // qkv (N,3C)
      attentionForward(L.atty, L.att, L.qkv, b, t, c, nh); // atty (N,C), att (B,NH,T,T)
      this.linear(l, 'attn.c_proj', L.attproj, L.atty, n, c, c, lora, L);
      residualForward(L.res2, residual, L.attproj, n * c);
      layernormForward(L.ln2, L.ln2Mean, L.ln2Rstd, L.res2, P, P, n, c, eps,
        this.offset(`${p}.ln_2.weight`), this.offset(`${p}.ln_2.bias`));
      this.linear(l, 'mlp.c_fc', L.fch, L.ln2, n, c, 4 * c, lora, L); // fch (N,4C)
      geluForward(L.fchGelu, L.fchTanh, L.fch, n * 4 * c);
      this.linear(l, 'mlp.c_proj', L.fcproj, L.fchGelu, n, 4 * c, c, lora, L);
      residualForward(L.res3, L.res2, L.fcproj, n * c);
      residual = L.res3;
    }
    layernormForward(acts.lnf, acts.lnfMean, acts.lnfRstd, residual, P, P, n, c, eps,
      this.offset('transformer.ln_f.weight'), this.offset('transformer.ln_f.bias'));
    // logits (N,V) = lnf (N,C) @ wteᵀ (C,V)
    const wteT = scratch(19, c * v, P);
    transpose(wteT, P, v, c, 0, this.offset('transformer.wte.weight'));
    matmul(acts.logits, acts.lnf, wteT, n, c, v);
    const loss = softmaxCrossEntropyForward(acts.logits, acts.losses, batch.targets, batch.weights, n, v);
    this.last = { batch, lora };
    return loss;
  }

  /** Probabilities (N,V) from the last forward. */
  probs(): FloatArray {
    if (!this.acts) throw new Error('forward() first');
    return this.acts.logits;
  }

  /** Per-token losses (N) from the last forward (0 where the weight is 0). */
  tokenLosses(): FloatArray {
    if (!this.acts) throw new Error('forward() first');
    return this.acts.losses;
  }

  /** Gradients of the last forward's loss: into this.grads (trainBase) and/or the adapter's grads. */
  backward(opts: BackwardOptions = { trainBase: true }): void {
    if (!this.last || !this.acts) throw new Error('forward() before backward()');
    const { batch, lora } = this.last;
    if (opts.trainBase && !this.grads) this.zeroGrad();
    const acts = this.acts;
    const { b, t } = batch;
    const { width: c, heads: nh, vocabSize: v } = this.config;
    const n = b * t;
    const P = this.params;
    const G = this.grads;
    const wteOff = this.offset('transformer.wte.weight');

    softmaxCrossEntropyBackward(acts.dlogits, acts.logits, batch.targets, batch.weights, n, v);
    // dlnf (N,C) = dlogits (N,V) @ wte (V,C);  dwte (V,C) += dlogitsᵀ (V,N) @ lnf (N,C)
    matmul(acts.dln, acts.dlogits, P, n, v, c, false, 0, 0, wteOff);
    if (opts.trainBase && G) {
      const dlT = scratch(20, v * n, P);
      transpose(dlT, acts.dlogits, n, v);
      matmul(G, dlT, acts.lnf, v, n, c, true, wteOff);
    }
    const depth = this.config.depth;
    const lastResidual = depth > 0 ? acts.layers[depth - 1]!.res3 : acts.encoded;
    acts.dres.fill(0);
    const gLn = opts.trainBase ? G : null;
    layernormBackward(acts.dres, gLn, gLn, acts.dln, lastResidual, P, acts.lnfMean, acts.lnfRstd, n, c,
      this.offset('transformer.ln_f.weight'), this.offset('transformer.ln_f.bias'));

    for (let l = depth - 1; l >= 0; l--) {
      const L = acts.layers[l]!;
      const p = `transformer.h.${l}`;
      const resIn = l === 0 ? acts.encoded : acts.layers[l - 1]!.res3;
      // res3 = res2 + fcproj: dfcproj = dres (read before dres gains the LN2 path)
      acts.dfchGelu.fill(0);
      this.linearBack(l, 'mlp.c_proj', acts.dfchGelu, acts.dres, L.fchGelu, n, 4 * c, c, lora, L, opts);
      acts.dfch.fill(0);
      geluBackward(acts.dfch, L.fch, L.fchTanh, acts.dfchGelu, n * 4 * c);
      acts.dln.fill(0);
      this.linearBack(l, 'mlp.c_fc', acts.dln, acts.dfch, L.ln2, n, c, 4 * c, lora, L, opts);
      layernormBackward(acts.dres, gLn, gLn, acts.dln, L.res2, P, L.ln2Mean, L.ln2Rstd, n, c,
        this.offset(`${p}.ln_2.weight`), this.offset(`${p}.ln_2.bias`));
      // res2 = resIn + attproj: dattproj = dres
      acts.datty.fill(0);
      this.linearBack(l, 'attn.c_proj', acts.datty, acts.dres, L.atty, n, c, c, lora, L, opts);
      acts.dqkv.fill(0);
      attentionBackward(acts.dqkv, acts.datty, L.qkv, L.att, b, t, c, nh);
      acts.dln.fill(0);
      this.linearBack(l, 'attn.c_attn', acts.dln, acts.dqkv, L.ln1, n, c, 3 * c, lora, L, opts);
      layernormBackward(acts.dres, gLn, gLn, acts.dln, resIn, P, L.ln1Mean, L.ln1Rstd, n, c,
        this.offset(`${p}.ln_1.weight`), this.offset(`${p}.ln_1.bias`));
    }
    if (opts.trainBase && G) {
      encoderBackward(G.subarray(wteOff), G.subarray(this.offset('transformer.wpe.weight')), acts.dres, batch.tokens,
        n, t, c);
    }
  }
}
