import { z } from 'zod';
import { num, structured, text, type RuleDef } from './define.ts';
import { scoringRulesRef2025_08, type ScoringRules } from './scoring.ts';

/**
 * Spec source and meaning of each scoring rule, so scoring can be documented and overridden like every other
 * group. The values themselves stay in scoring.ts (the `ref-2025-08` rule set); this file only describes them.
 */
const scoringDocs: Partial<Record<keyof ScoringRules, readonly [spec: string, doc: string]>> = {
  name: ['scoring.md (versions)', 'name of the rule set these values belong to'],
  firstPlaceScore: ['scoring.md §0 FIRST_PLACE_SCORE', "task winner's quality score"],
  scorePenalty: ['scoring.md §0 SCORE_PENALTY', 'score of failures, duplicates and the bottom 25 %'],
  minIdealNumMinersInPool: ['scoring.md §0 MIN_IDEAL_NUM_MINERS_IN_POOL', 'the bottom-25 % penalty applies only with more valid results than this'],
  testScoreWeighting: ['scoring.md §0 TEST_SCORE_WEIGHTING', 'weighted loss = w·test + (1−w)·synth'],
  diffusionTextGuidedEvalWeight: ['scoring.md §0; evaluation.md §8', 'weight of text-guided losses in the image loss mix'],
  maxEvalAttempts: ['scoring.md §0 MAX_EVAL_ATTEMPTS; validator.md §4.2', 'evaluations of a task whose scores are all exactly 0 before it fails'],
  outsideTopSynthLoss: ['scoring.md §1.1', 'synth loss given to text results outside the top 4 on test (a sentinel, never ranked)'],
  realSynthLossCeiling: ['scoring.md §1.4', 'synth losses at or above this are sentinels, not real losses'],
  synthLossMaxRatio: ['scoring.md §1.4', 'max synth/test loss ratio in the synth-validity check'],
  synthLossValidThreshold: ['scoring.md §1.4', 'share of results that must meet the synth/test ratio for synth loss to be used'],
  bottomPenaltyFraction: ['scoring.md §1.4', 'share of valid results penalised at the bottom'],
  evalErrorReasonMaxChars: ['scoring.md §1.2', 'characters of an evaluation error kept in score_reason'],
  sigmoidSteepness: ['scoring.md §0 SIGMOID_STEEPNESS', 'period normalisation: sigmoid steepness'],
  sigmoidShift: ['scoring.md §0 SIGMOID_SHIFT', 'period normalisation: sigmoid shift'],
  sigmoidPower: ['scoring.md §0 SIGMOID_POWER', 'period normalisation: sigmoid power'],
  sigmoidWeight: ['scoring.md §0 SIGMOID_WEIGHT', 'period normalisation: weight of the sigmoid part'],
  linearWeight: ['scoring.md §0 LINEAR_WEIGHT', 'period normalisation: weight of the linear part'],
  reweightingExp: ['scoring.md §0 REWEIGHTING_EXP', 'unused by the original; kept for completeness'],
  outlierStdThreshold: ['scoring.md §0 OUTLIER_STD_THRESHOLD', 'unused by the original; kept for completeness'],
  scoringWindowDays: ['scoring.md §0 SCORING_WINDOW', 'days of task results fetched for period scoring'],
  instructTextTaskScoreWeight: ['scoring.md §0', 'share of real-time weight for Instruct + Chat tasks'],
  imageTaskScoreWeight: ['scoring.md §0', 'share of real-time weight for Image tasks'],
  dpoTaskScoreWeight: ['scoring.md §0', 'share of real-time weight for DPO tasks'],
  grpoTaskScoreWeight: ['scoring.md §0', 'share of real-time weight for GRPO tasks (1 − the others, float as computed)'],
  oneDayScoreWeight: ['scoring.md §0', 'weight of the one-day window'],
  threeDayScoreWeight: ['scoring.md §0', 'weight of the three-day window'],
  sevenDayScoreWeight: ['scoring.md §0', 'weight of the seven-day window'],
  minSynthJobsRequiredPerDay: ['scoring.md §0 MIN_SYNTH_JOBS_REQUIRED_PER_DAY', 'organic anti-gaming check: synthetic jobs a node needs per day'],
  periodWindowDays: ['scoring.md §2.4', 'lengths of the one/three/seven-day windows'],
  organicWindowDays: ['scoring.md §2.4', 'look-back of the organic proportion and suspicious-node check'],
  suspiciousStdFactor: ['scoring.md §2.4', 'organic average above synth average + this many std devs flags a node'],
  workScoreParamsPerBillion: ['scoring.md §2.2', 'parameter count divisor giving billions'],
  workScoreMaxParamsBillions: ['scoring.md §2.2', 'cap on model size in the work score'],
  workScoreMaxRegexBillions: ['scoring.md §2.2', 'cap on a size guessed from the model id'],
  tournamentTextWeight: ['scoring.md §0 TOURNAMENT_TEXT_WEIGHT', 'text share of tournament weight (HEAD 0.15)'],
  tournamentImageWeight: ['scoring.md §0 TOURNAMENT_IMAGE_WEIGHT', 'image share of tournament weight (HEAD 0.10)'],
  baseTournamentWeight: ['scoring.md §0 BASE_TOURNAMENT_WEIGHT', 'emission share of tournaments before burn'],
  baseRegularWeight: ['scoring.md §0 BASE_REGULAR_WEIGHT', 'emission share of real-time mining before burn'],
  legacyPerformDiffEmissionGainPercent: ['scoring.md §0', 'share of the tournament burn given to real-time mining'],
  burnReductionRate: ['scoring.md §0 BURN_REDUCTION_RATE', 'burn reduction per unit of performance shortfall'],
  maxBurnReduction: ['scoring.md §0 MAX_BURN_REDUCTION', 'cap on the burn reduction'],
  tournamentSimpleDecayBase: ['scoring.md §0', 'rank decay base of tournament weights'],
  tournamentParticipationWeight: ['scoring.md §0', 'weight of each active, non-eliminated participant'],
  firstDefenseThreshold: ['scoring.md §0; tournament.md §3.8', "margin a challenger must beat a champion's first defence by"],
  secondDefenseThreshold: ['scoring.md §0; tournament.md §3.8', 'margin at the second defence'],
  steadyStateThreshold: ['scoring.md §0; tournament.md §3.8', 'margin from the third defence on'],
  finalRoundWinMargin: ['scoring.md §4.6; tournament.md §3.8', 'margin of calculate_final_round_winner (dead code at REF)'],
  betaGrpo: ['scoring.md §0 BETA_GRPO; evaluation.md §6.1', 'KL penalty β of GRPO evaluation (HEAD 0.5)'],
  emissionBurnHotkey: ['scoring.md §0 EMISSION_BURN_HOTKEY', 'receives burned emission; stands in for the defending champion'],
  versionKey: ['scoring.md §0; miner-protocol-chain.md §7.2 VERSION_KEY', 'version_key sent with set_weights; the chain rejects keys below its floor'],
  u16Max: ['scoring.md §0 (fiber U16_MAX)', 'largest quantised weight'],
};

function describe(key: string, value: unknown): RuleDef<unknown> {
  const [spec, doc] = scoringDocs[key as keyof ScoringRules] ?? ['src/core/rules/scoring.ts', '(not yet described)'];
  if (typeof value === 'number') return num(value, spec, doc);
  if (typeof value === 'string') return text(value, spec, doc);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    return structured(value, z.array(z.number()).length(value.length) as z.ZodType<unknown>, `a JSON list of ${value.length} numbers`, spec, doc);
  }
  throw new Error(`scoring rule ${key}: no schema for a value of type ${typeof value}`);
}

export type ScoringDefs = { readonly [K in keyof ScoringRules]: RuleDef<ScoringRules[K]> };

export const scoringDefs = Object.freeze(
  Object.fromEntries(Object.entries(scoringRulesRef2025_08).map(([key, value]) => [key, describe(key, value)])),
) as unknown as ScoringDefs;
