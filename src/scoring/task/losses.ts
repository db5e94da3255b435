/**
 * The loss formulas per-task ranking uses (scoring.md §1.1, §1.4): the max-or-weighted metric, the image loss mix
 * and the check whether a group's synthetic losses are trustworthy enough to rank by.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { pySum } from '../weights/numeric.ts';
import { check } from './errors.ts';
import type { MinerResult } from './types.ts';

/**
 * `calculate_weighted_loss`: max(test, synth) for Instruct/DPO/Chat, else 0.7·test + 0.3·synth.
 * NaN in either loss is a ScoringError (the original asserts); ranking never passes one (D-task-1).
 */
export function calculateWeightedLoss(
  testLoss: number,
  synthLoss: number,
  useMaxOfSynthTest: boolean,
  rules: ScoringRules = scoringRulesRef2025_08,
): number {
  check(!Number.isNaN(testLoss), 'Test loss cannot be NaN');
  check(!Number.isNaN(synthLoss), 'Synthetic loss cannot be NaN');
  // Python's max returns its first argument unless the second is strictly greater.
  if (useMaxOfSynthTest) return synthLoss > testLoss ? synthLoss : testLoss;
  return rules.testScoreWeighting * testLoss + (1 - rules.testScoreWeighting) * synthLoss;
}

/** Python `sum(xs) / len(xs)`, with an empty list counting as 0 (as the original does). */
function meanOrZero(values: readonly number[]): number {
  return values.length > 0 ? pySum(values) / values.length : 0;
}

/** `_calculate_weighted_loss_for_image_eval`: 0.25·mean(text-guided) + 0.75·mean(no-text). */
export function weightedLossForImageEval(
  textGuidedLosses: readonly number[],
  noTextLosses: readonly number[],
  rules: ScoringRules = scoringRulesRef2025_08,
): number {
  const w = rules.diffusionTextGuidedEvalWeight;
  return w * meanOrZero(textGuidedLosses) + (1 - w) * meanOrZero(noTextLosses);
}

/**
 * `_is_synth_loss_valid_for_group`: at least 40 % of the finetuned results with a real synthetic loss (not NaN,
 * not the 1000 sentinel) have synth/test ≤ 1.5. Results with test ≤ 0 count in the denominator only, so for
 * GRPO rewards ≤ 0 the check fails and ranking falls back to the test loss.
 */
export function isSynthLossValidForGroup(
  validResults: readonly Pick<MinerResult, 'testLoss' | 'synthLoss' | 'isFinetune'>[],
  rules: ScoringRules = scoringRulesRef2025_08,
): boolean {
  // all() of an empty list is true in Python, so an empty group is "all NaN" and invalid.
  if (validResults.every((r) => Number.isNaN(r.synthLoss))) return false;
  const real = validResults.filter(
    (r) =>
      r.isFinetune &&
      !Number.isNaN(r.testLoss) &&
      !Number.isNaN(r.synthLoss) &&
      r.synthLoss < rules.realSynthLossCeiling,
  );
  if (real.length === 0) return false;
  let withinRatio = 0;
  for (const r of real) {
    if (r.testLoss > 0 && r.synthLoss / r.testLoss <= rules.synthLossMaxRatio) withinRatio++;
  }
  return withinRatio / real.length >= rules.synthLossValidThreshold;
}
