/**
 * Conformance adapters for the tournament rules (vectors/README.md): each maps a vector case's snake_case
 * input onto the pure functions and returns the output in the vector's shape. Inputs are validated with zod,
 * so a malformed case fails with the field path instead of a TypeError deep inside a rule.
 *
 * Deviations (docs/deviations.md) are recognised here by rule — the function plus a condition on the input —
 * and their expected results are restated from the document: either directly (the rule is short), or as the
 * original's behaviour applied to the input with the documented change made to it.
 */
import { z } from 'zod';
import { scoringRuleSets, type ScoringRules } from '../../core/rules/scoring.ts';
import { VectorError, type Json, type RuleSetName, type VectorAdapter } from '../../conformance/types.ts';
import { mostCommonFirst } from './python.ts';
import { exponentialDeclineMapping, tournamentScoresToWeights } from './rank-weights.ts';
import { tournamentTypeScores, tournamentWeights } from './type-scores.ts';
import { championConsecutiveWins, progressiveThreshold } from './streak.ts';
import { finalRoundWinner } from './final-round.ts';
import { bossRoundTaskOutcomes, groupWinners, knockoutWinners } from './round-winners.ts';
import {
  InvalidTaskTypeError,
  performanceDifference,
  tournamentPerformanceData,
  type BossTaskPair,
  type PairPerformance,
} from './performance.ts';
import type { Behaviour, RoundTask, TaskNodeRow, TournamentResults } from './types.ts';

const REF: readonly RuleSetName[] = ['ref-2025-08'];

function rulesFor(ruleSet: RuleSetName): ScoringRules {
  const rules = scoringRuleSets[ruleSet];
  if (!rules) throw new Error(`no scoring rules for rule set ${ruleSet}`);
  return rules;
}

/** Any number, NaN and ±Infinity included (zod's `number()` refuses the non-finite ones). */
const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const optNum = num.nullable().optional().transform((v) => v ?? null);
const optStr = z.string().nullable().optional().transform((v) => v ?? null);

function parse<T>(schema: z.ZodType<T>, input: Json): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? ['input', ...issue.path.map(String)].join('.') : 'input';
  throw new Error(`invalid vector input at ${path}: ${issue?.message ?? 'invalid'}`);
}

// ---------------------------------------------------------------------------------------------------------
// Rank weights and per-type scores

const tournamentDataSchema = z
  .object({
    winner_hotkey: optStr,
    base_winner_hotkey: optStr,
    rounds: z.array(
      z.object({
        round_number: num,
        is_final_round: z.boolean().optional().default(false),
        tasks: z.array(z.object({ winner: optStr })),
      }),
    ),
  })
  .nullable()
  .optional()
  .transform((d): TournamentResults | null =>
    d
      ? {
          winnerHotkey: d.winner_hotkey,
          baseWinnerHotkey: d.base_winner_hotkey,
          rounds: d.rounds.map((r) => ({ roundNumber: r.round_number, isFinalRound: r.is_final_round, tasks: r.tasks })),
        }
      : null,
  );

const exponentialDecline: VectorAdapter = {
  fn: 'exponential_decline_mapping',
  ruleSets: REF,
  run(input, ruleSet) {
    const i = parse(z.object({ total_participants: num, rank: num }), input);
    return exponentialDeclineMapping(i.total_participants, i.rank, rulesFor(ruleSet));
  },
};

const scoresToWeights: VectorAdapter = {
  fn: 'tournament_scores_to_weights',
  ruleSets: REF,
  orderedKeys: true,
  run(input, ruleSet) {
    const i = parse(
      z.object({
        tournament_scores: z.array(z.object({ hotkey: z.string(), score: num })),
        prev_winner_hotkey: optStr,
        prev_winner_won_final: z.boolean(),
      }),
      input,
    );
    return tournamentScoresToWeights(i.tournament_scores, i.prev_winner_hotkey, i.prev_winner_won_final, rulesFor(ruleSet));
  },
};

const typeScores: VectorAdapter = {
  fn: 'calculate_tournament_type_scores_from_data',
  ruleSets: REF,
  run(input, ruleSet) {
    const i = parse(z.object({ tournament_type: z.string(), tournament_data: tournamentDataSchema }), input);
    const r = tournamentTypeScores(i.tournament_type, i.tournament_data, rulesFor(ruleSet));
    return { scores: r.scores, prev_winner_hotkey: r.prevWinnerHotkey, prev_winner_won_final: r.prevWinnerWonFinal };
  },
};

