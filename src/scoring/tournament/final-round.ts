/**
 * `calculate_final_round_winner` (spec/scoring.md §4.6): the reference version's fixed 5 % margin rule. The
 * original never calls it (the boss round uses the progressive threshold); it is kept for conformance and
 * for reading old decisions.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { pyMax2, pyTruthy } from './python.ts';

export interface ParticipantScore {
  readonly hotkey: string | null;
  readonly testLoss: number | null;
  readonly synthLoss: number | null;
}

export function finalRoundWinner(
  participantScores: readonly ParticipantScore[],
  prevWinnerHotkey: string | null,
  taskType: string,
  rules: ScoringRules = scoringRulesRef2025_08,
): string | null {
  if (participantScores.length < 2) return null;
  let prev: [number, number] | null = null;
  let contender: [number, number] | null = null;
  let contenderHotkey: string | null = null;
  for (const p of participantScores) {
    // The original skips "falsy" losses, so a loss of exactly 0 counts as missing while NaN does not.
    if (!pyTruthy(p.testLoss) || !pyTruthy(p.synthLoss)) continue;
    const pair: [number, number] = [p.testLoss as number, p.synthLoss as number];
    if (p.hotkey === prevWinnerHotkey) prev = pair;
    else if (contenderHotkey === null) {
      contenderHotkey = p.hotkey;
      contender = pair;
    }
  }
  if (prev && !contender) return prevWinnerHotkey;
  if (contender && !prev) return contenderHotkey;
  if (!(prev && contender && pyTruthy(contenderHotkey))) return null;
  const prevLoss = pyMax2(prev[0], prev[1]);
  const contLoss = pyMax2(contender[0], contender[1]);
  const factor = 1 + rules.finalRoundWinMargin;
  if (taskType === 'GrpoTask') return contLoss > prevLoss * factor ? contenderHotkey : prevWinnerHotkey;
  return contLoss * factor < prevLoss ? contenderHotkey : prevWinnerHotkey;
}
