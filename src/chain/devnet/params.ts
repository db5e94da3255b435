/**
 * The devnet chain's parameters, written as rule definitions (value, source, why) like src/core/rules so the
 * config loader can take them over unchanged. Subnet values are subtensor's finney defaults unless the devnet
 * needs something else, and then the doc says why.
 */
import { count, flag, fraction, num, port, seconds, valuesOf, type ValuesOf } from '../../core/rules/define.ts';

export const devnetChainDefs = {
  port: port(9940, 'docs/chain.md', 'loopback port of `god chain` (the devnet chain HTTP API)'),
  blockTimeSeconds: seconds(12, 'miner-protocol-chain.md §7.3', 'one block per this many seconds of (scaled) time, as subtensor'),
  tempo: count(360, 'subtensor-offline.md §2.1 Tempo default (finney metadata)', 'blocks between epochs; incentives are recomputed once per tempo', 1),
  weightsSetRateLimit: count(100, 'subtensor-offline.md §2.1 WeightsSetRateLimit default', 'blocks a validator must wait between weight sets'),
  weightsVersionKey: count(0, 'subtensor-offline.md §2.1 WeightsVersionKey default', 'lowest version_key set_weights accepts (0: any)'),
  commitRevealWeightsEnabled: flag(
    false,
    'subtensor-offline.md §2.1 (finney default is true)',
    'whether the subnet wants commit-reveal; the devnet defaults to false so plain set_weights works, as on SN56 today',
  ),
  maxUids: count(256, 'subtensor MaxAllowedUids (SN56)', 'uids a subnet can hold; registration beyond it is refused (no pruning on the devnet)', 1),
  maxValidators: count(64, 'subtensor MaxAllowedValidators default', 'top-stake neurons that get a validator permit each epoch', 1),
  minStakeToSetWeights: num(0, 'subtensor StakeThreshold (devnet: none)', 'stake (TAO units) a hotkey needs to set weights', { min: 0 }),
  kappa: fraction(0.5, 'subtensor Kappa default (32767/65535)', 'stake share that must back a weight for it to count in consensus'),
  taoWeight: fraction(0.18, 'subtensor TaoWeight (≈0.18 on finney)', 'share of TAO (root) stake counted in a hotkey\'s total stake'),
  allowLoopbackAxons: flag(true, 'docs/chain.md', 'accept 127.0.0.1 / ::1 axons, which subtensor refuses; the devnet runs on one host'),
  persistDebounceMs: count(250, 'docs/chain.md', 'block-only state changes are written at most this often; writes from calls are written before answering'),
} as const;

export type DevnetChainParams = ValuesOf<typeof devnetChainDefs>;
export const devnetChainParams: DevnetChainParams = valuesOf(devnetChainDefs);

/** One subnet's hyperparameters as the devnet stores them. */
export interface SubnetConfig {
  netuid: number;
  tempo: number;
  weightsSetRateLimit: number;
  weightsVersionKey: number;
  commitRevealWeightsEnabled: boolean;
  maxUids: number;
  maxValidators: number;
  minStakeToSetWeights: number;
  kappa: number;
}

export function subnetConfig(netuid: number, params: DevnetChainParams = devnetChainParams, overrides: Partial<SubnetConfig> = {}): SubnetConfig {
  return {
    netuid,
    tempo: params.tempo,
    weightsSetRateLimit: params.weightsSetRateLimit,
    weightsVersionKey: params.weightsVersionKey,
    commitRevealWeightsEnabled: params.commitRevealWeightsEnabled,
    maxUids: params.maxUids,
    maxValidators: params.maxValidators,
    minStakeToSetWeights: params.minStakeToSetWeights,
    kappa: params.kappa,
    ...overrides,
  };
}
