/**
 * Tournament decisions and tournament weights (spec/scoring.md §4): pure functions over plain data, each named
 * after the original's rule. Every function takes the rule set last (default: the reference `ref-2025-08`);
 * those touched by a documented deviation also take a `Behaviour` (default `fixed`, see docs/deviations.md).
 */
export { exponentialDeclineMapping, tournamentScoresToWeights } from './rank-weights.ts';
export { realWinner, tournamentTypeScores, tournamentWeights } from './type-scores.ts';
export { progressiveThreshold, championConsecutiveWins, wonBy, type CompletedTournament } from './streak.ts';
export { finalRoundWinner, type ParticipantScore } from './final-round.ts';
export { adjustedLosses, resultsForRanking, type RankedRow } from './boss-ranking.ts';
export {
  taskWinner,
  bossKeepsTask,
  bossRoundTaskOutcomes,
  bossRoundWinner,
  knockoutWinners,
  groupWinners,
  type BossTaskOutcome,
  type KnockoutRound,
} from './round-winners.ts';
export {
  tournamentPerformanceData,
  performanceDifference,
  winnerLookupHotkey,
  syntheticRowsThatCount,
  InvalidTaskTypeError,
  type BossTaskPair,
  type PairPerformance,
} from './performance.ts';
export type {
  Behaviour,
  RoundTask,
  TaskNodeRow,
  TournamentResults,
  TournamentScore,
  TournamentTypeName,
  TournamentTypeResult,
} from './types.ts';
