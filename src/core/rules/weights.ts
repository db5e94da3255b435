import { count, fraction, seconds, valuesOf, type ValuesOf } from './define.ts';

/** The weight-setting loop and auditing (miner-protocol-chain.md §7, §9). Weight maths lives in scoring.ts. */
export const weightsDefs = {
  blockTimeSeconds: seconds(12, 'miner-protocol-chain.md §7.1, §7.3', 'chain block time used to turn block counts into sleeps'),
  sleepBlocksAfterAttempt: count(25, 'miner-protocol-chain.md §7.1', 'blocks slept after every weight-setting attempt (300 s)'),
  failuresBeforeFallback: count(2, 'miner-protocol-chain.md §7.1', 'failed attempts before the anti-deregistration fallback is considered', 1),
  fallbackUpdatedBlocks: count(3000, 'miner-protocol-chain.md §7.1', 'blocks since the last weight set after which the fallback copies on-chain incentives (avoids deregistration)'),
  extrinsicEraBlocks: count(5, 'miner-protocol-chain.md §7.2', 'mortal era of the set_weights extrinsic, so a stale signed call expires'),
  setWeightsAttempts: count(3, 'miner-protocol-chain.md §7.2', 'attempts to submit set_weights on exceptions', 1),
  setWeightsBackoffMinSeconds: seconds(2, 'miner-protocol-chain.md §7.2', 'first back-off between set_weights attempts'),
  setWeightsBackoffMaxSeconds: seconds(5, 'miner-protocol-chain.md §7.2', 'longest back-off between set_weights attempts'),
  // auditing (miner-protocol-chain.md §9)
  auditCosineThreshold: fraction(0.98, 'miner-protocol-chain.md §9', 'cosine similarity above which recomputed and on-chain weights agree'),
  auditVectorLength: count(256, 'miner-protocol-chain.md §9', 'length of the weight vectors an auditor compares', 1),
  auditValidatorUid: count(190, 'miner-protocol-chain.md §9', 'uid whose on-chain weights the original auditor checks (hard-coded there)'),
} as const;

export type WeightsRules = ValuesOf<typeof weightsDefs>;
export const weightsRules: WeightsRules = valuesOf(weightsDefs);
