/**
 * The tournament's share of the weights (scoring spec §2.5–§2.6, §4.4): what the validator's weight loop reads,
 * as its `TournamentWeightsSource` port — the burn history (latest and previous completed tournament per type with
 * their boss-round performance difference), the active participants, the per-hotkey tournament weights of the
 * latest completed tournament of each type, and the scores file's `tournament_audit_data`.
 *
 * The burn placeholder is handled as everywhere else: it is never a participant, and a defence (winner = placeholder)
 * is credited to the real champion by the scoring functions (`realWinner`).
 */
import type { TournamentType } from '../core/enums.ts';
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import { activeParticipantHotkeys, completedTournaments } from '../db/queries/tournament-lifecycle.ts';
import type { Queryable } from '../db/types.ts';
import type { Behaviour, TournamentResults } from '../scoring/tournament/index.ts';
import { combinedTournamentWeights, tournamentBurnDetails, type TournamentHistory } from '../scoring/weights/index.ts';
import type { TournamentWeightsSource } from '../validator/ports.ts';
import { asTournamentResults, burnFacts, resultsWire, roundResults } from './results.ts';

export interface WeightsSourceOptions {
  db: Queryable;
  netuid: number;
  scoring?: ScoringRules;
  behaviour?: Behaviour;
}

const TYPES: TournamentType[] = ['text', 'image'];

export function tournamentWeightsSource(o: WeightsSourceOptions): TournamentWeightsSource {
  const scoring = o.scoring ?? scoringRulesRef2025_08;
  const behaviour = o.behaviour ?? 'fixed';

  async function latestResults(type: TournamentType): Promise<{ results: TournamentResults; wire: Record<string, unknown> } | null> {
    const [latest] = await completedTournaments(o.db, type, 1);
    if (!latest) return null;
    const rounds = await roundResults(o.db, latest.tournament_id, o.netuid);
    return { results: asTournamentResults(latest, rounds), wire: resultsWire(latest, rounds) };
  }

  async function burnHistory(): Promise<TournamentHistory> {
    const out: TournamentHistory = {};
    for (const type of TYPES) out[type] = await burnFacts(o.db, type, o.netuid, behaviour, scoring);
    return out;
  }

  return {
    burnHistory,
    participants: () => activeParticipantHotkeys(o.db, scoring.emissionBurnHotkey),
    async tournamentWeights() {
      const text = await latestResults('text');
      const image = await latestResults('image');
      return combinedTournamentWeights(text?.results ?? null, image?.results ?? null, scoring);
    },
    async auditData() {
      const text = await latestResults('text');
      const image = await latestResults('image');
      const burn = tournamentBurnDetails(await burnHistory(), scoring);
      return {
        text_tournament_data: text?.wire ?? null,
        image_tournament_data: image?.wire ?? null,
        participants: await activeParticipantHotkeys(o.db, scoring.emissionBurnHotkey),
        tournament_weight_multiplier: burn.tournamentWeight,
        regular_weight_multiplier: burn.regularWeight,
        burn_weight: burn.burnWeight,
      };
    },
  };
}
