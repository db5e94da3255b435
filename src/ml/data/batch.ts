// Examples → fixed-shape (B,T) batches: inputs are ids[0..L−1), targets ids[1..L), padding gets weight 0.
import type { Batch, FloatType } from '../gpt.ts';
import { SPECIAL_TOKENS } from '../tokenizer.ts';
import type { Example } from './template.ts';

/** Completion tokens of an example (the positions that carry loss). */
export function completionTokens(ex: Example): number {
  let n = 0;
  for (let i = 1; i < ex.ids.length; i++) n += ex.lossMask[i]!;
  return n;
}

/** Examples that fit the context (L − 1 ≤ t) and have at least one completion token, as production keeps. */
export function usableExamples(examples: readonly Example[], contextLength: number): Example[] {
  return examples.filter((ex) => ex.ids.length - 1 <= contextLength && completionTokens(ex) > 0);
}

/**
 * Builds one batch. `weightOf(example, rowIndex)` gives the weight of each of that row's completion tokens
 * (1/total for a token mean, 1/(rows·rowTokens) for the production row mean).
 */
export function makeBatch(
  examples: readonly Example[], t: number, floatType: FloatType, weightOf: (ex: Example) => number,
): Batch {
  const b = examples.length;
  const tokens = new Int32Array(b * t).fill(SPECIAL_TOKENS.pad);
  const targets = new Int32Array(b * t).fill(SPECIAL_TOKENS.pad);
  const weights = floatType === 'float64' ? new Float64Array(b * t) : new Float32Array(b * t);
  examples.forEach((ex, r) => {
    const len = ex.ids.length - 1;
    if (len > t) throw new Error(`example of ${len + 1} tokens does not fit a batch of length ${t}`);
    const w = weightOf(ex);
    for (let p = 0; p < len; p++) {
      tokens[r * t + p] = ex.ids[p]!;
      targets[r * t + p] = ex.ids[p + 1]!;
      if (ex.lossMask[p + 1] === 1) weights[r * t + p] = w;
    }
  });
  return { b, t, tokens, targets, weights };
}

/** The smallest multiple of 8 (capped at the context) that holds every example: fewer distinct shapes. */
export function paddedLength(examples: readonly Example[], contextLength: number): number {
  let longest = 1;
  for (const ex of examples) longest = Math.max(longest, ex.ids.length - 1);
  return Math.min(contextLength, Math.ceil(longest / 8) * 8);
}
