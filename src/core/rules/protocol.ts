import { bytes, count, num, port, seconds, valuesOf, type ValuesOf } from './define.ts';

/**
 * Validator↔miner wire protocol and network identity (miner-protocol-chain.md §1–§3, §6).
 * VERSION_KEY and U16_MAX are scoring rules (scoring.ts `versionKey`, `u16Max`), not repeated here.
 */
export const protocolDefs = {
  netuid: count(56, 'miner-protocol-chain.md §1 NETUID; scoring.md §0', 'subnet id (56 mainnet, 241 testnet); IS_PROD_ENV ⇔ 56'),
  mainnetNetuid: count(56, 'miner-protocol-chain.md §1', 'netuid on which mainnet-only behaviour applies (eligibility filter, cache cap)'),
  testnetNetuid: count(241, 'miner-protocol-chain.md §1; validator.md §0', 'netuid treated as testnet (dev content service)'),
  // signing (miner-protocol-chain.md §2.3)
  nonceWindowSeconds: seconds(120, 'miner-protocol-chain.md §2.3 NONCE_WINDOW_NS', 'how far a nonce timestamp may be in the past or future; bounds replays'),
  nonceMaxTimestampNs: num(1e20, 'miner-protocol-chain.md §2.3', 'nonce timestamps above this are rejected unrecorded (guards absurd values)', { min: 0 }),
  nonceRandomLength: count(10, 'miner-protocol-chain.md §2.1', 'random alphanumeric suffix length of generated nonces'),
  minStakeThreshold: num(1000, 'miner-protocol-chain.md §2.4 MIN_STAKE_THRESHOLD', 'stake a validator hotkey needs before a miner answers it (0 on testnet)', { min: 0 }),
  metagraphSyncSeconds: seconds(300, 'miner-protocol-chain.md §2.4', 'how often a miner re-reads the metagraph'),
  // signed calls (miner-protocol-chain.md §3; the offer timeout is validator.offerTimeoutSeconds)
  callTimeoutSeconds: seconds(10, 'miner-protocol-chain.md §3 (validator timeout)', 'limit on a signed validator→miner call other than an offer when the caller names none'),
  // ours: the original reads any body and remembers every nonce (miner-protocol-chain.md §11.3)
  maxRequestBodyBytes: bytes(1024 * 1024, 'miner-protocol-chain.md §11.3 (ours: cap body size)', 'largest signed request body a miner (or trainer) reads before verifying; training requests are a few KB'),
  maxResponseBodyBytes: bytes(1024 * 1024, 'docs/protocol.md (ours)', 'largest response body the validator reads from a miner'),
  maxNonceEntries: count(100_000, 'miner-protocol-chain.md §11.3 (ours: prune nonces)', 'nonces a miner remembers at once; beyond this it refuses (503) rather than forget a live nonce', 1),
  // ports (miner-protocol-chain.md §1, tournament.md §6)
  validatorPort: port(9001, 'miner-protocol-chain.md §1 VALIDATOR_PORT', 'validator API port'),
  minerPort: port(7999, 'miner-protocol-chain.md §1', 'miner server port'),
  trainerPort: port(8001, 'tournament.md §5.1, §6', 'trainer service port, assumed when a trainer address has none'),
  // chain reads (miner-protocol-chain.md §6.1)
  nodeFetchAttempts: count(3, 'miner-protocol-chain.md §6.1', 'attempts to fetch the metagraph', 1),
  nodeFetchBackoffMinSeconds: seconds(1, 'miner-protocol-chain.md §6.1', 'first back-off between metagraph fetch attempts'),
  nodeFetchBackoffMaxSeconds: seconds(4, 'miner-protocol-chain.md §6.1', 'longest back-off between metagraph fetch attempts'),
  axonProtocol: count(4, 'miner-protocol-chain.md §1', 'protocol field posted with serve_axon'),
  axonVersion: count(1, 'miner-protocol-chain.md §1', 'version field posted with serve_axon'),
} as const;

export type ProtocolRules = ValuesOf<typeof protocolDefs>;
export const protocolRules: ProtocolRules = valuesOf(protocolDefs);
