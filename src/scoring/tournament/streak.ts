/** The boss round's required margin and the champion's winning streak it depends on (spec/scoring.md §4.3). */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { Behaviour } from './types.ts';

/** `get_progressive_threshold`: 10 % up to one win, 7.5 % at two, 5 % from three on. */
export function progressiveThreshold(consecutiveWins: number, rules: ScoringRules = scoringRulesRef2025_08): number {
  if (consecutiveWins <= 1) return rules.firstDefenseThreshold;
  if (consecutiveWins === 2) return rules.secondDefenseThreshold;
  return rules.steadyStateThreshold;
}

/** A completed tournament of one type as the streak rule sees it. */
export interface CompletedTournament {
  readonly winnerHotkey: string | null;
  readonly baseWinnerHotkey: string | null;
}

/** Whether `champion` won this tournament; a defence (stored as the burn placeholder) counts unless `original`. */
export function wonBy(
  t: CompletedTournament,
  champion: string,
  behaviour: Behaviour = 'fixed',
  rules: ScoringRules = scoringRulesRef2025_08,
): boolean {
  if (t.winnerHotkey === champion) return true;
  // D-tournament-1: at a7e666d7 only `winner_hotkey == champion` counted, so every defence broke the streak.
  return behaviour === 'fixed' && t.winnerHotkey === rules.emissionBurnHotkey && t.baseWinnerHotkey === champion;
}

/**
 * `count_champion_consecutive_wins`: the leading run of completed tournaments (newest first) won by the
 * champion. With the fix a defence counts, so the threshold decays as documented (spec §6.1).
 */
export function championConsecutiveWins(
  champion: string,
  completedNewestFirst: readonly CompletedTournament[],
  behaviour: Behaviour = 'fixed',
  rules: ScoringRules = scoringRulesRef2025_08,
): number {
  let wins = 0;
  for (const t of completedNewestFirst) {
    if (!wonBy(t, champion, behaviour, rules)) break;
    wins += 1;
  }
  return wins;
}
