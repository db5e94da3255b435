/**
 * The weight vector a scores file implies (miner-protocol-chain.md §9 step 2), with the same scoring functions and
 * rule set the validator's weight setter uses: period scores from `task_results` at the instant the validator
 * computed them, the emission split and participants from `tournament_audit_data`, tournament rank weights from
 * its text/image results, mapped to uids by the metagraph, then fiber's u16 quantisation.
 *
 * Two deliberate differences from the original's auditor: windows are measured from the file's own `created_at`
 * (the original uses the auditor's clock, so its 1/3/7-day buckets drift from the validator's), and tournament
 * weights are combined per type as the weight setter does (`combinedTournamentWeights`, 0.65/0.35), not ranked
 * together as the original's auditor does — the original's auditor and weight setter disagree there.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import type { TournamentResultsWithWinners } from '../core/models/tournament.ts';
import type { TournamentResults } from '../scoring/tournament/index.ts';
import {
  combinedTournamentWeights,
  isoToMicros,
  nodeWeightsFromPeriodScores,
  normalizeAndQuantizeWeights,
  periodScoresFromTaskResults,
  tournamentBurnDetails,
  type EmissionSplit,
  type TaskResult,
} from '../scoring/weights/index.ts';
import type { ScoresFile, TournamentAuditData } from './schema.ts';

export class RecomputeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecomputeError';
  }
}

export interface Recomputed {
  /** Destination uids and u16 weights, as `set_weights` would carry them; empty when nothing would be set. */
  uids: number[];
  weightsU16: number[];
  /** Float weight per metagraph uid before quantisation. */
  nodeWeights: number[];
  periodScoreCount: number;
  split: EmissionSplit;
  /** Where the split came from: the file's multipliers, or the rules' "no tournament ran" split. */
  splitSource: 'published' | 'no_tournament';
  participants: string[];
  tournamentWeights: Map<string, number>;
  /** The instant (µs) the 1/3/7-day windows were measured from. */
  nowMicros: number;
  notes: string[];
}

export function taskResultsOf(file: ScoresFile): TaskResult[] {
  return file.task_results.map((r) => ({
    task: {
      taskType: r.task.task_type,
      isOrganic: r.task.is_organic,
      createdAt: isoToMicros(r.task.created_at),
      hoursToComplete: r.task.hours_to_complete,
      modelId: r.task.model_id,
      modelParamsCount: r.task.model_params_count ?? 0,
    },
    nodeScores: r.node_scores.map((n) => ({ hotkey: n.hotkey, qualityScore: n.quality_score })),
  }));
}

function tournamentResultsOf(data: TournamentResultsWithWinners | null | undefined): TournamentResults | null {
  if (!data) return null;
  return {
    winnerHotkey: data.winner_hotkey ?? null,
    baseWinnerHotkey: data.base_winner_hotkey ?? null,
    rounds: data.rounds.map((r) => ({ roundNumber: r.round_number, isFinalRound: r.is_final_round, tasks: r.tasks.map((t) => ({ winner: t.winner })) })),
  };
}

function splitOf(tad: TournamentAuditData, rules: ScoringRules): { split: EmissionSplit; source: Recomputed['splitSource'] } {
  const { tournament_weight_multiplier: t, regular_weight_multiplier: r, burn_weight: b } = tad;
  if (t !== undefined && r !== undefined && b !== undefined) return { split: { tournamentWeight: t, regularWeight: r, burnWeight: b }, source: 'published' };
  if (t !== undefined || r !== undefined || b !== undefined) {
    throw new RecomputeError('tournament_audit_data gives only part of the emission split (tournament_weight_multiplier, regular_weight_multiplier, burn_weight)');
  }
  if (tad.text_tournament_data || tad.image_tournament_data) {
    throw new RecomputeError('tournament_audit_data has tournament results but no emission split; the split cannot be recomputed from the file');
  }
  // No tournament published and no split: what the weight setter uses when no tournament has completed.
  const burn = tournamentBurnDetails({}, rules);
  return { split: { tournamentWeight: burn.tournamentWeight, regularWeight: burn.regularWeight, burnWeight: burn.burnWeight }, source: 'no_tournament' };
}

export interface RecomputeInput {
  file: ScoresFile;
  /** Hotkey of each uid in the current metagraph (index = uid). */
  metagraphHotkeys: readonly string[];
  rules?: ScoringRules;
  /** Used only when the file has no `weights.created_at` (a file from the original validator). */
  fallbackNowMs: number;
}

export function recomputeWeights(input: RecomputeInput): Recomputed {
  const rules = input.rules ?? scoringRulesRef2025_08;
  const notes: string[] = [];
  let nowMicros: number;
  if (input.file.weights) nowMicros = isoToMicros(input.file.weights.created_at);
  else {
    nowMicros = input.fallbackNowMs * 1000;
    notes.push("the scores file does not say when it was computed; windows are measured from the auditor's clock (as the original's auditor does)");
  }
  const taskResults = taskResultsOf(input.file);
  const periodScores = periodScoresFromTaskResults(taskResults, nowMicros, rules);
  const tad: TournamentAuditData = input.file.tournament_audit_data ?? {};
  const { split, source } = splitOf(tad, rules);
  if (source === 'no_tournament') notes.push('no tournament data published: using the no-tournament emission split');
  const participants = tad.participants ?? [];
  const tournamentWeights = combinedTournamentWeights(tournamentResultsOf(tad.text_tournament_data), tournamentResultsOf(tad.image_tournament_data), rules);
  const base = { periodScoreCount: periodScores.length, split, splitSource: source, participants, tournamentWeights, nowMicros, notes };
  if (periodScores.length === 0) {
    // The reference weight setter sets nothing without a period score.
    notes.push('no period score in the file: the validator would not have set weights from it');
    return { ...base, uids: [], weightsU16: [], nodeWeights: new Array<number>(input.metagraphHotkeys.length).fill(0) };
  }
  const { nodeIds, nodeWeights } = nodeWeightsFromPeriodScores(
    { metagraphHotkeys: input.metagraphHotkeys, split, participants, periodScores, tournamentWeights },
    rules,
  );
  const q = normalizeAndQuantizeWeights(nodeIds, nodeWeights, rules);
  return { ...base, uids: q.uids, weightsU16: q.weightsU16, nodeWeights };
}