const weightsFromData: VectorAdapter = {
  fn: 'get_tournament_weights_from_data',
  ruleSets: REF,
  orderedKeys: true,
  run(input, ruleSet) {
    const i = parse(z.object({ text: tournamentDataSchema, image: tournamentDataSchema }), input);
    return tournamentWeights(i.text, i.image, rulesFor(ruleSet));
  },
};

// ---------------------------------------------------------------------------------------------------------
// Thresholds, streaks, the dead 5 % rule

const finalRound: VectorAdapter = {
  fn: 'calculate_final_round_winner',
  ruleSets: REF,
  run(input, ruleSet) {
    const i = parse(
      z.object({
        task_type: z.string(),
        prev_winner_hotkey: optStr,
        participant_scores: z.array(z.object({ hotkey: optStr, test_loss: optNum, synth_loss: optNum })),
      }),
      input,
    );
    const scores = i.participant_scores.map((p) => ({ hotkey: p.hotkey, testLoss: p.test_loss, synthLoss: p.synth_loss }));
    return finalRoundWinner(scores, i.prev_winner_hotkey, i.task_type, rulesFor(ruleSet));
  },
};

const threshold: VectorAdapter = {
  fn: 'get_progressive_threshold',
  ruleSets: REF,
  run(input, ruleSet) {
    return progressiveThreshold(parse(z.object({ consecutive_wins: num }), input).consecutive_wins, rulesFor(ruleSet));
  },
};

const streakInput = z
  .object({ champion_hotkey: z.string(), completed_newest_first: z.array(z.tuple([optStr, optStr])) })
  .transform((i) => ({
    champion: i.champion_hotkey,
    completed: i.completed_newest_first.map(([winnerHotkey, baseWinnerHotkey]) => ({ winnerHotkey, baseWinnerHotkey })),
  }));

const streak: VectorAdapter = {
  fn: 'count_champion_consecutive_wins',
  ruleSets: REF,
  run(input, ruleSet) {
    const i = parse(streakInput, input);
    return championConsecutiveWins(i.champion, i.completed, 'fixed', rulesFor(ruleSet));
  },
  // D-tournament-1 applies when the streak runs through a defence: a tournament stored with the burn
  // placeholder as winner and this champion as base winner, before any tournament someone else won.
  deviation(input, ruleSet) {
    const { champion, completed } = parse(streakInput, input);
    const burn = rulesFor(ruleSet).emissionBurnHotkey;
    for (const t of completed) {
      if (t.winnerHotkey === champion) continue;
      if (t.winnerHotkey === burn && t.baseWinnerHotkey === champion) {
        return { id: 'D-tournament-1', reason: 'a title defence (stored as the burn placeholder) counts toward the streak' };
      }
      break;
    }
    return null;
  },
  // The documented rule: count newest first while the champion won or defended.
  expectedFixed(input, ruleSet) {
    const { champion, completed } = parse(streakInput, input);
    const burn = rulesFor(ruleSet).emissionBurnHotkey;
    let n = 0;
    while (n < completed.length) {
      const t = completed[n]!;
      if (!(t.winnerHotkey === champion || (t.winnerHotkey === burn && t.baseWinnerHotkey === champion))) break;
      n += 1;
    }
    return n;
  },
};

// ---------------------------------------------------------------------------------------------------------
// Round winners (DB faked as `db{tournament, consecutive_wins, round_tasks, tasks{id}, groups}`)

const rowSchema = z.object({ hotkey: z.string(), quality_score: optNum, test_loss: optNum, synth_loss: optNum });
const taskSchema = z.object({
  task_type: optStr,
  group_id: optStr,
  rows: z.array(rowSchema).optional().default([]),
  training_status: z.record(z.string(), z.string()).optional().default({}),
});
const dbSchema = z.object({
  tournament: z.object({ tournament_type: optStr, base_winner_hotkey: optStr }).nullable().optional(),
  consecutive_wins: num.optional().default(0),
  round_tasks: z.array(z.string()).optional().default([]),
  tasks: z.record(z.string(), taskSchema).optional().default({}),
  groups: z.record(z.string(), z.array(z.string())).optional().default({}),
  pairs: z
    .array(z.object({ tournament_task_id: z.string(), synthetic_task_id: z.string(), winner_hotkey: optStr, task_type: z.string() }))
    .optional()
    .default([]),
});
const roundInput = z.object({ round: z.object({ is_final_round: z.boolean().optional().default(false) }).optional(), db: dbSchema });

