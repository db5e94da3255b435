/**
 * Conformance adapters for the per-task scoring vectors (vectors/a7e666d7__*): decode a case's input, call the
 * pure function, return the vector's output shape. See src/conformance/types.ts for the contract.
 */
import { z } from 'zod';
import { scoringRuleSets, scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { Json, RuleSetName, VectorAdapter } from '../../conformance/types.ts';
import { isoToMicros } from '../weights/numeric.ts';
import { calculateWeightedLoss, isSynthLossValidForGroup, weightedLossForImageEval } from './losses.ts';
import { handleDuplicateSubmissions, zeroDuplicateScores } from './duplicates.ts';
import { scoreTaskWithDuplicateHandling } from './pipeline.ts';
import {
  RANKING_REASONS,
  calculateMinerRankingAndScores,
  nanSynthAbortsOriginalRanking,
  unrankedReason,
} from './ranking.ts';
import type { MinerResult } from './types.ts';
import { decode, fromMinerResult, minerResultInput, orPythonError, pyFloat, toMinerResult } from './vector-codec.ts';

const REF: readonly RuleSetName[] = ['ref-2025-08'];

function rulesFor(ruleSet: RuleSetName): ScoringRules {
  return scoringRuleSets[ruleSet] ?? scoringRulesRef2025_08;
}

const D_TASK_1 = {
  id: 'D-task-1',
  reason: 'a ranked result has a NaN synthetic loss that the metric reads: the original aborts the whole task (AssertionError)',
};

const rankingInput = z.object({ miner_results: z.array(minerResultInput) });
function decodeRanking(input: Json): MinerResult[] {
  return decode(rankingInput, input, 'calculate_miner_ranking_and_scores').miner_results.map(toMinerResult);
}

/**
 * D-task-1's fixed result, built from its statement in docs/deviations.md rather than from the fixed code path:
 * the other results ranked as if the set-aside ones were absent, and each set-aside result put back in its place
 * with reason `Invalid synthetic loss`, no metric, and −1 if anyone was ranked (else 0.0).
 */
function rankingWithNanSynthSetAside(results: readonly MinerResult[], rules: ScoringRules): MinerResult[] {
  const setAside = results.map((r) => unrankedReason(r, rules) === null && Number.isNaN(r.synthLoss));
  const others = results.filter((_, i) => !setAside[i]);
  const rankedOthers = calculateMinerRankingAndScores(others, rules);
  const anyoneRanked = others.some((r) => unrankedReason(r, rules) === null);
  let next = 0;
  return results.map((r, i) =>
    setAside[i]
      ? {
          ...r,
          score: anyoneRanked ? rules.scorePenalty : 0.0,
          scoreReason: RANKING_REASONS.invalidSynthLoss,
          adjustedLoss: null,
        }
      : rankedOthers[next++]!,
  );
}

const duplicateInput = z.object({
  miner_results: z.array(minerResultInput),
  hf_upload_timestamps: z.record(z.string(), z.string()).default({}),
});
function decodeDuplicates(input: Json) {
  const d = decode(duplicateInput, input, 'score_task_with_duplicate_handling');
  const stamps = new Map(Object.entries(d.hf_upload_timestamps).map(([repo, iso]) => [repo, isoToMicros(iso)]));
  return { results: d.miner_results.map(toMinerResult), lookup: (repo: string) => stamps.get(repo) ?? null };
}

function keepToJson(keep: ReadonlyMap<string, boolean>): Record<string, boolean> {
  return Object.fromEntries(keep);
}

export const adapters: VectorAdapter[] = [
  {
    fn: 'calculate_miner_ranking_and_scores',
    ruleSets: REF,
    run: (input, ruleSet) => calculateMinerRankingAndScores(decodeRanking(input), rulesFor(ruleSet)).map(fromMinerResult),
    deviation: (input, ruleSet) => (nanSynthAbortsOriginalRanking(decodeRanking(input), rulesFor(ruleSet)) ? D_TASK_1 : null),
    expectedFixed: (input, ruleSet) =>
      rankingWithNanSynthSetAside(decodeRanking(input), rulesFor(ruleSet)).map(fromMinerResult),
  },
  {
    fn: 'handle_duplicate_submissions+zero_duplicate_scores+calculate_miner_ranking_and_scores',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const { results, lookup } = decodeDuplicates(input);
      const scored = scoreTaskWithDuplicateHandling(results, lookup, rulesFor(ruleSet));
      return {
        keep_submission: keepToJson(scored.keepSubmission),
        after_zero_duplicates: scored.afterZeroDuplicates.map(fromMinerResult),
        final: scored.final.map(fromMinerResult),
      };
    },
    deviation: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const { results, lookup } = decodeDuplicates(input);
      const after = zeroDuplicateScores(results, handleDuplicateSubmissions(results, lookup), rules);
      return nanSynthAbortsOriginalRanking(after, rules) ? D_TASK_1 : null;
    },
    expectedFixed: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const { results, lookup } = decodeDuplicates(input);
      const keep = handleDuplicateSubmissions(results, lookup);
      const after = zeroDuplicateScores(results, keep, rules);
      return {
        keep_submission: keepToJson(keep),
        after_zero_duplicates: after.map(fromMinerResult),
        final: rankingWithNanSynthSetAside(after, rules).map(fromMinerResult),
      };
    },
  },
  {
    fn: 'calculate_weighted_loss',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(
        z.object({ test_loss: pyFloat, synth_loss: pyFloat, use_max_of_synth_test: z.boolean().default(false) }),
        input,
        'calculate_weighted_loss',
      );
      return orPythonError(() =>
        calculateWeightedLoss(d.test_loss, d.synth_loss, d.use_max_of_synth_test, rulesFor(ruleSet)),
      );
    },
  },
  {
    fn: '_calculate_weighted_loss_for_image_eval',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(
        z.object({ text_guided_losses: z.array(pyFloat), no_text_losses: z.array(pyFloat) }),
        input,
        '_calculate_weighted_loss_for_image_eval',
      );
      return weightedLossForImageEval(d.text_guided_losses, d.no_text_losses, rulesFor(ruleSet));
    },
  },
  {
    fn: '_is_synth_loss_valid_for_group',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(z.object({ valid_results: z.array(minerResultInput) }), input, '_is_synth_loss_valid_for_group');
      return isSynthLossValidForGroup(d.valid_results.map(toMinerResult), rulesFor(ruleSet));
    },
  },
];
