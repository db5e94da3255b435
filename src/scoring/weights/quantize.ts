/**
 * fiber's `_normalize_and_quantize_weights` (scoring.md §5): the float vector scaled so its maximum is 65535 and
 * rounded to u16 with Python's round (half to even); zero weights are dropped from the extrinsic.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { ScoringError } from '../task/errors.ts';
import { pyRound } from './numeric.ts';

export interface QuantizedWeights {
  readonly uids: number[];
  readonly weightsU16: number[];
}

function roundToInt(x: number): number {
  if (Number.isNaN(x)) throw new ScoringError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw new ScoringError('OverflowError', 'cannot convert float infinity to integer');
  return pyRound(x);
}

/**
 * ScoringError(ValueError) on a length mismatch, a negative uid or a negative weight; all-zero weights give
 * empty lists (nothing is sent). A positive weight may still round to 0.
 */
export function normalizeAndQuantizeWeights(
  nodeIds: readonly number[],
  nodeWeights: readonly number[],
  rules: ScoringRules = scoringRulesRef2025_08,
): QuantizedWeights {
  if (nodeIds.length !== nodeWeights.length || nodeIds.some((u) => u < 0) || nodeWeights.some((w) => w < 0)) {
    throw new ScoringError('ValueError', 'Invalid input: length mismatch or negative values');
  }
  // any(): NaN is truthy in Python, so only exact zeros count as "nothing to send".
  if (!nodeWeights.some((w) => w !== 0)) return { uids: [], weightsU16: [] };
  let max = nodeWeights[0]!;
  for (const w of nodeWeights) if (w > max) max = w;
  const scale = rules.u16Max / max;
  const uids: number[] = [];
  const weightsU16: number[] = [];
  nodeWeights.forEach((w, i) => {
    if (w > 0) {
      uids.push(nodeIds[i]!);
      weightsU16.push(roundToInt(w * scale));
    }
  });
  return { uids, weightsU16 };
}
