/**
 * Conformance adapters for the period-scoring and weight-setting vectors (vectors/a7e666d7__*, fiber-2.1.0__*):
 * decode a case's input, call the pure function, return the vector's output shape.
 */
import { z } from 'zod';
import { taskTypeSchema } from '../../core/enums.ts';
import { scoringRuleSets, scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { Json, RuleSetName, VectorAdapter } from '../../conformance/types.ts';
import type { TournamentResults } from '../tournament/index.ts';
import { decode, orPythonError, pyFloat } from '../task/vector-codec.ts';
import { burnProportion, tournamentBurnDetails, weightRedistribution, type CompletedTournamentFacts } from './burn.ts';
import { detectSuspiciousNodes, organicProportion, periodScoresFromScorableTaskResults, periodScoresFromTaskResults } from './buckets.ts';
import {
  burnUidWeightBeforeBurn,
  combinedTournamentWeights,
  nodeWeightsFromPeriodScores,
  type NodeWeightsInput,
} from './node-weights.ts';
import { MICROS_PER_DAY, isoToMicros } from './numeric.ts';
import { aggregatePeriodScores, hasUnscorableTasks, normaliseScores, periodScoresFromResults, scorableTaskResults } from './period-scores.ts';
import { normalizeAndQuantizeWeights } from './quantize.ts';
import type { PeriodScore, TaskResult } from './types.ts';
import { taskWorkScore } from './work-score.ts';

const REF: readonly RuleSetName[] = ['ref-2025-08'];

function rulesFor(ruleSet: RuleSetName): ScoringRules {
  return scoringRuleSets[ruleSet] ?? scoringRulesRef2025_08;
}

const timestamp = z.string().transform((s, ctx) => {
  try {
    return isoToMicros(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const taskInput = z.object({
  hours_to_complete: pyFloat,
  model_id: z.string(),
  model_params_count: pyFloat.nullable().default(0),
  task_type: taskTypeSchema,
  is_organic: z.boolean(),
  created_at: timestamp,
});
const taskResultInput = z.object({
  task: taskInput,
  node_scores: z.array(z.object({ hotkey: z.string(), quality_score: pyFloat })),
});
function toTaskResult(t: z.output<typeof taskResultInput>): TaskResult {
  return {
    task: {
      taskType: t.task.task_type,
      isOrganic: t.task.is_organic,
      createdAt: t.task.created_at,
      hoursToComplete: t.task.hours_to_complete,
      modelId: t.task.model_id,
      modelParamsCount: t.task.model_params_count,
    },
    nodeScores: t.node_scores.map((n) => ({ hotkey: n.hotkey, qualityScore: n.quality_score })),
  };
}
const taskTypesInput = z.union([taskTypeSchema.transform((t) => [t]), z.array(taskTypeSchema)]);

function fromPeriodScore(ps: PeriodScore) {
  return {
    hotkey: ps.hotkey,
    quality_score: ps.qualityScore,
    summed_task_score: ps.summedTaskScore,
    average_score: ps.averageScore,
    std_score: ps.stdScore,
    weight_multiplier: ps.weightMultiplier,
    normalised_score: ps.normalisedScore,
  };
}

/** The tasks the original reads at all: those created within `days` of `now` (the widest window). */
function createdWithin(taskResults: readonly TaskResult[], now: number, days: number): TaskResult[] {
  return taskResults.filter((tr) => tr.task.createdAt > now - days * MICROS_PER_DAY);
}

const D_WEIGHTS_2 = {
  id: 'D-weights-2',
  reason: 'a task the original cannot score (work score undefined, or no finite quality score) aborts its weight setting',
};
const D_WEIGHTS_1 = {
  id: 'D-weights-1',
  reason: 'the burn hotkey earned weight before the burn share is set: the original overwrites it instead of adding',
};

const periodResultsInput = z.object({ task_results: z.array(taskResultInput), weight_multiplier: pyFloat });
const periodTaskResultsInput = z.object({ now: timestamp, task_results: z.array(taskResultInput) });
const windowedInput = z.object({
  now: timestamp,
  task_types: taskTypesInput,
  task_results: z.array(taskResultInput),
  days: z.number().int().default(7),
});

function decodePeriodResults(input: Json) {
  const d = decode(periodResultsInput, input, 'get_period_scores_from_results');
  return { taskResults: d.task_results.map(toTaskResult), multiplier: d.weight_multiplier };
}
function decodePeriodTaskResults(input: Json) {
  const d = decode(periodTaskResultsInput, input, 'get_period_scores_from_task_results');
  return { taskResults: d.task_results.map(toTaskResult), now: d.now };
}
function decodeWindowed(input: Json, label: string) {
  const d = decode(windowedInput, input, label);
  return { taskResults: d.task_results.map(toTaskResult), now: d.now, types: d.task_types, days: d.days };
}

const tournamentFacts = z
  .object({
    tournament_id: z.string(),
    winner_hotkey: z.string().nullish(),
    synth_complete: z.boolean(),
    performance_difference: pyFloat.nullish(),
  })
  .nullish();
function toFacts(f: z.output<typeof tournamentFacts>): CompletedTournamentFacts | null {
  if (!f) return null;
  return {
    tournamentId: f.tournament_id,
    winnerHotkey: f.winner_hotkey ?? null,
    synthComplete: f.synth_complete,
    performanceDifference: f.performance_difference ?? null,
  };
}
const historyOfType = z.object({ latest: tournamentFacts, previous: tournamentFacts }).nullish();

const tournamentResultsInput = z
  .object({
    winner_hotkey: z.string().nullish(),
    base_winner_hotkey: z.string().nullish(),
    rounds: z.array(
      z.object({
        round_number: z.number(),
        is_final_round: z.boolean().nullish(),
        tasks: z.array(z.object({ winner: z.string().nullish() })),
      }),
    ),
  })
  .nullish();
function toTournamentResults(t: z.output<typeof tournamentResultsInput>): TournamentResults | null {
  if (!t) return null;
  return {
    winnerHotkey: t.winner_hotkey ?? null,
    baseWinnerHotkey: t.base_winner_hotkey ?? null,
    rounds: t.rounds.map((r) => ({
      roundNumber: r.round_number,
      isFinalRound: r.is_final_round ?? false,
      tasks: r.tasks.map((x) => ({ winner: x.winner ?? null })),
    })),
  };
}
const nodeWeightsVectorInput = z.object({
  metagraph_hotkeys: z.array(z.string()),
  burn_data: z.object({ tournament_weight: pyFloat, regular_weight: pyFloat, burn_weight: pyFloat }),
  participants: z.array(z.string()).default([]),
  node_results: z.array(
    z.object({ hotkey: z.string(), weight_multiplier: pyFloat, normalised_score: pyFloat.nullable().default(0) }),
  ),
  text_tournament: tournamentResultsInput,
  image_tournament: tournamentResultsInput,
});
function decodeNodeWeights(input: Json, rules: ScoringRules): NodeWeightsInput {
  const d = decode(nodeWeightsVectorInput, input, 'get_node_weights_from_period_scores');
  return {
    metagraphHotkeys: d.metagraph_hotkeys,
    split: {
      tournamentWeight: d.burn_data.tournament_weight,
      regularWeight: d.burn_data.regular_weight,
      burnWeight: d.burn_data.burn_weight,
    },
    participants: d.participants,
    // A null normalised score is skipped by the original.
    periodScores: d.node_results
      .filter((r) => r.normalised_score !== null)
      .map((r) => ({ hotkey: r.hotkey, weightMultiplier: r.weight_multiplier, normalisedScore: r.normalised_score! })),
    tournamentWeights: combinedTournamentWeights(
      toTournamentResults(d.text_tournament),
      toTournamentResults(d.image_tournament),
      rules,
    ),
  };
}

export const adapters: VectorAdapter[] = [
  {
    fn: 'get_task_work_score',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(
        z.object({ hours_to_complete: pyFloat, model_id: z.string().nullable(), model_params_count: pyFloat.nullable().default(0) }),
        input,
        'get_task_work_score',
      );
      return orPythonError(() =>
        taskWorkScore(
          { hoursToComplete: d.hours_to_complete, modelId: d.model_id ?? '', modelParamsCount: d.model_params_count },
          rulesFor(ruleSet),
        ),
      );
    },
  },
  {
    fn: '_normalise_scores',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(z.object({ quality_scores: z.array(pyFloat) }), input, '_normalise_scores');
      const scores = d.quality_scores.map((q, i) => ({ hotkey: `hk_${i}`, qualityScore: q, normalisedScore: 0.0 }));
      return orPythonError(() => normaliseScores(scores, rulesFor(ruleSet)).map((s) => s.normalisedScore));
    },
  },
  {
    fn: 'get_period_scores_from_results',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const { taskResults, multiplier } = decodePeriodResults(input);
      return periodScoresFromResults(taskResults, multiplier, rulesFor(ruleSet)).map(fromPeriodScore);
    },
    deviation: (input) =>
      hasUnscorableTasks(decodePeriodResults(input).taskResults) ? D_WEIGHTS_2 : null,
    // The original's rule, run on the input without the unscorable tasks and rows.
    expectedFixed: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const { taskResults, multiplier } = decodePeriodResults(input);
      return aggregatePeriodScores(scorableTaskResults(taskResults), multiplier, rules).map(fromPeriodScore);
    },
  },
  {
    fn: 'get_period_scores_from_task_results',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const { taskResults, now } = decodePeriodTaskResults(input);
      return periodScoresFromTaskResults(taskResults, now, rulesFor(ruleSet)).map(fromPeriodScore);
    },
    deviation: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const { taskResults, now } = decodePeriodTaskResults(input);
      const days = Math.max(rules.organicWindowDays, ...rules.periodWindowDays);
      return hasUnscorableTasks(createdWithin(taskResults, now, days)) ? D_WEIGHTS_2 : null;
    },
    expectedFixed: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const { taskResults, now } = decodePeriodTaskResults(input);
      return periodScoresFromScorableTaskResults(scorableTaskResults(taskResults), now, rules).map(fromPeriodScore);
    },
  },
  {
    fn: 'detect_suspicious_nodes',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decodeWindowed(input, 'detect_suspicious_nodes');
      // The vectors list the set sorted.
      return [...detectSuspiciousNodes(d.taskResults, d.types, d.now, d.days, rulesFor(ruleSet))].sort();
    },
    deviation: (input) => {
      const d = decodeWindowed(input, 'detect_suspicious_nodes');
      const ofTypes = d.taskResults.filter((tr) => d.types.includes(tr.task.taskType));
      return hasUnscorableTasks(createdWithin(ofTypes, d.now, d.days)) ? D_WEIGHTS_2 : null;
    },
    expectedFixed: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const d = decodeWindowed(input, 'detect_suspicious_nodes');
      const clean = scorableTaskResults(d.taskResults);
      return [...detectSuspiciousNodes(clean, d.types, d.now, d.days, rules)].sort();
    },
  },
  {
    fn: 'get_organic_proportion',
    ruleSets: REF,
    run: (input) => {
      const d = decodeWindowed(input, 'get_organic_proportion');
      return organicProportion(d.taskResults, d.types, d.now, d.days);
    },
  },
  {
    fn: 'calculate_burn_proportion+calculate_weight_redistribution',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const d = decode(z.object({ performance_diff: pyFloat }), input, 'calculate_weight_redistribution');
      const split = weightRedistribution(d.performance_diff, rules);
      return {
        burn_proportion: burnProportion(d.performance_diff, rules),
        tournament_weight: split.tournamentWeight,
        regular_weight: split.regularWeight,
        burn_weight: split.burnWeight,
      };
    },
  },
  {
    fn: 'get_tournament_burn_details',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const d = decode(
        z.object({ db: z.object({ text: historyOfType, image: historyOfType }) }),
        input,
        'get_tournament_burn_details',
      );
      const history = {
        text: { latest: toFacts(d.db.text?.latest), previous: toFacts(d.db.text?.previous) },
        image: { latest: toFacts(d.db.image?.latest), previous: toFacts(d.db.image?.previous) },
      };
      const b = tournamentBurnDetails(history, rulesFor(ruleSet));
      return {
        text_performance_diff: b.textPerformanceDiff,
        image_performance_diff: b.imagePerformanceDiff,
        weighted_average_diff: b.weightedAverageDiff,
        burn_proportion: b.burnProportion,
        tournament_weight: b.tournamentWeight,
        regular_weight: b.regularWeight,
        burn_weight: b.burnWeight,
      };
    },
  },
  {
    fn: 'get_node_weights_from_period_scores',
    ruleSets: REF,
    run: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const w = nodeWeightsFromPeriodScores(decodeNodeWeights(input, rules), rules);
      return { node_ids: w.nodeIds, node_weights: w.nodeWeights };
    },
    deviation: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      return burnUidWeightBeforeBurn(decodeNodeWeights(input, rules), rules) !== 0 ? D_WEIGHTS_1 : null;
    },
    // The original's vector, with what the burn hotkey earned elsewhere added back onto its burn share.
    expectedFixed: (input, ruleSet) => {
      const rules = rulesFor(ruleSet);
      const decoded = decodeNodeWeights(input, rules);
      const original = nodeWeightsFromPeriodScores(decoded, rules, 'overwrite');
      const burnUid = decoded.metagraphHotkeys.lastIndexOf(rules.emissionBurnHotkey);
      const weights = [...original.nodeWeights];
      weights[burnUid] = weights[burnUid]! + burnUidWeightBeforeBurn(decoded, rules);
      return { node_ids: original.nodeIds, node_weights: weights };
    },
  },
  {
    fn: '_normalize_and_quantize_weights',
    ruleSets: ['fiber-2.1.0'],
    run: (input, ruleSet) => {
      const d = decode(
        z.object({ node_ids: z.array(z.number().int()), node_weights: z.array(pyFloat) }),
        input,
        '_normalize_and_quantize_weights',
      );
      return orPythonError(() => {
        const q = normalizeAndQuantizeWeights(d.node_ids, d.node_weights, rulesFor(ruleSet));
        return { uids: q.uids, weights_u16: q.weightsU16 };
      });
    },
  },
];
