/** Per-type tournament scores and the reference version's combined tournament weights (spec/scoring.md §4.4). */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { tournamentScoresToWeights } from './rank-weights.ts';
import { pyTruthy } from './python.ts';
import type { TournamentResults, TournamentScore, TournamentTypeName, TournamentTypeResult } from './types.ts';

/**
 * The real winner of a completed tournament: a defence is stored as the burn placeholder, so the champion's
 * hotkey is then `base_winner_hotkey`.
 */
export function realWinner(data: Pick<TournamentResults, 'winnerHotkey' | 'baseWinnerHotkey'>, rules: ScoringRules = scoringRulesRef2025_08): string | null {
  if (data.winnerHotkey === rules.emissionBurnHotkey && pyTruthy(data.baseWinnerHotkey)) return data.baseWinnerHotkey;
  return data.winnerHotkey;
}

/**
 * `calculate_tournament_type_scores_from_data`: every task won by someone other than the real winner (and
 * other than the burn placeholder standing in for a champion) earns round_number x type weight. The winner
 * "won the final" when a final-round task went to it or to the placeholder of an existing champion.
 */
export function tournamentTypeScores(
  tournamentType: TournamentTypeName | string,
  data: TournamentResults | null,
  rules: ScoringRules = scoringRulesRef2025_08,
): TournamentTypeResult {
  if (!data) return { scores: [], prevWinnerHotkey: null, prevWinnerWonFinal: false };
  const typeWeight = tournamentType === 'text' ? rules.tournamentTextWeight : rules.tournamentImageWeight;
  const winner = realWinner(data, rules);
  const champion = pyTruthy(data.baseWinnerHotkey);
  const burn = rules.emissionBurnHotkey;
  const totals = new Map<string, number>();
  let wonFinal = false;
  for (const round of data.rounds) {
    for (const task of round.tasks) {
      const w = task.winner;
      if (round.isFinalRound && pyTruthy(winner) && w === winner) wonFinal = true;
      if (round.isFinalRound && w === burn && champion) wonFinal = true;
      if (w !== null && w !== '' && w !== winner && !(w === burn && champion)) {
        totals.set(w, (totals.get(w) ?? 0) + round.roundNumber * typeWeight);
      }
    }
  }
  const scores: TournamentScore[] = [...totals].map(([hotkey, score]) => ({ hotkey, score }));
  return { scores, prevWinnerHotkey: winner, prevWinnerWonFinal: wonFinal };
}

/**
 * `get_tournament_weights_from_data` at the reference version: both types' scores merged into one ranking
 * behind the text winner (or the image winner when there is no text tournament).
 *
 * With both types present this ranking leaves out the image champion; the original's weight setter never
 * uses it that way (it calls this once per type, with the other type absent), and neither does ours.
 */
export function tournamentWeights(
  text: TournamentResults | null,
  image: TournamentResults | null,
  rules: ScoringRules = scoringRulesRef2025_08,
): Map<string, number> {
  const textResult = tournamentTypeScores('text', text, rules);
  const imageResult = tournamentTypeScores('image', image, rules);
  const combined = new Map<string, number>();
  for (const s of [...textResult.scores, ...imageResult.scores]) combined.set(s.hotkey, (combined.get(s.hotkey) ?? 0) + s.score);
  const scores = [...combined].map(([hotkey, score]) => ({ hotkey, score }));
  const prevWinner = pyTruthy(textResult.prevWinnerHotkey) ? textResult.prevWinnerHotkey : imageResult.prevWinnerHotkey;
  const wonFinal = textResult.prevWinnerWonFinal || imageResult.prevWinnerWonFinal;
  return tournamentScoresToWeights(scores, prevWinner, wonFinal, rules);
}
