/**
 * The devnet chain's whole state as one plain object (what the state file holds) and the transitions on it.
 * Every transition checks the same rules subtensor does (../rules.ts) and either changes the state or throws a
 * `ChainError`, never half of each. Stakes are kept in rao as decimal strings: exact, and JSON-safe.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ChainError } from '../errors.ts';
import { checkServeAxon, checkSetWeights, serveAxonError, setWeightsError } from '../rules.ts';
import type { WeightsContext } from '../rules.ts';
import type { Node, SubnetParams } from '../types.ts';
import type { SubnetConfig } from './params.ts';
import { simplifiedYuma, toU16, validatorPermits } from './yuma.ts';

export const STATE_FORMAT = 'god-devnet-chain/1';

const u16 = z.number().int().min(0).max(65_535);
const block = z.number().int().min(0);
const rao = z.string().regex(/^\d+$/, 'rao as a decimal integer string');

const AxonSchema = z.object({
  block,
  version: z.number().int().min(0),
  ip: z.string().regex(/^\d+$/),
  port: u16,
  ipType: z.union([z.literal(4), z.literal(6)]),
  protocol: z.number().int().min(0).max(255),
});

const NeuronSchema = z.object({
  hotkey: z.string(),
  coldkey: z.string(),
  alphaStakeRao: rao,
  taoStakeRao: rao,
  registeredAt: block,
  lastUpdate: block,
  axon: AxonSchema.nullable(),
  weights: z.array(z.tuple([u16, u16])),
  incentive: u16,
  consensus: u16,
});
export type NeuronState = z.infer<typeof NeuronSchema>;

const SubnetConfigSchema = z.object({
  netuid: u16,
  tempo: z.number().int().min(1).max(65_535),
  weightsSetRateLimit: z.number().int().min(0),
  weightsVersionKey: z.number().int().min(0),
  commitRevealWeightsEnabled: z.boolean(),
  maxUids: z.number().int().min(1).max(65_535),
  maxValidators: z.number().int().min(1),
  minStakeToSetWeights: z.number().min(0),
  kappa: z.number().min(0).max(1),
});

const SubnetSchema = z.object({
  config: SubnetConfigSchema,
  neurons: z.array(NeuronSchema),
  lastEpochBlock: block,
});
export type SubnetState = z.infer<typeof SubnetSchema>;

export const DevnetStateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  /** Random per state file: signatures name it, so a signed write cannot be replayed on another devnet chain. */
  chainId: z.string().regex(/^[0-9a-f]{32}$/),
  block,
  /** Share of TAO stake counted in total stake (devnet param, fixed at creation). */
  taoWeight: z.number().min(0).max(1),
  subnets: z.record(z.string().regex(/^\d+$/), SubnetSchema),
  /** Highest accepted nonce per hotkey (replay protection for signed writes). */
  nonces: z.record(z.string(), z.number().int().min(0)),
});
export type DevnetState = z.infer<typeof DevnetStateSchema>;

export function newState(subnets: readonly SubnetConfig[], taoWeight: number): DevnetState {
  const state: DevnetState = { format: STATE_FORMAT, chainId: randomBytes(16).toString('hex'), block: 0, taoWeight, subnets: {}, nonces: {} };
  for (const config of subnets) state.subnets[String(config.netuid)] = { config: { ...config }, neurons: [], lastEpochBlock: 0 };
  return state;
}

export function subnetOf(state: DevnetState, netuid: number): SubnetState {
  const subnet = state.subnets[String(netuid)];
  if (!subnet) throw new ChainError('not_found', `netuid ${netuid} does not exist on this devnet chain`, { chainError: 'SubNetworkDoesNotExist' });
  return subnet;
}

export function uidOf(subnet: SubnetState, hotkey: string): number | null {
  const uid = subnet.neurons.findIndex((n) => n.hotkey === hotkey);
  return uid < 0 ? null : uid;
}

const RAO_PER_UNIT = 1_000_000_000n;

/** TAO/alpha units → rao, rounded to the nearest rao. */
export function toRao(units: number): bigint {
  if (!Number.isFinite(units) || units < 0) throw new ChainError('rejected', `stake must be a non-negative number, got ${units}`);
  return BigInt(Math.round(units * 1e9));
}

