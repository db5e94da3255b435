/**
 * Per-task ranking (`calculate_miner_ranking_and_scores`, scoring.md §1.4): the best valid result gets 3, the
 * rest 0, the bottom 25 % of a pool of more than 8 valid results −1, and failures −1 when anyone is valid.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { calculateWeightedLoss, isSynthLossValidForGroup } from './losses.ts';
import type { MinerResult } from './types.ts';

export const RANKING_REASONS = Object.freeze({
  nonFinetuned: 'Non-finetuned submission',
  invalidTestLoss: 'Invalid test loss',
  outsideTop: "Outside of top-4 test doesn't get scored.",
  /** Ours (D-task-1): a ranked result whose synthetic loss is NaN where the metric needs it. */
  invalidSynthLoss: 'Invalid synthetic loss',
});

/** How the valid results of a task are compared, decided from the first valid result as the original does. */
export interface RankingMetric {
  /** max(test, synth) (Instruct, DPO, Chat text results). */
  readonly useMax: boolean;
  /** The metric reads the synthetic loss (max or 0.7/0.3 mix); false ranks by test loss alone. */
  readonly usesSynth: boolean;
  /** Higher is better (GRPO rewards). */
  readonly higherIsBetter: boolean;
  /** The label in score reasons, e.g. `INSTRUCT loss (max test, synth + train)`. */
  readonly label: string;
}

/** The metric the original picks for these valid (ranked) results. */
export function chooseRankingMetric(
  valid: readonly MinerResult[],
  rules: ScoringRules = scoringRulesRef2025_08,
): RankingMetric {
  const first = valid[0];
  const text = first !== undefined && first.kind === 'text';
  const type = first?.taskType;
  const isDpo = text && type === 'DpoTask';
  const isGrpo = text && type === 'GrpoTask';
  const isInstruct = text && type === 'InstructTextTask';
  const isChat = text && type === 'ChatTask';
  const useMax = isDpo || isInstruct || isChat;
  const usesSynth = useMax || isSynthLossValidForGroup(valid, rules);
  let label: string;
  if (isGrpo) label = 'GRPO score (bigger is better)';
  else if (!usesSynth) label = 'test_loss_only';
  else if (isDpo) label = 'DPO loss (max test, synth + train)';
  else if (isInstruct) label = 'INSTRUCT loss (max test, synth + train)';
  // Chat uses the max metric but the original labels it like the weighted one.
  else label = 'weighted_loss';
  return { useMax, usesSynth, higherIsBetter: isGrpo, label };
}

/** Not rankable: failures, duplicates, non-finetuned, NaN test loss, outside the top 4 on test. */
export function unrankedReason(r: MinerResult, rules: ScoringRules): string | null {
  if (r.scoreReason) return r.scoreReason;
  if (!r.isFinetune) return RANKING_REASONS.nonFinetuned;
  if (Number.isNaN(r.testLoss)) return RANKING_REASONS.invalidTestLoss;
  if (r.synthLoss === rules.outsideTopSynthLoss) return RANKING_REASONS.outsideTop;
  return null;
}

/**
 * Scores one task's results. Returns new result objects in input order; never throws on losses (NaN, ±Infinity).
 *
 * Where the original raised an AssertionError — a ranked result with a NaN synthetic loss while the metric reads
 * the synthetic loss — that result is instead set aside with reason `Invalid synthetic loss` and penalised like
 * a failure, and the others are ranked by the same metric (D-task-1, docs/deviations.md).
 */
export function calculateMinerRankingAndScores(
  minerResults: readonly MinerResult[],
  rules: ScoringRules = scoringRulesRef2025_08,
): MinerResult[] {
  const out: MinerResult[] = [];
  const validIdx: number[] = [];
  for (const r of minerResults) {
    const reason = unrankedReason(r, rules);
    if (reason === null) validIdx.push(out.length);
    out.push({ ...r, score: 0.0, scoreReason: reason });
  }
  if (validIdx.length === 0) return out;

  const metric = chooseRankingMetric(
    validIdx.map((i) => out[i]!),
    rules,
  );
  const disqualified = new Set<number>();
  let ranked = validIdx;
  if (metric.usesSynth) {
    ranked = [];
    for (const i of validIdx) {
      if (Number.isNaN(out[i]!.synthLoss)) {
        disqualified.add(i);
        out[i] = { ...out[i]!, scoreReason: RANKING_REASONS.invalidSynthLoss };
      } else ranked.push(i);
    }
  }

  const keyed = ranked.map((i) => {
    const r = out[i]!;
    const m = metric.usesSynth ? calculateWeightedLoss(r.testLoss, r.synthLoss, metric.useMax, rules) : r.testLoss;
    out[i] = { ...r, adjustedLoss: m };
    // A NaN metric sorts last for lower-is-better and first for GRPO, as the original's sort keys do.
    const key = metric.higherIsBetter ? (Number.isNaN(m) ? -Infinity : -m) : Number.isNaN(m) ? Infinity : m;
    return { i, key };
  });
  // Array.prototype.sort is stable: ties keep input order, like Python's list.sort.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const n = keyed.length;
  // Everyone valid was set aside (D-task-1): like an all-failed task, nobody is penalised and the task is retried.
  if (n === 0) return out;
  const setScore = (pos: number, score: number, reason: string): void => {
    const i = keyed[pos]!.i;
    out[i] = { ...out[i]!, score, scoreReason: reason };
  };
  setScore(0, rules.firstPlaceScore, `Ranked 1st by ${metric.label}`);
  const penaltyStart =
    n > rules.minIdealNumMinersInPool ? n - Math.max(1, Math.trunc(n * rules.bottomPenaltyFraction)) : n;
  for (let p = 1; p < penaltyStart; p++) setScore(p, 0.0, `Ranked below top 1 by ${metric.label}`);
  for (let p = Math.max(1, penaltyStart); p < n; p++) setScore(p, rules.scorePenalty, `Bottom 25% ranked by ${metric.label}`);

  // Failures are penalised only because someone valid exists (an all-failed task stays at 0 and is retried).
  for (let i = 0; i < out.length; i++) {
    const r = out[i]!;
    if ((!r.isFinetune || Number.isNaN(r.testLoss) || disqualified.has(i)) && r.score === 0.0) {
      out[i] = { ...r, score: rules.scorePenalty };
    }
  }
  return out;
}

/** Short name for the rule: rank one task's miners. */
export const rankMiners = calculateMinerRankingAndScores;

/**
 * The condition of D-task-1: the original's ranking raises AssertionError on these results, because a ranked
 * result has a NaN synthetic loss and the chosen metric reads it.
 */
export function nanSynthAbortsOriginalRanking(
  minerResults: readonly MinerResult[],
  rules: ScoringRules = scoringRulesRef2025_08,
): boolean {
  const valid = minerResults.filter((r) => unrankedReason(r, rules) === null);
  if (valid.length === 0) return false;
  return chooseRankingMetric(valid, rules).usesSynth && valid.some((r) => Number.isNaN(r.synthLoss));
}
