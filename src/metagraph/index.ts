/** Keeps a subnet's nodes in a store, refreshed from the chain, for validators and miners. */
export { NO_AXON_IP, isServing, nodeToRow, rowUrl } from './convert.ts';
export type { NodeRow } from './convert.ts';
export { MemoryNodeStore, SqlNodeStore } from './store.ts';
export type { NodeStore, StoredNodes } from './store.ts';
export { MetagraphSync, snapshotProblem } from './sync.ts';
export type { MetagraphSyncOptions, SyncFailure, SyncOutcome } from './sync.ts';