/** fiber's `rao * 1e-9`: Python converts the int to the nearest double, then multiplies; Number() does the same. */
export function fromRao(value: bigint): number {
  return Number(value) * 1e-9;
}

/** `total_stake` = alpha + TAO × TaoWeight, in rao (subtensor's dTAO stake weight, simplified to one factor). */
export function totalStakeRao(neuron: NeuronState, taoWeight: number): bigint {
  const weightPpb = BigInt(Math.round(taoWeight * 1e9));
  return BigInt(neuron.alphaStakeRao) + (BigInt(neuron.taoStakeRao) * weightPpb) / RAO_PER_UNIT;
}

function stakesOf(subnet: SubnetState, taoWeight: number): number[] {
  return subnet.neurons.map((n) => fromRao(totalStakeRao(n, taoWeight)));
}

export function permitsOf(state: DevnetState, subnet: SubnetState): boolean[] {
  return validatorPermits(stakesOf(subnet, state.taoWeight), subnet.config.maxValidators);
}

export function nodesOf(state: DevnetState, netuid: number): Node[] {
  const subnet = subnetOf(state, netuid);
  return subnet.neurons.map((n, uid) => ({
    hotkey: n.hotkey,
    coldkey: n.coldkey,
    node_id: uid,
    incentive: n.incentive,
    netuid,
    alpha_stake: fromRao(BigInt(n.alphaStakeRao)),
    tao_stake: fromRao(BigInt(n.taoStakeRao)),
    stake: fromRao(totalStakeRao(n, state.taoWeight)),
    trust: 0,
    vtrust: n.consensus,
    last_updated: n.lastUpdate,
    ip: n.axon?.ip ?? '0',
    ip_type: n.axon?.ipType ?? 0,
    port: n.axon?.port ?? 0,
    protocol: n.axon?.protocol ?? 0,
  }));
}

export function subnetParamsOf(state: DevnetState, netuid: number): SubnetParams {
  const { config, neurons } = subnetOf(state, netuid);
  return {
    netuid,
    tempo: config.tempo,
    weights_set_rate_limit: config.weightsSetRateLimit,
    weights_version_key: config.weightsVersionKey,
    commit_reveal_weights_enabled: config.commitRevealWeightsEnabled,
    n: neurons.length,
  };
}

export interface RegisterCall {
  netuid: number;
  hotkey: string;
  coldkey: string;
  alphaStakeRao: bigint;
  taoStakeRao: bigint;
}

/** Burned registration without the burn: the hotkey takes the next uid. Returns the uid. */
export function register(state: DevnetState, call: RegisterCall): number {
  const subnet = subnetOf(state, call.netuid);
  if (uidOf(subnet, call.hotkey) !== null) {
    throw new ChainError('already_registered', `hotkey ${call.hotkey} is already registered on netuid ${call.netuid}`, { chainError: 'HotKeyAlreadyRegisteredInSubNet' });
  }
  if (subnet.neurons.length >= subnet.config.maxUids) {
    throw new ChainError('subnet_full', `netuid ${call.netuid} is full (${subnet.config.maxUids} uids)`, { chainError: 'TooManyRegistrationsThisInterval' });
  }
  subnet.neurons.push({
    hotkey: call.hotkey,
    coldkey: call.coldkey,
    alphaStakeRao: call.alphaStakeRao.toString(),
    taoStakeRao: call.taoStakeRao.toString(),
    registeredAt: state.block,
    // subtensor sets LastUpdate to the registration block, so a new neuron is not "stale".
    lastUpdate: state.block,
    axon: null,
    weights: [],
    incentive: 0,
    consensus: 0,
  });
  return subnet.neurons.length - 1;
}

function neuronOf(state: DevnetState, netuid: number, hotkey: string): { subnet: SubnetState; uid: number; neuron: NeuronState } {
  const subnet = subnetOf(state, netuid);
  const uid = uidOf(subnet, hotkey);
  const neuron = uid === null ? undefined : subnet.neurons[uid];
  if (uid === null || neuron === undefined) {
    throw new ChainError('not_registered', `hotkey ${hotkey} is not registered on netuid ${netuid}`, { chainError: 'HotKeyNotRegisteredInSubNet' });
  }
  return { subnet, uid, neuron };
}

