/**
 * Operator views and actions over the tournament tables, for `god tournament`: a list, one tournament's bracket
 * (groups, pairs, per-task results, the boss round, the winner) as plain data, and creating a tournament now.
 * Everything reads or writes the database only; the running validator's loops take a created tournament from there.
 */
import type { TournamentType } from '../core/enums.ts';
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import { tournamentRules, type TournamentRules } from '../core/rules/tournament.ts';
import { getGroups, getPairs, getParticipants, getTournament, listTournaments, type ParticipantRow, type TournamentRow } from '../db/queries/tournament-lifecycle.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../clock/index.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { Random } from '../validator/rng.ts';
import { tournamentContext } from './context.ts';
import { schedulingPass } from './lifecycle.ts';
import { roundResults, type TaskResult } from './results.ts';

const ALL_STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;

export async function tournamentList(db: Db, filter: { type?: TournamentType; status?: (typeof ALL_STATUSES)[number] } = {}): Promise<TournamentRow[]> {
  return listTournaments(db, filter.status ? [filter.status] : ALL_STATUSES, filter.type);
}

export interface BracketRound {
  roundId: string;
  number: number;
  type: 'group' | 'knockout';
  status: string;
  /** The final round: the finalists (or the champion's challenger) against the defending champion. */
  bossRound: boolean;
  groups: { groupId: string; members: string[]; tasks: TaskResult[] }[];
  pairs: { pairId: string; hotkeys: [string, string]; tasks: TaskResult[] }[];
}

export interface Bracket {
  tournament: TournamentRow;
  /** The hotkey the defending champion plays under (the burn hotkey). */
  placeholder: string;
  participants: ParticipantRow[];
  rounds: BracketRound[];
  /** The real winner: the champion when the placeholder won (a defence). */
  winner: string | null;
  defended: boolean;
}

export async function tournamentBracket(db: Db, tournamentId: string, netuid: number, scoring: ScoringRules = scoringRulesRef2025_08): Promise<Bracket | null> {
  const tournament = await getTournament(db, tournamentId);
  if (!tournament) return null;
  const placeholder = scoring.emissionBurnHotkey;
  const rounds: BracketRound[] = [];
  for (const r of await roundResults(db, tournamentId, netuid)) {
    const tasksOf = (key: 'group_id' | 'pair_id', id: string) => r.tasks.filter((t) => t[key] === id);
    const groups = r.round.round_type === 'group' ? await getGroups(db, r.round.round_id) : [];
    const pairs = r.round.round_type === 'knockout' ? await getPairs(db, r.round.round_id) : [];
    rounds.push({
      roundId: r.round.round_id,
      number: r.round.round_number,
      type: r.round.round_type,
      status: r.round.status,
      bossRound: r.round.is_final_round,
      groups: groups.map((g) => ({ groupId: g.group_id, members: g.members, tasks: tasksOf('group_id', g.group_id) })),
      pairs: pairs.map((p) => ({ pairId: p.pair_id, hotkeys: [p.hotkey1, p.hotkey2], tasks: tasksOf('pair_id', p.pair_id) })),
    });
  }
  const defended = tournament.winner_hotkey !== null && tournament.winner_hotkey === placeholder;
  return {
    tournament,
    placeholder,
    participants: await getParticipants(db, tournamentId),
    rounds,
    winner: defended ? tournament.base_winner_hotkey ?? placeholder : tournament.winner_hotkey,
    defended,
  };
}

export interface ScheduleNowOptions {
  clock: Clock;
  random: Random;
  netuid: number;
  rules?: TournamentRules;
  scoring?: ScoringRules;
  log?: Logger;
}

/**
 * Creates a pending tournament of `type` now, regardless of the interval since the last one (the entry itself is
 * the lifecycle's, in the running validator). Null when one of that type is already pending or active.
 */
export async function scheduleTournamentNow(db: Db, type: TournamentType, o: ScheduleNowOptions): Promise<string | null> {
  const unused = () => {
    throw new Error('not available when only scheduling');
  };
  const ctx = tournamentContext({
    db,
    clock: o.clock,
    log: o.log ?? silentLogger(),
    random: o.random,
    netuid: o.netuid,
    rules: { ...(o.rules ?? tournamentRules), intervalHours: 0 },
    scoring: o.scoring ?? scoringRulesRef2025_08,
    types: [type],
    repos: { get: unused },
    tasks: { create: unused },
    trainers: { startTraining: unused, gpuAvailability: unused, taskDetails: unused },
  });
  const [id] = await schedulingPass(ctx);
  return id ?? null;
}
