/**
 * A tournament's results read back from the database, in the shapes the original's consumers use
 * (`get_tournament_full_results`, `TournamentResultsWithWinners`, boss-round sync pairs): per round, per task, the
 * winner (highest quality score above 0) and every participant's scores. The weights loop, the scores file and the
 * analytics routes all read through here.
 */
import type { TournamentType } from '../core/enums.ts';
import type { ScoringRules } from '../core/rules/scoring.ts';
import {
  completedTournaments,
  getGroups,
  getPairs,
  getRounds,
  getRoundTasks,
  syncedCopies,
  taskScores,
  type RoundRow,
  type ScoreRowOut,
  type TournamentRow,
} from '../db/queries/tournament-lifecycle.ts';
import type { Queryable } from '../db/types.ts';
import type { CompletedTournamentFacts } from '../scoring/weights/index.ts';
import {
  performanceDifference,
  taskWinner,
  tournamentPerformanceData,
  type Behaviour,
  type BossTaskPair,
  type PairPerformance,
  type TaskNodeRow,
  type TournamentResults,
} from '../scoring/tournament/index.ts';

export interface TaskResult {
  task_id: string;
  group_id: string | null;
  pair_id: string | null;
  winner: string | null;
  task_type: string;
  status: string;
  participant_scores: { hotkey: string; quality_score: number | null; test_loss: number | null; synth_loss: number | null; score_reason: string | null }[];
}

export interface RoundResult {
  round: RoundRow;
  participants: string[];
  tasks: TaskResult[];
}

function nodeRows(rows: readonly ScoreRowOut[]): TaskNodeRow[] {
  return rows.map((r) => ({ hotkey: r.hotkey, qualityScore: r.quality_score, testLoss: r.test_loss, synthLoss: r.synth_loss }));
}

/** Every round of the tournament with its players, tasks, winners and scores. */
export async function roundResults(q: Queryable, tournamentId: string, netuid: number): Promise<RoundResult[]> {
  const out: RoundResult[] = [];
  for (const round of await getRounds(q, tournamentId)) {
    const tasks = await getRoundTasks(q, round.round_id);
    const scores = await taskScores(q, tasks.map((t) => t.task_id), netuid);
    const participants =
      round.round_type === 'group'
        ? (await getGroups(q, round.round_id)).flatMap((g) => g.members)
        : (await getPairs(q, round.round_id)).flatMap((p) => [p.hotkey1, p.hotkey2]);
    out.push({
      round,
      participants,
      tasks: tasks.map((t) => {
        const rows = scores.get(t.task_id) ?? [];
        return {
          task_id: t.task_id,
          group_id: t.group_id,
          pair_id: t.pair_id,
          winner: taskWinner(nodeRows(rows)),
          task_type: t.task_type,
          status: t.status,
          participant_scores: rows.map((r) => ({ hotkey: r.hotkey, quality_score: r.quality_score, test_loss: r.test_loss, synth_loss: r.synth_loss, score_reason: r.score_reason })),
        };
      }),
    });
  }
  return out;
}

/** What the tournament scoring functions read (`TournamentResultsWithWinners`). */
export function asTournamentResults(t: Pick<TournamentRow, 'winner_hotkey' | 'base_winner_hotkey'>, rounds: readonly RoundResult[]): TournamentResults {
  return {
    winnerHotkey: t.winner_hotkey,
    baseWinnerHotkey: t.base_winner_hotkey,
    rounds: rounds.map((r) => ({ roundNumber: r.round.round_number, isFinalRound: r.round.is_final_round, tasks: r.tasks.map((x) => ({ winner: x.winner })) })),
  };
}

/** The wire shape of `TournamentResultsWithWinners` (scores file, analytics). */
export function resultsWire(t: TournamentRow, rounds: readonly RoundResult[]): Record<string, unknown> {
  return {
    tournament_id: t.tournament_id,
    base_winner_hotkey: t.base_winner_hotkey,
    winner_hotkey: t.winner_hotkey,
    rounds: rounds.map((r) => ({
      round_id: r.round.round_id,
      round_number: r.round.round_number,
      round_type: r.round.round_type,
      is_final_round: r.round.is_final_round,
      tasks: r.tasks.map((x) => ({ task_id: x.task_id, group_id: x.group_id, pair_id: x.pair_id, winner: x.winner, participant_scores: x.participant_scores })),
    })),
  };
}

export interface SyncPerformance {
  pairs: BossTaskPair[];
  data: PairPerformance[];
  /** All boss-round tasks have a copy and every copy succeeded. */
  complete: boolean;
  difference: number;
}

/** The boss round against its general-network copies: the performance difference behind the burn (scoring §4.5). */
export async function syncPerformance(q: Queryable, t: TournamentRow, netuid: number, behaviour: Behaviour, scoring: ScoringRules): Promise<SyncPerformance> {
  const final = (await getRounds(q, t.tournament_id)).filter((r) => r.is_final_round).at(-1);
  const tasks = final ? await getRoundTasks(q, final.round_id) : [];
  const copies = await syncedCopies(q, tasks.map((x) => x.task_id));
  const pairs: BossTaskPair[] = tasks.flatMap((x) => {
    const c = copies.get(x.task_id);
    return c ? [{ tournamentTaskId: x.task_id, syntheticTaskId: c.general_task_id, winnerHotkey: t.winner_hotkey, taskType: x.task_type }] : [];
  });
  const ids = pairs.flatMap((p) => [p.tournamentTaskId, p.syntheticTaskId]);
  const scores = await taskScores(q, ids, netuid);
  const rows = new Map([...scores].map(([id, r]) => [id, nodeRows(r)] as const));
  const data = tournamentPerformanceData(pairs, rows, behaviour, scoring);
  const complete = tasks.length > 0 && pairs.length === tasks.length && [...copies.values()].every((c) => c.status === 'success');
  return { pairs, data, complete, difference: performanceDifference(data) };
}

/** The latest and previous completed tournaments of a type, as the burn split reads them. */
export async function burnFacts(q: Queryable, type: TournamentType, netuid: number, behaviour: Behaviour, scoring: ScoringRules): Promise<{ latest: CompletedTournamentFacts | null; previous: CompletedTournamentFacts | null }> {
  const [latest, previous] = await completedTournaments(q, type, 2);
  const facts = async (t: TournamentRow | undefined): Promise<CompletedTournamentFacts | null> => {
    if (!t) return null;
    const perf = await syncPerformance(q, t, netuid, behaviour, scoring);
    return { tournamentId: t.tournament_id, winnerHotkey: t.winner_hotkey, synthComplete: perf.complete, performanceDifference: perf.complete ? perf.difference : null };
  };
  return { latest: await facts(latest), previous: await facts(previous) };
}