export function setStake(state: DevnetState, netuid: number, hotkey: string, alphaStakeRao: bigint, taoStakeRao: bigint): number {
  const { uid, neuron } = neuronOf(state, netuid, hotkey);
  neuron.alphaStakeRao = alphaStakeRao.toString();
  neuron.taoStakeRao = taoStakeRao.toString();
  return uid;
}

export function weightsContext(state: DevnetState, netuid: number, hotkey: string): WeightsContext {
  const subnet = subnetOf(state, netuid);
  const uid = uidOf(subnet, hotkey);
  const neuron = uid === null ? undefined : subnet.neurons[uid];
  const { config } = subnet;
  return {
    netuid,
    block: state.block,
    n: subnet.neurons.length,
    commitRevealWeightsEnabled: config.commitRevealWeightsEnabled,
    weightsSetRateLimit: config.weightsSetRateLimit,
    weightsVersionKey: config.weightsVersionKey,
    uid,
    lastUpdate: neuron?.lastUpdate ?? 0,
    ...(neuron ? { stake: fromRao(totalStakeRao(neuron, state.taoWeight)), minStake: config.minStakeToSetWeights } : {}),
    ...(uid !== null ? { validatorPermit: permitsOf(state, subnet)[uid] ?? false } : {}),
  };
}

export interface WeightsCallRaw {
  netuid: number;
  uids: readonly number[];
  weights: readonly number[];
  versionKey: bigint;
}

export function setWeights(state: DevnetState, hotkey: string, call: WeightsCallRaw): number {
  const ctx = weightsContext(state, call.netuid, hotkey);
  const verdict = checkSetWeights(ctx, call);
  if (!verdict.ok) throw setWeightsError(ctx, verdict);
  const { neuron, uid } = neuronOf(state, call.netuid, hotkey);
  // Stored as the chain does after max-upscaling: only non-zero weights are kept.
  neuron.weights = call.uids.map((u, i) => [u, call.weights[i] ?? 0] as [number, number]).filter(([, w]) => w > 0);
  neuron.lastUpdate = state.block;
  return uid;
}

export interface AxonCallRaw {
  netuid: number;
  version: number;
  ip: bigint;
  port: number;
  ipType: number;
  protocol: number;
}

export function serveAxon(state: DevnetState, hotkey: string, call: AxonCallRaw, allowLoopback: boolean): number {
  const subnet = subnetOf(state, call.netuid);
  const uid = uidOf(subnet, hotkey);
  const verdict = checkServeAxon(uid !== null, call, { allowLoopback });
  if (!verdict.ok) throw serveAxonError(verdict);
  const neuron = subnet.neurons[uid as number] as NeuronState;
  neuron.axon = { block: state.block, version: call.version, ip: call.ip.toString(), port: call.port, ipType: call.ipType as 4 | 6, protocol: call.protocol };
  return uid as number;
}

/** subtensor's schedule: netuid runs its epoch at blocks where (block + netuid + 1) % (tempo + 1) == 0. */
export function isEpochBlock(blockNumber: number, netuid: number, tempo: number): boolean {
  return (blockNumber + netuid + 1) % (tempo + 1) === 0;
}

export function runEpoch(state: DevnetState, subnet: SubnetState): void {
  const stakes = stakesOf(subnet, state.taoWeight);
  const permits = validatorPermits(stakes, subnet.config.maxValidators);
  const result = simplifiedYuma(
    subnet.neurons.map((n, uid) => ({ stake: stakes[uid] ?? 0, validatorPermit: permits[uid] ?? false, weights: n.weights, lastUpdate: n.lastUpdate, registeredAt: n.registeredAt })),
    subnet.config.kappa,
  );
  subnet.neurons.forEach((n, uid) => {
    n.incentive = toU16(result.incentive[uid] ?? 0);
    n.consensus = toU16(result.consensus[uid] ?? 0);
  });
  subnet.lastEpochBlock = state.block;
}

/** Produces one block; returns the netuids whose epoch ran in it. */
export function advanceBlock(state: DevnetState): number[] {
  state.block += 1;
  const ran: number[] = [];
  for (const subnet of Object.values(state.subnets)) {
    if (isEpochBlock(state.block, subnet.config.netuid, subnet.config.tempo)) {
      runEpoch(state, subnet);
      ran.push(subnet.config.netuid);
    }
  }
  return ran;
}
