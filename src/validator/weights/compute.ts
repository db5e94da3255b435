/**
 * A week of scored tasks → the weight vector (scoring.md §2, §5) and the scores file published beside each
 * weight setting (miner-protocol-chain.md §9), which lets an auditor recompute the same vector.
 */
import type { ScoredTaskRow } from '../../db/queries/validator-weights.ts';
import type { ScoringRules } from '../../core/rules/scoring.ts';
import {
  nodeWeightsFromPeriodScores,
  normalizeAndQuantizeWeights,
  periodScoresFromTaskResults,
  tournamentBurnDetails,
  type PeriodScore,
  type TaskResult,
  type TournamentHistory,
} from '../../scoring/weights/index.ts';

/** A stored task row as the scoring functions read it (µs timestamps). */
export function taskResultOf(row: ScoredTaskRow): TaskResult {
  return {
    task: {
      taskType: row.task_type,
      isOrganic: row.is_organic,
      createdAt: row.created_at.getTime() * 1000,
      hoursToComplete: row.hours_to_complete,
      modelId: row.model_id,
      modelParamsCount: row.model_params_count ?? 0,
    },
    nodeScores: row.node_scores.map((n) => ({ hotkey: n.hotkey, qualityScore: n.quality_score })),
  };
}

export interface WeightsInput {
  rows: readonly ScoredTaskRow[];
  /** Metagraph hotkeys by uid. */
  metagraphHotkeys: readonly string[];
  history: TournamentHistory;
  participants: readonly string[];
  tournamentWeights: ReadonlyMap<string, number>;
  now: Date;
  rules: ScoringRules;
}

export interface ComputedWeights {
  periodScores: PeriodScore[];
  nodeIds: number[];
  nodeWeights: number[];
  uids: number[];
  weightsU16: number[];
  split: { tournamentWeight: number; regularWeight: number; burnWeight: number };
}

/** Null when there is nothing to set (no period score, as the original skips; or every weight zero). */
export function computeWeights(input: WeightsInput): ComputedWeights | null {
  const periodScores = periodScoresFromTaskResults(input.rows.map(taskResultOf), input.now.getTime() * 1000, input.rules);
  if (periodScores.length === 0) return null;
  const burn = tournamentBurnDetails(input.history, input.rules);
  const split = { tournamentWeight: burn.tournamentWeight, regularWeight: burn.regularWeight, burnWeight: burn.burnWeight };
  const { nodeIds, nodeWeights } = nodeWeightsFromPeriodScores(
    {
      metagraphHotkeys: input.metagraphHotkeys,
      split,
      participants: input.participants,
      periodScores,
      tournamentWeights: input.tournamentWeights,
    },
    input.rules,
  );
  const q = normalizeAndQuantizeWeights(nodeIds, nodeWeights, input.rules);
  if (q.uids.length === 0) return null;
  return { periodScores, nodeIds, nodeWeights, uids: q.uids, weightsU16: q.weightsU16, split };
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/**
 * The scores file: `{task_results, tournament_audit_data}` with the original's `TaskResults.model_dump()` field
 * names (auditors parse them), plus `weights` — what was actually sent, so a reader can compare without the chain.
 */
export function scoresFile(
  rows: readonly ScoredTaskRow[],
  tournamentAuditData: Record<string, unknown>,
  sent: { netuid: number; uids: readonly number[]; weights: readonly number[]; versionKey: number; createdAt: Date },
): Record<string, unknown> {
  return {
    task_results: rows.map((r) => ({
      task: {
        is_organic: r.is_organic,
        task_id: r.task_id,
        model_id: r.model_id,
        ds: r.ds,
        file_format: 'hf',
        status: r.status,
        account_id: r.account_id,
        times_delayed: r.times_delayed,
        hours_to_complete: r.hours_to_complete,
        assigned_miners: null,
        miner_scores: null,
        task_type: r.task_type,
        created_at: iso(r.created_at),
        next_delay_at: iso(r.next_delay_at),
        updated_at: iso(r.updated_at),
        started_at: iso(r.started_at),
        termination_at: iso(r.termination_at),
        completed_at: iso(r.completed_at),
        model_params_count: r.model_params_count ?? 0,
      },
      node_scores: r.node_scores.map((n) => ({ task_id: n.task_id, hotkey: n.hotkey, quality_score: n.quality_score })),
    })),
    tournament_audit_data: tournamentAuditData,
    weights: {
      netuid: sent.netuid,
      uids: [...sent.uids],
      weights: [...sent.weights],
      version_key: sent.versionKey,
      created_at: sent.createdAt.toISOString(),
    },
  };
}

/** `latest_scores_YYYY-MM-DD_HH-MM-SS.json` (UTC). */
export function scoresFileKey(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `latest_scores_${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}_${p(at.getUTCHours())}-${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}.json`;
}
