/**
 * The reference version's final weight vector (`get_node_weights_from_period_scores`, scoring.md §2.6): regular
 * period scores, tournament rank weights, participation and burn, one float per metagraph uid, before fiber's
 * quantisation.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { tournamentWeights, type TournamentResults } from '../tournament/index.ts';
import type { EmissionSplit, PeriodScore } from './types.ts';

/**
 * The tournament share per hotkey (before the tournament multiplier): one type alone is scaled by its type
 * weight (0.65 text, 0.35 image); with both, each type is ranked on its own, scaled, and summed per hotkey.
 */
export function combinedTournamentWeights(
  text: TournamentResults | null,
  image: TournamentResults | null,
  rules: ScoringRules = scoringRulesRef2025_08,
): Map<string, number> {
  const scaled = (m: Map<string, number>, by: number) => new Map([...m].map(([h, w]) => [h, w * by] as const));
  if (text && !image) return scaled(tournamentWeights(text, null, rules), rules.tournamentTextWeight);
  if (image && !text) return scaled(tournamentWeights(null, image, rules), rules.tournamentImageWeight);
  if (!text || !image) return tournamentWeights(null, null, rules);
  const t = scaled(tournamentWeights(text, null, rules), rules.tournamentTextWeight);
  const i = scaled(tournamentWeights(null, image, rules), rules.tournamentImageWeight);
  // The original iterates a Python set here (unordered); each hotkey lands on its own uid, so order is immaterial.
  const out = new Map<string, number>();
  for (const h of new Set([...t.keys(), ...i.keys()])) out.set(h, (t.get(h) ?? 0) + (i.get(h) ?? 0));
  return out;
}

/** How the burn hotkey's weight is set (D-weights-1). */
export type BurnAssignment = 'add' | 'overwrite';

export interface NodeWeightsInput {
  /** Metagraph hotkeys; uid = index. A hotkey listed twice maps to its last uid, like the original's dict. */
  readonly metagraphHotkeys: readonly string[];
  readonly split: EmissionSplit;
  /** Active tournament participants (each earns the participation weight and scales everything else down). */
  readonly participants: readonly string[];
  readonly periodScores: readonly Pick<PeriodScore, 'hotkey' | 'normalisedScore' | 'weightMultiplier'>[];
  /** From `combinedTournamentWeights`. */
  readonly tournamentWeights: ReadonlyMap<string, number>;
}

export interface NodeWeights {
  readonly nodeIds: number[];
  readonly nodeWeights: number[];
}

/**
 * Adds, per uid: Σ normalised·multiplier·regular over the period scores, tournament weight·tournament share, and
 * 0.0001 per participant; every share is first scaled by 1 − 0.0001·participants. Hotkeys outside the metagraph
 * are skipped (their share is lost to chain normalisation).
 *
 * The burn uid's share is added to what it already holds (`add`, ours). The original assigns it (`overwrite`),
 * silently dropping tournament weight the burn hotkey earned as a placeholder (D-weights-1).
 */
export function nodeWeightsFromPeriodScores(
  input: NodeWeightsInput,
  rules: ScoringRules = scoringRulesRef2025_08,
  burnAssignment: BurnAssignment = 'add',
): NodeWeights {
  const n = input.metagraphHotkeys.length;
  const uidOf = new Map<string, number>();
  input.metagraphHotkeys.forEach((h, uid) => uidOf.set(h, uid));
  const weights = new Array<number>(n).fill(0.0);

  let { tournamentWeight, regularWeight, burnWeight } = input.split;
  const participation = input.participants.length * rules.tournamentParticipationWeight;
  if (participation > 0) {
    const scale = 1.0 - participation;
    tournamentWeight *= scale;
    regularWeight *= scale;
    burnWeight *= scale;
  }
  for (const ps of input.periodScores) {
    const uid = uidOf.get(ps.hotkey);
    if (uid !== undefined) weights[uid] = weights[uid]! + ps.normalisedScore * ps.weightMultiplier * regularWeight;
  }
  for (const [hotkey, w] of input.tournamentWeights) {
    const uid = uidOf.get(hotkey);
    if (uid !== undefined) weights[uid] = weights[uid]! + w * tournamentWeight;
  }
  for (const hotkey of input.participants) {
    const uid = uidOf.get(hotkey);
    if (uid !== undefined) weights[uid] = weights[uid]! + rules.tournamentParticipationWeight;
  }
  const burnUid = uidOf.get(rules.emissionBurnHotkey);
  if (burnUid !== undefined) weights[burnUid] = burnAssignment === 'add' ? weights[burnUid]! + burnWeight : burnWeight;
  return { nodeIds: Array.from({ length: n }, (_, i) => i), nodeWeights: weights };
}

/** What the burn uid holds before the burn share is set: nonzero exactly where D-weights-1 changes the result. */
export function burnUidWeightBeforeBurn(input: NodeWeightsInput, rules: ScoringRules = scoringRulesRef2025_08): number {
  const burnUid = input.metagraphHotkeys.lastIndexOf(rules.emissionBurnHotkey);
  if (burnUid < 0) return 0;
  const zeroBurn = { ...input, split: { ...input.split, burnWeight: 0 } };
  return nodeWeightsFromPeriodScores(zeroBurn, rules, 'add').nodeWeights[burnUid]!;
}