function toRows(rows: readonly z.infer<typeof rowSchema>[]): TaskNodeRow[] {
  return rows.map((r) => ({ hotkey: r.hotkey, qualityScore: r.quality_score, testLoss: r.test_loss, synthLoss: r.synth_loss }));
}

function roundTasksOf(db: z.infer<typeof dbSchema>): RoundTask[] {
  return db.round_tasks.map((id): RoundTask => {
    const t = Object.hasOwn(db.tasks, id) ? db.tasks[id] : undefined;
    // A task listed by the round but missing from the tasks table reads as "no rows" in the original.
    if (!t) return { taskId: id, taskType: null, groupId: null, rows: [], trainingStatus: {} };
    return { taskId: id, taskType: t.task_type, groupId: t.group_id, rows: toRows(t.rows), trainingStatus: t.training_status };
  });
}

function knockoutFor(input: Json, ruleSet: RuleSetName, behaviour: Behaviour): string[] {
  const i = parse(roundInput, input);
  const isFinal = i.round?.is_final_round ?? false;
  // The boss round starts by reading the tournament; the original returns no winners when it is missing.
  if (isFinal && !i.db.tournament) return [];
  return knockoutWinners({ isFinalRound: isFinal, tasks: roundTasksOf(i.db) }, i.db.consecutive_wins, behaviour, rulesFor(ruleSet));
}

const knockout: VectorAdapter = {
  fn: 'get_knockout_winners',
  ruleSets: REF,
  run: (input, ruleSet) => knockoutFor(input, ruleSet, 'fixed'),
  // D-tournament-2 applies to a boss round with a task decided on scores where the boss's score is negative.
  deviation(input, ruleSet) {
    const i = parse(roundInput, input);
    if (!(i.round?.is_final_round ?? false) || !i.db.tournament) return null;
    const outcomes = bossRoundTaskOutcomes(roundTasksOf(i.db), i.db.consecutive_wins, 'original', rulesFor(ruleSet));
    const hit = outcomes.find((o) => o.decidedBy === 'loss' && (o.bossLoss as number) < 0);
    return hit ? { id: 'D-tournament-2', reason: `boss score ${hit.bossLoss} on task ${hit.taskId} is negative: margin applied to its magnitude` } : null;
  },
  // The documented result: each task decided on scores is re-decided with the margin on the boss score's
  // magnitude (b·(1−t) for higher-is-better, b·(1+t) otherwise, when b < 0); then the usual most-common tally.
  expectedFixed(input, ruleSet) {
    const i = parse(roundInput, input);
    const rules = rulesFor(ruleSet);
    const t = progressiveThreshold(i.db.consecutive_wins, rules);
    const outcomes = bossRoundTaskOutcomes(roundTasksOf(i.db), i.db.consecutive_wins, 'original', rules);
    const winners = outcomes.flatMap((o) => {
      if (o.decidedBy !== 'loss') return o.winner === null ? [] : [o.winner];
      const b = o.bossLoss as number;
      const c = o.challengerLoss as number;
      const bossKeeps = o.higherIsBetter ? b * (b < 0 ? 1 - t : 1 + t) > c : b * (b < 0 ? 1 + t : 1 - t) < c;
      return [bossKeeps ? rules.emissionBurnHotkey : (o.challenger as string)];
    });
    return [mostCommonFirst(winners) ?? rules.emissionBurnHotkey];
  },
};

const group: VectorAdapter = {
  fn: 'get_group_winners',
  ruleSets: REF,
  run(input) {
    const i = parse(roundInput, input);
    return groupWinners(roundTasksOf(i.db), i.db.groups);
  },
};

// ---------------------------------------------------------------------------------------------------------
// Performance difference (`get_tournament_performance_data` + mean)

function performanceFor(db: z.infer<typeof dbSchema>, ruleSet: RuleSetName, behaviour: Behaviour): Json {
  const pairs: BossTaskPair[] = db.pairs.map((p) => ({
    tournamentTaskId: p.tournament_task_id,
    syntheticTaskId: p.synthetic_task_id,
    winnerHotkey: p.winner_hotkey,
    taskType: p.task_type,
  }));
  const rowsByTask = new Map(Object.entries(db.tasks).map(([id, t]) => [id, toRows(t.rows)]));
  let data: PairPerformance[];
  try {
    data = tournamentPerformanceData(pairs, rowsByTask, behaviour, rulesFor(ruleSet));
  } catch (err) {
    if (err instanceof InvalidTaskTypeError) throw new VectorError('ValueError', err.message);
    throw err;
  }
  return {
    per_pair: data.map((d) => ({
      tournament_task_id: d.tournamentTaskId,
      synthetic_task_id: d.syntheticTaskId,
      task_type: d.taskType,
      tournament_winner_score: d.tournamentWinnerScore,
      best_synthetic_score: d.bestSyntheticScore,
      performance_difference: d.performanceDifference,
    })),
    performance_difference: performanceDifference(data),
  };
}

