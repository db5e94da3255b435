// Autoregressive sampling: greedy (temperature 0) or temperature + nucleus (top-p), seeded.
import type { Gpt } from './gpt.ts';
import type { LoraAdapter } from './lora.ts';
import { Rng } from './rng.ts';
import { SPECIAL_TOKENS } from './tokenizer.ts';

export interface SampleOptions {
  maxNewTokens: number;
  /** 0 = greedy */
  temperature: number;
  /** nucleus mass in (0, 1]; 1 = no truncation */
  topP: number;
  seed: number;
  stopTokens?: readonly number[];
  lora?: LoraAdapter | null;
}

/** Next-token distribution after `ids` (the last `contextLength` of them). */
export function nextTokenProbs(model: Gpt, ids: readonly number[], lora: LoraAdapter | null = null): Float64Array {
  const window = ids.slice(-model.config.contextLength);
  const t = window.length;
  const v = model.config.vocabSize;
  model.forward({
    b: 1, t, tokens: Int32Array.from(window), targets: new Int32Array(t), weights: model.alloc(t),
  }, lora);
  return Float64Array.from(model.probs().subarray((t - 1) * v, t * v));
}

/** Picks one token from probabilities with temperature and top-p; deterministic given the rng state. */
export function pickToken(probs: Float64Array, temperature: number, topP: number, rng: Rng): number {
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[best]!) best = i;
    return best;
  }
  // softmax(logits / T) ∝ p^(1/T)
  const scaled = Array.from(probs, (p, i) => ({ i, p: Math.pow(p, 1 / temperature) }));
  const z = scaled.reduce((s, x) => s + x.p, 0);
  for (const x of scaled) x.p /= z;
  scaled.sort((a, b) => b.p - a.p || a.i - b.i);
  let mass = 0;
  let keep = scaled.length;
  for (let k = 0; k < scaled.length; k++) {
    mass += scaled[k]!.p;
    if (mass >= topP) {
      keep = k + 1;
      break;
    }
  }
  const kept = scaled.slice(0, keep);
  const keptMass = kept.reduce((s, x) => s + x.p, 0);
  let u = rng.next() * keptMass;
  for (const x of kept) {
    u -= x.p;
    if (u <= 0) return x.i;
  }
  return kept[kept.length - 1]!.i;
}

/** Generates up to maxNewTokens after the prompt; returns only the new tokens (without the stop token). */
export function generate(model: Gpt, prompt: readonly number[], opts: SampleOptions): number[] {
  const rng = new Rng(opts.seed);
  const stops = new Set(opts.stopTokens ?? [SPECIAL_TOKENS.end, SPECIAL_TOKENS.eos]);
  const ids = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < opts.maxNewTokens; i++) {
    const tok = pickToken(nextTokenProbs(model, ids, opts.lora ?? null), opts.temperature, opts.topP, rng);
    if (stops.has(tok)) break;
    ids.push(tok);
    out.push(tok);
  }
  return out;
}
