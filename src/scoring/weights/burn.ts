/**
 * The emission split between tournament, regular mining and burn at the reference version
 * (`calculate_burn_proportion`, `calculate_weight_redistribution`, `get_tournament_burn_details`; scoring.md §2.5).
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { TournamentTypeName } from '../tournament/index.ts';
import type { EmissionSplit } from './types.ts';

/** How much of the tournament pool is burned: 0 when the tournament is no worse, else min(0.8, 5·diff). */
export function burnProportion(performanceDiff: number, rules: ScoringRules = scoringRulesRef2025_08): number {
  if (performanceDiff <= 0) return 0.0;
  const reduction = performanceDiff * rules.burnReductionRate;
  // Python's min(a, b) keeps a unless b is strictly smaller (so a NaN diff gives the maximum, as there).
  return reduction < rules.maxBurnReduction ? reduction : rules.maxBurnReduction;
}

/**
 * `calculate_weight_redistribution`: the burned part of the 0.4 tournament pool goes 25 % to regular mining and
 * 75 % to burn. The three weights sum to 1.
 */
export function weightRedistribution(performanceDiff: number, rules: ScoringRules = scoringRulesRef2025_08): EmissionSplit {
  return splitForTournamentBurn(rules.baseTournamentWeight * burnProportion(performanceDiff, rules), rules);
}

function splitForTournamentBurn(tournamentBurn: number, rules: ScoringRules): EmissionSplit {
  const gain = rules.legacyPerformDiffEmissionGainPercent;
  return {
    tournamentWeight: rules.baseTournamentWeight - tournamentBurn,
    regularWeight: rules.baseRegularWeight + tournamentBurn * gain,
    burnWeight: 1 - rules.baseRegularWeight - rules.baseTournamentWeight + tournamentBurn * (1 - gain),
  };
}

/** What the weight setter reads about one completed tournament. */
export interface CompletedTournamentFacts {
  readonly tournamentId: string;
  readonly winnerHotkey: string | null;
  /** All boss-round tasks copied to general miners have finished successfully. */
  readonly synthComplete: boolean;
  /** `calculate_performance_difference` of this tournament (only read when `synthComplete`). */
  readonly performanceDifference: number | null;
}

/** Per tournament type: the latest completed tournament and the one before it. */
export type TournamentHistory = Partial<
  Record<TournamentTypeName, { readonly latest?: CompletedTournamentFacts | null; readonly previous?: CompletedTournamentFacts | null }>
>;

export interface TournamentBurnData extends EmissionSplit {
  readonly textPerformanceDiff: number | null;
  readonly imagePerformanceDiff: number | null;
  readonly weightedAverageDiff: number;
  readonly burnProportion: number;
}

/**
 * `get_tournament_burn_details`: each type's performance difference (latest tournament if its synced tasks are
 * done, else the previous one if its are; failing both, 1.0 if the burn account won else 0.0), averaged with the
 * text/image weights, gives the split. Without any tournament the whole tournament pool is burned.
 */
export function tournamentBurnDetails(history: TournamentHistory, rules: ScoringRules = scoringRulesRef2025_08): TournamentBurnData {
  let weighted = 0.0;
  let totalWeight = 0.0;
  const diffs: Record<TournamentTypeName, number | null> = { text: null, image: null };
  const types: [TournamentTypeName, number][] = [
    ['text', rules.tournamentTextWeight],
    ['image', rules.tournamentImageWeight],
  ];
  for (const [type, weight] of types) {
    const latest = history[type]?.latest ?? null;
    let diff: number | null = null;
    if (latest) {
      if (latest.synthComplete) diff = latest.performanceDifference;
      else {
        const previous = history[type]?.previous ?? null;
        if (previous && previous.synthComplete) diff = previous.performanceDifference;
      }
    }
    if (diff !== null) {
      weighted += diff * weight;
      totalWeight += weight;
    } else if (latest) {
      // No finished comparison: assume the worst if the burn account won, else a perfect tournament.
      diff = latest.winnerHotkey === rules.emissionBurnHotkey ? 1.0 : 0.0;
      weighted += diff * weight;
      totalWeight += weight;
    }
    diffs[type] = diff;
  }
  if (totalWeight === 0) {
    return {
      textPerformanceDiff: diffs.text,
      imagePerformanceDiff: diffs.image,
      weightedAverageDiff: 1.0,
      burnProportion: 1.0,
      ...splitForTournamentBurn(rules.baseTournamentWeight, rules),
      tournamentWeight: 0.0,
    };
  }
  const average = weighted / totalWeight;
  return {
    textPerformanceDiff: diffs.text,
    imagePerformanceDiff: diffs.image,
    weightedAverageDiff: average,
    burnProportion: burnProportion(average, rules),
    ...weightRedistribution(average, rules),
  };
}
