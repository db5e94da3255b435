/** Bittensor's subtensor behind the `Chain` interface, through @polkadot/api 16.5.6. */
export { SubtensorChain, keyringPairOf, moduleErrorName } from './adapter.ts';
export type { SubtensorChainOptions } from './adapter.ts';
export { MetagraphSchema, metagraphToNodes, parseMetagraph } from './metagraph.ts';
export type { Metagraph } from './metagraph.ts';
export { CHAIN_DATA_DIR, FINNEY_GENESIS, METADATA_FILES, loadMetadataHex, runtimeVersionOf } from './metadata.ts';
export type { KnownSpec, RuntimeVersionJson } from './metadata.ts';
