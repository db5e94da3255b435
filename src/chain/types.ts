/**
 * The chain as the rest of `god` sees it. Two implementations: the devnet chain (a local service, in-process or
 * over HTTP) and subtensor (Bittensor, through @polkadot/api). Every answer that crosses into the program is
 * parsed with the schemas here, so a chain that answers something unexpected is a `ChainError('decode')`,
 * never a half-filled object.
 *
 * `Node` keeps fiber 2.4.0's field names (snake_case) because the same record is the `nodes` table row and the
 * devnet's JSON: one name per field everywhere.
 */
import { z } from 'zod';

const u16 = z.number().int().min(0).max(65_535);
const nonNegative = z.number().finite().min(0);

/**
 * One neuron of a subnet, as fiber 2.4.0's `fetch_nodes` builds it from `get_metagraph`
 * (miner-protocol-chain.md §6.1): stakes in TAO/alpha units (rao × 1e-9), incentive/trust/vtrust raw u16,
 * `ip` the decimal string of the on-chain u128 (not dotted; `0` = no axon served).
 */
export const NodeSchema = z.object({
  hotkey: z.string().min(1),
  coldkey: z.string().min(1),
  node_id: u16,
  incentive: u16,
  netuid: u16,
  alpha_stake: nonNegative,
  tao_stake: nonNegative,
  stake: nonNegative,
  /** Removed from subtensor in Dec 2025 (fiber HEAD sends 0); kept for the table's sake. */
  trust: u16,
  /** fiber's name for the chain's *consensus* value (not validator trust). */
  vtrust: u16,
  /** Block of the node's last weight set (or registration), as fiber's float. */
  last_updated: nonNegative,
  ip: z.string().regex(/^\d+$/, 'decimal integer string'),
  /** 4 or 6; 0 when the node never served an axon. */
  ip_type: z.union([z.literal(0), z.literal(4), z.literal(6)]),
  port: u16,
  protocol: z.number().int().min(0).max(255),
});
export type Node = z.infer<typeof NodeSchema>;
export const NodeListSchema = z.array(NodeSchema);

/** The per-subnet values weight setting depends on (miner-protocol-chain.md §7.3). */
export const SubnetParamsSchema = z.object({
  netuid: u16,
  tempo: u16,
  weights_set_rate_limit: z.number().int().min(0),
  weights_version_key: z.number().int().min(0),
  commit_reveal_weights_enabled: z.boolean(),
  /** Number of registered uids (`SubnetworkN`). */
  n: u16,
});
export type SubnetParams = z.infer<typeof SubnetParamsSchema>;

/** A hotkey's stake on a subnet, in TAO/alpha units like `Node`. */
export const StakeSchema = z.object({
  hotkey: z.string(),
  netuid: u16,
  alpha_stake: nonNegative,
  tao_stake: nonNegative,
  stake: nonNegative,
});
export type Stake = z.infer<typeof StakeSchema>;

export interface SetWeightsParams {
  netuid: number;
  /** Destination uids. */
  uids: readonly number[];
  /** u16 weights, already normalised and quantised (scoring/weights `normalizeAndQuantizeWeights`). */
  weights: readonly number[];
  /** The chain refuses a key below `WeightsVersionKey`; G.O.D sends 61 000. */
  versionKey: number | bigint;
}

export interface ServeAxonParams {
  netuid: number;
  /** Dotted IPv4 or textual IPv6, converted to the chain's integer form by the implementation. */
  ip: string;
  port: number;
  /** Default 4 (protocolRules.axonProtocol). */
  protocol?: number;
  /** Default 1 (protocolRules.axonVersion). */
  version?: number;
}

/** What a write returns: the block it was applied at (devnet) or the extrinsic hash (subtensor, not yet included). */
export interface WriteReceipt {
  /** `applied`: state already changed (devnet). `submitted`: accepted by the node's pool; inclusion not awaited. */
  status: 'applied' | 'submitted';
  block?: number;
  hash?: string;
}

/** Whether a hotkey may set weights now (`System.Number - LastUpdate[uid] >= WeightsSetRateLimit`). */
export type WeightsReadiness =
  | { ok: true; uid: number; blocksSinceUpdate: number }
  | { ok: false; reason: 'rate_limited'; uid: number; blocksSinceUpdate: number; blocksRemaining: number }
  | { ok: false; reason: 'not_registered' };

export interface Chain {
  /** `devnet` or `subtensor`: for logs and `god chain nodes`. */
  readonly kind: 'devnet' | 'subtensor';
  /** The hotkey writes are signed with, when the chain was given one. */
  readonly signerAddress: string | undefined;
  getBlock(): Promise<number>;
  /** Every neuron of the subnet, ordered by uid. A missing subnet is `ChainError('not_found')`. */
  getNodes(netuid: number): Promise<Node[]>;
  getSubnetParams(netuid: number): Promise<SubnetParams>;
  tempo(netuid: number): Promise<number>;
  /** When true, plain `set_weights` is refused by the chain; `setWeights` throws `CommitRevealNotSupportedError`. */
  commitRevealWeightsEnabled(netuid: number): Promise<boolean>;
  /** `LastUpdate(netuid)`: per uid, the block of its last weight set. */
  lastUpdate(netuid: number): Promise<number[]>;
  /** The uid of a hotkey on a subnet, or null when it is not registered. */
  getUid(netuid: number, hotkey: string): Promise<number | null>;
  /** Null when the hotkey is not registered on the subnet. */
  getStake(netuid: number, hotkey: string): Promise<Stake | null>;
  /**
   * `Weights(netuid, uid)`: the (uid, u16 weight) pairs that neuron last set, as the chain stores them (zeros
   * dropped, sorted by uid as submitted); empty when it never set any. What an auditor compares against.
   */
  getWeights(netuid: number, uid: number): Promise<Array<[number, number]>>;
  /** Rate-limit check for the signer (or the given hotkey), without submitting anything. */
  weightsReadiness(netuid: number, hotkey?: string): Promise<WeightsReadiness>;
  /**
   * Checks commit-reveal, the rate limit and the vectors (equal lengths, unique uids < n, version key) first and
   * throws a typed `ChainError` before submitting anything the chain would refuse.
   */
  setWeights(params: SetWeightsParams): Promise<WriteReceipt>;
  serveAxon(params: ServeAxonParams): Promise<WriteReceipt>;
  close(): Promise<void>;
}
