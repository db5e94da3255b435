/**
 * The chain: the `Chain` interface and its typed errors, the chain's admission rules, axon IP conversion, and
 * the two implementations (devnet in ./devnet, subtensor in ./subtensor — import that one directly; it pulls
 * in @polkadot/api).
 */
export { NodeSchema, NodeListSchema, StakeSchema, SubnetParamsSchema } from './types.ts';
export type { Chain, Node, ServeAxonParams, SetWeightsParams, Stake, SubnetParams, WeightsReadiness, WriteReceipt } from './types.ts';
export { CHAIN_ERROR_CODES, ChainError, CommitRevealNotSupportedError, WeightsRateLimitedError, decodeError, isChainError } from './errors.ts';
export type { ChainErrorCode } from './errors.ts';
export { axonUrl, ipFromText, ipToText, ipv4FromInt, ipv6FromInt, parseIpInt } from './ip.ts';
export type { IpType } from './ip.ts';
export { SERVE_AXON_REFUSALS, SET_WEIGHTS_REFUSALS, blocksSinceUpdate, checkServeAxon, checkSetWeights, rateLimitPasses, serveAxonError, setWeightsError } from './rules.ts';
export type { AxonCall, RuleVerdict, ServeAxonRefusal, SetWeightsRefusal, WeightsCall, WeightsContext } from './rules.ts';
export { DevnetChain, DevnetChainService, httpChain, inProcessChain, serveDevnetChain } from './devnet/index.ts';
export { connectChain } from './connect.ts';
export type { ChainTarget } from './connect.ts';