/** Rows the batch score query keeps: both losses present and not NaN. */
const scored = (r: z.infer<typeof rowSchema>): boolean =>
  r.test_loss !== null && !Number.isNaN(r.test_loss) && r.synth_loss !== null && !Number.isNaN(r.synth_loss);

const performance: VectorAdapter = {
  fn: 'calculate_performance_difference',
  ruleSets: REF,
  run: (input, ruleSet) => performanceFor(parse(z.object({ db: dbSchema }), input).db, ruleSet, 'fixed'),
  // D-tournament-3: a pair whose winner is a challenger with its own row while the burn placeholder also
  // played. D-tournament-4: a pair whose synced copy has a row at the outside-top-4 sentinel.
  deviation(input, ruleSet) {
    const { db } = parse(z.object({ db: dbSchema }), input);
    const rules = rulesFor(ruleSet);
    const burn = rules.emissionBurnHotkey;
    const ids: string[] = [];
    const rowsOf = (id: string) => (Object.hasOwn(db.tasks, id) ? db.tasks[id]!.rows.filter(scored) : []);
    for (const p of db.pairs) {
      const t = rowsOf(p.tournament_task_id);
      if (p.winner_hotkey !== burn && t.some((r) => r.hotkey === burn) && t.some((r) => r.hotkey === p.winner_hotkey)) ids.push('D-tournament-3');
      if (rowsOf(p.synthetic_task_id).some((r) => r.synth_loss === rules.outsideTopSynthLoss)) ids.push('D-tournament-4');
    }
    const unique = [...new Set(ids)];
    if (unique.length === 0) return null;
    const reasons: Record<string, string> = {
      'D-tournament-3': "the winner's own score is measured, not the losing placeholder's",
      'D-tournament-4': 'copy rows never evaluated on the synthetic set do not count as the best synthetic score',
    };
    return { id: unique.join('+'), reason: unique.map((id) => reasons[id]).join('; ') };
  },
  // The documented result: the original's computation on the input with the documented change made to the
  // data — the placeholder's rows dropped from tasks where the winner has its own, sentinel rows dropped
  // from synced copies.
  expectedFixed(input, ruleSet) {
    const { db } = parse(z.object({ db: dbSchema }), input);
    const rules = rulesFor(ruleSet);
    const burn = rules.emissionBurnHotkey;
    const tasks = structuredClone(db.tasks);
    for (const p of db.pairs) {
      const t = tasks[p.tournament_task_id];
      if (t && p.winner_hotkey !== burn && t.rows.filter(scored).some((r) => r.hotkey === p.winner_hotkey)) {
        t.rows = t.rows.filter((r) => r.hotkey !== burn);
      }
      const s = tasks[p.synthetic_task_id];
      if (s) s.rows = s.rows.filter((r) => !(scored(r) && r.synth_loss === rules.outsideTopSynthLoss));
    }
    return performanceFor({ ...db, tasks }, ruleSet, 'original');
  },
};

export const adapters: VectorAdapter[] = [
  exponentialDecline,
  scoresToWeights,
  typeScores,
  weightsFromData,
  finalRound,
  threshold,
  streak,
  knockout,
  group,
  performance,
];

/**
 * The original's behaviour, in the vectors' shape, for the functions a deviation touches. Tests run every case
 * of those files through it: it must reproduce the original's outputs, deviation cases included, which shows
 * each deviation changes only what docs/deviations.md says.
 */
export const originalBehaviour: Readonly<Record<string, (input: Json, ruleSet: RuleSetName) => unknown>> = {
  count_champion_consecutive_wins(input, ruleSet) {
    const i = parse(streakInput, input);
    return championConsecutiveWins(i.champion, i.completed, 'original', rulesFor(ruleSet));
  },
  get_knockout_winners: (input, ruleSet) => knockoutFor(input, ruleSet, 'original'),
  calculate_performance_difference: (input, ruleSet) =>
    performanceFor(parse(z.object({ db: dbSchema }), input).db, ruleSet, 'original'),
};
