/**
 * Rank weights inside one tournament type (spec/scoring.md §4.4): exponential decay by rank, with the
 * previous winner placed first.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { TournamentScore } from './types.ts';

/**
 * `exponential_decline_mapping`: decay^(rank-1) normalised over ranks 1..N; 1.0 when N <= 1. `rank` may be
 * fractional (tied entries share the mean of their ranks). The normaliser is summed left to right, like the
 * original, so results are bit-identical.
 */
export function exponentialDeclineMapping(
  totalParticipants: number,
  rank: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): number {
  if (totalParticipants <= 1) return 1.0;
  const base = rules.tournamentSimpleDecayBase;
  let total = 0;
  for (let r = 1; r <= totalParticipants; r++) total += base ** (r - 1);
  return base ** (rank - 1) / total;
}

/**
 * `tournament_scores_to_weights`: positive scores ranked descending, equal scores sharing a fractional rank.
 * The previous winner goes first (score +inf) when it won the final or is not among the scorers; otherwise it
 * is appended at max - 0.1 (unreachable in practice). The Map keeps the original dict's insertion order: groups
 * by descending score, and a hotkey listed twice keeps its first position with its last group's weight.
 * With ties the weights do not sum to 1 (see docs/scoring: the original's rule, kept).
 */
export function tournamentScoresToWeights(
  scores: readonly TournamentScore[],
  prevWinnerHotkey: string | null,
  prevWinnerWonFinal: boolean,
  rules: ScoringRules = scoringRulesRef2025_08,
): Map<string, number> {
  const weights = new Map<string, number>();
  const hasWinner = prevWinnerHotkey !== null && prevWinnerHotkey !== '';
  if (scores.length === 0 && !hasWinner) return weights;

  const entries: TournamentScore[] = scores.filter((s) => s.score > 0);
  if (hasWinner) {
    const winnerFirst = { hotkey: prevWinnerHotkey, score: Infinity };
    if (prevWinnerWonFinal) {
      entries.unshift(winnerFirst);
    } else if (entries.some((s) => s.hotkey === prevWinnerHotkey)) {
      let max = entries[0]?.score as number;
      for (const s of entries) if (s.score > max) max = s.score;
      entries.push({ hotkey: prevWinnerHotkey, score: max - 0.1 });
    } else {
      entries.unshift(winnerFirst);
    }
  }
  if (entries.length === 0) return weights;

  const groups = new Map<number, string[]>();
  for (const entry of entries) {
    const group = groups.get(entry.score);
    if (group) group.push(entry.hotkey);
    else groups.set(entry.score, [entry.hotkey]);
  }
  const ordered = [...groups.keys()].sort((a, b) => b - a);
  const total = entries.length;
  let rank = 1;
  for (const score of ordered) {
    const hotkeys = groups.get(score) as string[];
    const meanRank = hotkeys.length === 1 ? rank : rank + (hotkeys.length - 1) / 2;
    const weight = exponentialDeclineMapping(total, meanRank, rules);
    for (const hotkey of hotkeys) weights.set(hotkey, weight);
    rank += hotkeys.length;
  }
  return weights;
}
