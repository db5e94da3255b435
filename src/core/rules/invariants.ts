/**
 * Checks that span several rules. Single values are validated by their own schema; these catch combinations that
 * would make a loop misbehave (a random range whose min exceeds its max, a task mix that does not sum to 1).
 */
export interface Invariant {
  /** `group.key` paths the check reads; named in the error so the operator sees which overrides collide. */
  readonly keys: readonly string[];
  /** What must hold, completing "expected …". */
  readonly expected: string;
  readonly holds: (get: (path: string) => unknown) => boolean;
}

const n = (get: (path: string) => unknown, path: string): number => get(path) as number;

function ordered(min: string, max: string): Invariant {
  return { keys: [min, max], expected: `${min} ≤ ${max}`, holds: (get) => n(get, min) <= n(get, max) };
}

function ascending(...keys: string[]): Invariant {
  return {
    keys,
    expected: `${keys.join(' < ')}`,
    holds: (get) => keys.every((key, i) => i === 0 || n(get, keys[i - 1] as string) < n(get, key)),
  };
}

const TASK_MIX = ['synth.instructTaskProbability', 'synth.imageTaskProbability', 'synth.dpoTaskProbability', 'synth.grpoTaskProbability'];

export const ruleInvariants: readonly Invariant[] = [
  ordered('validator.offerTargetTextMin', 'validator.offerTargetTextMax'),
  ordered('validator.offerTargetImageMin', 'validator.offerTargetImageMax'),
  ordered('prep.subsampleMinFraction', 'prep.subsampleMaxFraction'),
  ordered('prep.llmBackoffMinSeconds', 'prep.llmBackoffMaxSeconds'),
  ordered('synth.bigModelMinParamsB', 'synth.bigModelMaxParamsB'),
  ordered('synth.standardModelMinParamsB', 'synth.standardModelMaxParamsB'),
  ordered('synth.minDatasetsForAugmentation', 'synth.maxDatasetsForAugmentation'),
  ordered('synth.imageMinHours', 'synth.imageMaxHours'),
  ordered('synth.rewardFunctionsMin', 'synth.rewardFunctionsMax'),
  ordered('synth.rewardWeightMin', 'synth.rewardWeightMax'),
  ordered('synth.imagePairsMin', 'synth.imagePairsMax'),
  ordered('synth.createBackoffMinSeconds', 'synth.createBackoffMaxSeconds'),
  ordered('tournament.minGroupSize', 'tournament.expectedGroupSize'),
  ordered('tournament.minMinersForTournament', 'tournament.topNByStake'),
  ordered('tournament.defaultModelMinParamsB', 'tournament.defaultModelMaxParamsB'),
  ordered('tournament.replacementSizeMinFactor', 'tournament.replacementSizeMaxFactor'),
  ordered('tournament.trainerBackoffMinSeconds', 'tournament.trainerBackoffMaxSeconds'),
  ordered('validator.dbPoolMin', 'validator.dbPoolMax'),
  ordered('api.defaultPageSize', 'api.maxPageSize'),
  ordered('api.webhookBackoffMs', 'api.webhookMaxBackoffMs'),
  ordered('evaluation.hubRetryMinSeconds', 'evaluation.hubRetryMaxSeconds'),
  ordered('weights.setWeightsBackoffMinSeconds', 'weights.setWeightsBackoffMaxSeconds'),
  ascending('tournament.oneH100MaxParamsB', 'tournament.twoH100MaxParamsB', 'tournament.fourH100MaxParamsB'),
  ascending('evaluation.oneGpuMaxParamsB', 'evaluation.twoGpuMaxParamsB', 'evaluation.threeGpuMaxParamsB'),
  {
    keys: TASK_MIX,
    expected: 'the synthetic task mix to sum to 1',
    holds: (get) => Math.abs(TASK_MIX.reduce((sum, key) => sum + n(get, key), 0) - 1) < 1e-9,
  },
];
