// Direct Preference Optimisation (β = 0.1 by default, reference = the base model, sigmoid loss as TRL's
// default), and the matching evaluator (evaluation.md §5).
//
// For one pair, with s(y) = log πθ(y|x) − log π_ref(y|x) summed over completion tokens:
//   loss = −log σ(β·(s(chosen) − s(rejected))),  ∂loss/∂log πθ(chosen) = −β·σ(−z) = −∂loss/∂log πθ(rejected).
// Our forward computes Σ weight·(−log p) per token, which is linear in the weights, so after one forward
// with unit weights (giving log πθ) the weights are set to the negated per-sequence coefficients and the
// ordinary backward yields the DPO gradient without a second forward.
import type { Gpt, Batch } from './gpt.ts';
import { makeBatch, paddedLength, usableExamples } from './data/batch.ts';
import type { ChatMessage, Example } from './data/template.ts';
import { promptIds } from './data/template.ts';
import { createLora } from './lora.ts';
import type { LoraAdapter, LoraConfig } from './lora.ts';
import { Rng } from './rng.ts';
import { BatchSampler, trainableSetup } from './train-loop.ts';
import { defaultRules } from '../core/rules/index.ts';
import { SPECIAL_TOKENS, encode } from './tokenizer.ts';

/** β of the DPO loss: the spec value lives in the rules module (evaluation.md §5 BETA_DPO). */
export const BETA_DPO = defaultRules.evaluation.betaDpo;

export interface DpoRow {
  prompt: string;
  chosen: string;
  rejected: string;
  system?: string | null;
}

export interface DpoPair {
  chosen: Example;
  rejected: Example;
}

/** prompt as one user turn (with an optional system turn); each answer as the assistant turn + <|end|>. */
export function encodeDpo(row: DpoRow): DpoPair {
  const messages: ChatMessage[] = [
    ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
    { role: 'user', content: row.prompt },
  ];
  const prompt = promptIds(messages);
  const side = (answer: string): Example => {
    const completion = [...encode(answer), SPECIAL_TOKENS.end];
    return { ids: [...prompt, ...completion], lossMask: [...prompt.map(() => 0), ...completion.map(() => 1)] };
  };
  return { chosen: side(row.chosen), rejected: side(row.rejected) };
}

/** Sum of log p over each row's completion tokens, from the last forward (weights must be nonzero there). */
function rowLogProbs(model: Gpt, batch: Batch): Float64Array {
  const losses = model.tokenLosses();
  const out = new Float64Array(batch.b);
  for (let r = 0; r < batch.b; r++) {
    let s = 0;
    for (let p = 0; p < batch.t; p++) if (batch.weights[r * batch.t + p] !== 0) s -= losses[r * batch.t + p]!;
    out[r] = s;
  }
  return out;
}

/** log π(y|x) of every row (chosen and rejected interleaved) under `lora` (null: the bare model). */
export function sequenceLogProbs(model: Gpt, lora: LoraAdapter | null, rows: readonly Example[], t: number): Float64Array {
  const out = new Float64Array(rows.length);
  const chunk = 16;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const batch = makeBatch(part, t, model.floatType, () => 1);
    model.forward(batch, lora);
    out.set(rowLogProbs(model, batch), i);
  }
  return out;
}

const logSigmoid = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export interface DpoMetrics {
  /** mean −log σ(β·margin): production's eval_loss */
  loss: number;
  /** mean (s(chosen) − s(rejected)), the implicit reward margin before β */
  margin: number;
  /** fraction of pairs with a positive margin */
  accuracy: number;
}

function usablePairs(pairs: readonly DpoPair[], contextLength: number): DpoPair[] {
  return pairs.filter((p) => usableExamples([p.chosen, p.rejected], contextLength).length === 2);
}

/**
 * The DPO evaluation: policy = model (+ adapter) against the reference. `reference` is a separate model (a
 * full fine-tune is compared with the original weights) or null, meaning the same model without the adapter.
 */
export function dpoEvaluate(
  model: Gpt, lora: LoraAdapter | null, reference: Gpt | null, pairs: readonly DpoPair[], beta = BETA_DPO,
): DpoMetrics {
  const usable = usablePairs(pairs, model.config.contextLength);
  if (usable.length === 0) throw new Error('no DPO pair fits the context');
  const rows = usable.flatMap((p) => [p.chosen, p.rejected]);
  const t = paddedLength(rows, model.config.contextLength);
  const pol = sequenceLogProbs(model, lora, rows, t);
  const ref = sequenceLogProbs(reference ?? model, null, rows, t);
  let loss = 0, margin = 0, wins = 0;
  for (let i = 0; i < usable.length; i++) {
    const m = pol[2 * i]! - ref[2 * i]! - (pol[2 * i + 1]! - ref[2 * i + 1]!);
    loss -= logSigmoid(beta * m);
    margin += m;
    if (m > 0) wins++;
  }
  return { loss: loss / usable.length, margin: margin / usable.length, accuracy: wins / usable.length };
}

