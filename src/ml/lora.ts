// LoRA adapters for the GPT's linear layers: W' = W + (alpha/rank) · A·B with A (in, r) and B (r, out),
// B initialised to zero so a fresh adapter leaves the model unchanged. All adapter tensors live in one
// buffer, like the base model. On disk they use PEFT's names and shapes (lora_A.weight is (r, in),
// lora_B.weight is (out, r)); see hub-format.ts.
import { Rng } from './rng.ts';
import type { FloatArray } from './kernels/matmul.ts';
import { matmul } from './kernels/matmul.ts';
import type { GptConfig } from './config.ts';

/** The linear layers of a GPT-2 block. q, k and v share one fused matrix (attn.c_attn), as in HF GPT-2. */
export const LORA_MODULES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

/** Friendly target names: q/k/v map to the fused qkv matrix, o to the attention output, mlp to both MLP matrices. */
export const LORA_TARGET_ALIASES: Record<string, LoraModule[]> = {
  q: ['attn.c_attn'],
  k: ['attn.c_attn'],
  v: ['attn.c_attn'],
  qkv: ['attn.c_attn'],
  o: ['attn.c_proj'],
  mlp: ['mlp.c_fc', 'mlp.c_proj'],
  all: [...LORA_MODULES],
};

/**
 * Accepts module names (`attn.c_attn`), PEFT-style suffixes as they would match GPT-2 (`c_attn`, `c_fc`, and
 * `c_proj`, which matches both projections) and the aliases above.
 */
export function resolveLoraTargets(targets: readonly string[]): LoraModule[] {
  const out = new Set<LoraModule>();
  for (const t of targets) {
    const bySuffix = LORA_MODULES.filter((m) => m === t || m.endsWith(`.${t}`));
    const matched = bySuffix.length > 0 ? bySuffix : LORA_TARGET_ALIASES[t];
    if (!matched) {
      throw new Error(`unknown LoRA target "${t}" (use ${[...LORA_MODULES, ...Object.keys(LORA_TARGET_ALIASES)].join(', ')})`);
    }
    for (const m of matched) out.add(m);
  }
  return LORA_MODULES.filter((m) => out.has(m));
}

export interface LoraConfig {
  rank: number;
  alpha: number;
  targets: LoraModule[];
}

/** (in, out) sizes of each module's weight for a model width C. */
export function moduleShape(module: LoraModule, c: number): [number, number] {
  switch (module) {
    case 'attn.c_attn': return [c, 3 * c];
    case 'attn.c_proj': return [c, c];
    case 'mlp.c_fc': return [c, 4 * c];
    case 'mlp.c_proj': return [4 * c, c];
  }
}

export interface LoraSlot {
  layer: number;
  module: LoraModule;
  inDim: number;
  outDim: number;
  /** A (in, r) and B (r, out) offsets in the adapter buffer. */
  aOff: number;
  bOff: number;
}

export interface LoraAdapter {
  config: LoraConfig;
  scale: number;
  slots: LoraSlot[];
  params: FloatArray;
  grads: FloatArray | null;
  /** slots by `${layer}:${module}` */
  index: Map<string, LoraSlot>;
}

export function loraLayout(model: GptConfig, cfg: LoraConfig): { slots: LoraSlot[]; size: number } {
  const slots: LoraSlot[] = [];
  let off = 0;
  for (let layer = 0; layer < model.depth; layer++) {
    for (const module of cfg.targets) {
      const [inDim, outDim] = moduleShape(module, model.width);
      const aOff = off;
      off += inDim * cfg.rank;
      const bOff = off;
      off += cfg.rank * outDim;
      slots.push({ layer, module, inDim, outDim, aOff, bOff });
    }
  }
  return { slots, size: off };
}

export function validateLoraConfig(cfg: LoraConfig): void {
  if (!Number.isInteger(cfg.rank) || cfg.rank < 1) throw new Error(`lora rank must be a positive integer, got ${cfg.rank}`);
  if (!(cfg.alpha > 0)) throw new Error(`lora alpha must be positive, got ${cfg.alpha}`);
  if (cfg.targets.length === 0) throw new Error('lora targets must name at least one module');
}

/** A fresh adapter: A uniform in ±1/√in (PEFT's kaiming-uniform bound), B zero. */
export function createLora(
  model: GptConfig, cfg: LoraConfig, seed: number, floatType: 'float32' | 'float64' = 'float32',
): LoraAdapter {
  validateLoraConfig(cfg);
  const { slots, size } = loraLayout(model, cfg);
  const params = floatType === 'float64' ? new Float64Array(size) : new Float32Array(size);
  const rng = new Rng(seed);
  for (const s of slots) {
    const bound = 1 / Math.sqrt(s.inDim);
    for (let i = 0; i < s.inDim * cfg.rank; i++) params[s.aOff + i] = (rng.next() * 2 - 1) * bound;
  }
  return wrapLora(model, cfg, params);
}

export function wrapLora(model: GptConfig, cfg: LoraConfig, params: FloatArray): LoraAdapter {
  const { slots, size } = loraLayout(model, cfg);
  if (params.length !== size) throw new Error(`lora buffer has ${params.length} values, layout needs ${size}`);
  return {
    config: cfg,
    scale: cfg.alpha / cfg.rank,
    slots,
    params,
    grads: null,
    index: new Map(slots.map((s) => [`${s.layer}:${s.module}`, s])),
  };
}

export function loraParamCount(adapter: LoraAdapter): number {
  return adapter.params.length;
}

/**
 * Folds the adapter into a copy of the base weights: W += scale · A @ B for every slot.
 * `weightOffset(layer, module)` gives where that (in, out) weight starts in `baseParams`.
 */
export function mergeLoraInto(
  baseParams: FloatArray, adapter: LoraAdapter, weightOffset: (layer: number, module: LoraModule) => number,
): void {
  const r = adapter.config.rank;
  for (const s of adapter.slots) {
    const delta = new Float64Array(s.inDim * s.outDim);
    matmul(delta, Float64Array.from(adapter.params.subarray(s.aOff, s.aOff + s.inDim * r)),
      Float64Array.from(adapter.params.subarray(s.bOff, s.bOff + r * s.outDim)), s.inDim, r, s.outDim);
    const w = weightOffset(s.layer, s.module);
    for (let i = 0; i < delta.length; i++) baseParams[w + i] = baseParams[w + i]! + adapter.scale * delta[i]!;
  }
}
