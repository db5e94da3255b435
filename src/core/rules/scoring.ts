/**
 * Scoring and weight-setting constants of the original at the reference version (a7e666d7, Aug 2025),
 * from spec/scoring.md §0. The rule set `ref-2025-08` is this object; a later rule set (HEAD, Dec 2025)
 * would be a second object beside it, never an edit of this one.
 */

/** EMISSION_BURN_HOTKEY: receives burned emission and stands in for the defending champion. */
export const EMISSION_BURN_HOTKEY = '5GU4Xkd3dCGTU3s8VLcHGc5wsD5M8XyxDca5yDQhYm1mVXFu';

export interface ScoringRules {
  readonly name: string;
  // per-task ranking (scoring.py)
  readonly firstPlaceScore: number;
  readonly scorePenalty: number;
  readonly minIdealNumMinersInPool: number;
  readonly testScoreWeighting: number;
  readonly diffusionTextGuidedEvalWeight: number;
  readonly maxEvalAttempts: number;
  /** Sentinel synth loss of text results outside the top 4 on test (REF two-stage eval): never ranked. */
  readonly outsideTopSynthLoss: number;
  /** Synth losses at or above this are sentinels, not real losses, in the synth-validity check. */
  readonly realSynthLossCeiling: number;
  /** `_is_synth_loss_valid_for_group` defaults: max synth/test ratio and the share that must meet it. */
  readonly synthLossMaxRatio: number;
  readonly synthLossValidThreshold: number;
  /** Share of valid results penalised at the bottom when more than `minIdealNumMinersInPool` are valid. */
  readonly bottomPenaltyFraction: number;
  /** `Evaluation failed: <error>` keeps this many characters of the error text. */
  readonly evalErrorReasonMaxChars: number;
  // period normalisation (sigmoid)
  readonly sigmoidSteepness: number;
  readonly sigmoidShift: number;
  readonly sigmoidPower: number;
  readonly sigmoidWeight: number;
  readonly linearWeight: number;
  readonly reweightingExp: number;
  readonly outlierStdThreshold: number;
  // windows and multipliers
  readonly scoringWindowDays: number;
  readonly instructTextTaskScoreWeight: number;
  readonly imageTaskScoreWeight: number;
  readonly dpoTaskScoreWeight: number;
  readonly grpoTaskScoreWeight: number;
  readonly oneDayScoreWeight: number;
  readonly threeDayScoreWeight: number;
  readonly sevenDayScoreWeight: number;
  readonly minSynthJobsRequiredPerDay: number;
  /** Lengths in days of the one/three/seven-day windows, paired with the three window weights above. */
  readonly periodWindowDays: readonly [number, number, number];
  /** Look-back of the organic proportion and the suspicious-node check, in days. */
  readonly organicWindowDays: number;
  /** Organic average above synth average + this many synth std devs flags a node as suspicious. */
  readonly suspiciousStdFactor: number;
  /** A model's parameter count is divided by this (integer division) to get billions. */
  readonly workScoreParamsPerBillion: number;
  // work score
  readonly workScoreMaxParamsBillions: number;
  readonly workScoreMaxRegexBillions: number;
  // emission split and burn
  readonly tournamentTextWeight: number;
  readonly tournamentImageWeight: number;
  readonly baseTournamentWeight: number;
  readonly baseRegularWeight: number;
  readonly legacyPerformDiffEmissionGainPercent: number;
  readonly burnReductionRate: number;
  readonly maxBurnReduction: number;
  // tournament weights
  readonly tournamentSimpleDecayBase: number;
  readonly tournamentParticipationWeight: number;
  readonly firstDefenseThreshold: number;
  readonly secondDefenseThreshold: number;
  readonly steadyStateThreshold: number;
  /** calculate_final_round_winner's margin (dead code at REF, kept for conformance). */
  readonly finalRoundWinMargin: number;
  // GRPO evaluation
  readonly betaGrpo: number;
  // chain
  readonly emissionBurnHotkey: string;
  readonly versionKey: number;
  readonly u16Max: number;
}

const instruct = 0.35;
const image = 0.2;
const dpo = 0.15;

export const scoringRulesRef2025_08: ScoringRules = Object.freeze({
  name: 'ref-2025-08',
  firstPlaceScore: 3,
  scorePenalty: -1,
  minIdealNumMinersInPool: 8,
  testScoreWeighting: 0.7,
  diffusionTextGuidedEvalWeight: 0.25,
  maxEvalAttempts: 4,
  outsideTopSynthLoss: 1000.0,
  realSynthLossCeiling: 999.0,
  synthLossMaxRatio: 1.5,
  synthLossValidThreshold: 0.4,
  bottomPenaltyFraction: 0.25,
  evalErrorReasonMaxChars: 350,
  sigmoidSteepness: 9,
  sigmoidShift: 0.5,
  sigmoidPower: 0.75,
  sigmoidWeight: 0.7,
  linearWeight: 0.05,
  reweightingExp: 1.0,
  outlierStdThreshold: 2.0,
  scoringWindowDays: 7,
  instructTextTaskScoreWeight: instruct,
  imageTaskScoreWeight: image,
  dpoTaskScoreWeight: dpo,
  // Computed exactly as the original does (1 - 0.35 - 0.2 - 0.15 = 0.30000000000000004): the float matters
  // for bit-exact period scores.
  grpoTaskScoreWeight: 1 - instruct - image - dpo,
  oneDayScoreWeight: 0.3,
  threeDayScoreWeight: 0.3,
  sevenDayScoreWeight: 0.4,
  minSynthJobsRequiredPerDay: 3,
  periodWindowDays: [1, 3, 7] as const,
  organicWindowDays: 7,
  suspiciousStdFactor: 0.5,
  workScoreParamsPerBillion: 1_000_000_000,
  workScoreMaxParamsBillions: 40,
  workScoreMaxRegexBillions: 8,
  tournamentTextWeight: 0.65,
  tournamentImageWeight: 0.35,
  baseTournamentWeight: 0.4,
  baseRegularWeight: 0.25,
  legacyPerformDiffEmissionGainPercent: 0.25,
  burnReductionRate: 5.0,
  maxBurnReduction: 0.8,
  tournamentSimpleDecayBase: 0.3,
  tournamentParticipationWeight: 0.0001,
  firstDefenseThreshold: 0.1,
  secondDefenseThreshold: 0.075,
  steadyStateThreshold: 0.05,
  finalRoundWinMargin: 0.05,
  betaGrpo: 0.04,
  emissionBurnHotkey: EMISSION_BURN_HOTKEY,
  versionKey: 61_000,
  u16Max: 65535,
});

/** Rule sets by name; the conformance runner and the validator pick one by name. */
export const scoringRuleSets: Readonly<Record<string, ScoringRules>> = {
  'ref-2025-08': scoringRulesRef2025_08,
};