export interface DpoOptions {
  steps: number;
  /** pairs per step */
  batchSize: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  gradClip: number;
  beta: number;
  seed: number;
  /** null: full fine-tuning (the reference is a frozen copy of the starting weights) */
  lora: LoraConfig | null;
  /** an existing adapter to train (takes precedence over `lora`) */
  adapter?: LoraAdapter;
  /** return false to stop after this step */
  onStep?: (info: { step: number; loss: number; margin: number; lr: number; tokens: number }) => boolean | void;
}

export function trainDpo(model: Gpt, data: readonly DpoPair[], opts: DpoOptions): { adapter: LoraAdapter | null; losses: number[] } {
  const pairs = usablePairs(data, model.config.contextLength);
  if (pairs.length === 0) throw new Error('no DPO pair fits the context');
  const t = paddedLength(pairs.flatMap((p) => [p.chosen, p.rejected]), model.config.contextLength);
  const rng = new Rng(opts.seed);
  const adapter = opts.adapter ?? (opts.lora ? createLora(model.config, opts.lora, rng.nextU32(), model.floatType) : null);
  // the reference log-probs are fixed: compute them once from the starting weights
  const refAll = sequenceLogProbs(model, null, pairs.flatMap((p) => [p.chosen, p.rejected]), t);
  const trainer = trainableSetup(model, adapter, opts);
  const sampler = new BatchSampler(rng, pairs.length);
  const losses: number[] = [];
  let tokens = 0;
  for (let step = 0; step < opts.steps; step++) {
    const idx = sampler.next(opts.batchSize);
    const rows = idx.flatMap((i) => [pairs[i]!.chosen, pairs[i]!.rejected]);
    const batch = makeBatch(rows, t, model.floatType, () => 1);
    model.forward(batch, adapter);
    const pol = rowLogProbs(model, batch);
    let loss = 0, margin = 0;
    const coef = new Float64Array(rows.length);
    idx.forEach((pi, k) => {
      const m = pol[2 * k]! - refAll[2 * pi]! - (pol[2 * k + 1]! - refAll[2 * pi + 1]!);
      loss -= logSigmoid(opts.beta * m);
      margin += m;
      // ∂loss/∂log πθ(chosen) = −β σ(−βm); our loss is Σ w·(−log p), so w = −∂loss/∂log π
      const g = (opts.beta * sigmoid(-opts.beta * m)) / idx.length;
      coef[2 * k] = g;
      coef[2 * k + 1] = -g;
    });
    for (let r = 0; r < rows.length; r++) {
      for (let p = 0; p < t; p++) if (batch.weights[r * t + p] !== 0) batch.weights[r * t + p] = coef[r]!;
    }
    const { lr } = trainer.backwardAndUpdate(step);
    losses.push(loss / idx.length);
    tokens += batch.b * batch.t;
    if (opts.onStep?.({ step, loss: loss / idx.length, margin: margin / idx.length, lr, tokens }) === false) break;
  }
  return { adapter, losses };
}

/**
 * Preference pairs from the procedural task: the correct answer against a corrupted one. Half the pairs swap
 * the answer's letter case (a preference a small model learns in a few dozen steps), half replace one letter
 * (which needs the rule itself: the model must look at the input).
 */
export function proceduralDpoRows(rows: readonly { instruct: string; input?: string | null; output: string }[], seed: number): DpoRow[] {
  const rng = new Rng(seed);
  const swapCase = (s: string): string => [...s].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');
  return rows.map((r) => {
    const prompt = r.input ? `${r.instruct} ${r.input}` : r.instruct;
    if (rng.next() < 0.5) return { prompt, chosen: r.output, rejected: swapCase(r.output) };
    const chars = [...r.output];
    const i = rng.int(chars.length);
    const old = chars[i]!;
    const lower = old.toLowerCase().charCodeAt(0) - 97;
    const replaced = String.fromCharCode(97 + ((lower + 1 + rng.int(25)) % 26));
    chars[i] = old === old.toLowerCase() ? replaced : replaced.toUpperCase();
    return { prompt, chosen: r.output, rejected: chars.join('') };
  });
}
