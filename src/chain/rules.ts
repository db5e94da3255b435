/**
 * Subtensor's admission rules for `set_weights` and `serve_axon` (opentensor/subtensor
 * `subnets/weights.rs::internal_set_weights`, `subnets/serving.rs`; subtensor-offline.md §4), written once as
 * plain functions. The devnet chain enforces them, the subtensor adapter checks them before submitting, and the
 * in-memory subtensor model in the tests applies them to decoded extrinsics. Refusals carry subtensor's error
 * names, checked in subtensor's order, so the first failing rule is the one the real chain would report.
 */
import { ChainError, CommitRevealNotSupportedError, WeightsRateLimitedError } from './errors.ts';

export const SET_WEIGHTS_REFUSALS = [
  'CommitRevealEnabled',
  'WeightVecNotEqualSize',
  'UidsLengthExceedUidsInSubNet',
  'HotKeyNotRegisteredInSubNet',
  'NotEnoughStakeToSetWeights',
  'IncorrectWeightVersionKey',
  'SettingWeightsTooFast',
  'NeuronNoValidatorPermit',
  'DuplicateUids',
  'UidVecContainInvalidOne',
  'WeightVecLengthIsLow',
  'InvalidWeightValue',
] as const;
export type SetWeightsRefusal = (typeof SET_WEIGHTS_REFUSALS)[number];

/** The chain state `set_weights` is judged against. */
export interface WeightsContext {
  netuid: number;
  block: number;
  /** `SubnetworkN`: uids 0..n-1 exist. */
  n: number;
  commitRevealWeightsEnabled: boolean;
  weightsSetRateLimit: number;
  weightsVersionKey: number | bigint;
  /** The caller's uid, or null when its hotkey is not registered. */
  uid: number | null;
  /** `LastUpdate[uid]`; 0 means "never", which the rate limit lets through. */
  lastUpdate: number;
  /** Caller's stake against the subnet's minimum (both in the same unit); omitted means no stake rule. */
  stake?: number;
  minStake?: number;
  /** Validator permit; omitted means permitted. */
  validatorPermit?: boolean;
  /** `MinAllowedWeights` (default 0: no minimum). */
  minAllowedWeights?: number;
}

export interface WeightsCall {
  uids: readonly number[];
  weights: readonly number[];
  versionKey: number | bigint;
}

export type RuleVerdict<R extends string> = { ok: true } | { ok: false; refusal: R; message: string };

/** `now - LastUpdate >= limit`, with 0 meaning never set (subtensor's `check_rate_limit`). */
export function blocksSinceUpdate(block: number, lastUpdate: number): number {
  return Math.max(0, block - lastUpdate);
}

export function rateLimitPasses(block: number, lastUpdate: number, limit: number): boolean {
  return lastUpdate === 0 || blocksSinceUpdate(block, lastUpdate) >= limit;
}

function refuse<R extends string>(refusal: R, message: string): RuleVerdict<R> {
  return { ok: false, refusal, message };
}

export function checkSetWeights(ctx: WeightsContext, call: WeightsCall): RuleVerdict<SetWeightsRefusal> {
  if (ctx.commitRevealWeightsEnabled) return refuse('CommitRevealEnabled', `commit-reveal is enabled on netuid ${ctx.netuid}`);
  if (call.uids.length !== call.weights.length) {
    return refuse('WeightVecNotEqualSize', `${call.uids.length} uids but ${call.weights.length} weights`);
  }
  if (call.uids.length > ctx.n) return refuse('UidsLengthExceedUidsInSubNet', `${call.uids.length} uids for a subnet of ${ctx.n}`);
  if (ctx.uid === null) return refuse('HotKeyNotRegisteredInSubNet', `hotkey is not registered on netuid ${ctx.netuid}`);
  if (ctx.minStake !== undefined && ctx.stake !== undefined && ctx.stake < ctx.minStake) {
    return refuse('NotEnoughStakeToSetWeights', `stake ${ctx.stake} is below the minimum ${ctx.minStake}`);
  }
  const floor = BigInt(ctx.weightsVersionKey);
  if (floor !== 0n && BigInt(call.versionKey) < floor) {
    return refuse('IncorrectWeightVersionKey', `version key ${call.versionKey} is below WeightsVersionKey ${ctx.weightsVersionKey}`);
  }
  if (!rateLimitPasses(ctx.block, ctx.lastUpdate, ctx.weightsSetRateLimit)) {
    return refuse('SettingWeightsTooFast', `last set ${blocksSinceUpdate(ctx.block, ctx.lastUpdate)} blocks ago, limit ${ctx.weightsSetRateLimit}`);
  }
  if (ctx.validatorPermit === false) return refuse('NeuronNoValidatorPermit', `uid ${ctx.uid} has no validator permit`);
  if (new Set(call.uids).size !== call.uids.length) return refuse('DuplicateUids', 'a uid appears twice');
  const bad = call.uids.find((u) => !Number.isInteger(u) || u < 0 || u >= ctx.n);
  if (bad !== undefined) return refuse('UidVecContainInvalidOne', `uid ${bad} does not exist (n = ${ctx.n})`);
  const onlySelf = call.uids.length === 1 && call.uids[0] === ctx.uid;
  if (!onlySelf && call.uids.length < (ctx.minAllowedWeights ?? 0)) {
    return refuse('WeightVecLengthIsLow', `${call.uids.length} weights, the subnet needs at least ${ctx.minAllowedWeights}`);
  }
  // Not a subtensor rule by name: the extrinsic's Vec<u16> cannot carry anything else, so refuse it here.
  const badWeight = call.weights.find((w) => !Number.isInteger(w) || w < 0 || w > 65_535);
  if (badWeight !== undefined) return refuse('InvalidWeightValue', `weight ${badWeight} is not a u16`);
  return { ok: true };
}

/** Turns a refusal into the typed error callers branch on. */
export function setWeightsError(ctx: WeightsContext, verdict: { refusal: SetWeightsRefusal; message: string }): ChainError {
  switch (verdict.refusal) {
    case 'CommitRevealEnabled':
      return new CommitRevealNotSupportedError(ctx.netuid);
    case 'SettingWeightsTooFast':
      return new WeightsRateLimitedError(ctx.netuid, ctx.uid ?? -1, blocksSinceUpdate(ctx.block, ctx.lastUpdate), ctx.weightsSetRateLimit);
    case 'HotKeyNotRegisteredInSubNet':
      return new ChainError('not_registered', verdict.message, { chainError: verdict.refusal });
    case 'IncorrectWeightVersionKey':
      return new ChainError('version_key', verdict.message, { chainError: verdict.refusal });
    case 'NotEnoughStakeToSetWeights':
    case 'NeuronNoValidatorPermit':
      return new ChainError('not_permitted', verdict.message, { chainError: verdict.refusal });
    default:
      return new ChainError('invalid_weights', verdict.message, { chainError: verdict.refusal });
  }
}

export const SERVE_AXON_REFUSALS = ['HotKeyNotRegisteredInNetwork', 'InvalidIpType', 'InvalidIpAddress', 'InvalidPort'] as const;
export type ServeAxonRefusal = (typeof SERVE_AXON_REFUSALS)[number];

export interface AxonCall {
  ip: bigint;
  ipType: number;
  port: number;
}

const LOOPBACK_V4 = 0x7f000001n;
const LOOPBACK_V6 = 1n;

/**
 * subtensor's `is_valid_ip_address`: IPv4 below 2^32-1 and not 127.0.0.1; IPv6 not ::1 and not all ones; 0 is
 * allowed (it clears the axon). `allowLoopback` is the devnet's exception: everything there runs on one host.
 */
export function checkServeAxon(registered: boolean, call: AxonCall, options: { allowLoopback?: boolean } = {}): RuleVerdict<ServeAxonRefusal> {
  if (!registered) return refuse('HotKeyNotRegisteredInNetwork', 'hotkey is not registered on the subnet');
  if (call.ipType !== 4 && call.ipType !== 6) return refuse('InvalidIpType', `ip_type ${call.ipType} is neither 4 nor 6`);
  const loopback = call.ipType === 4 ? LOOPBACK_V4 : LOOPBACK_V6;
  const max = call.ipType === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  if (call.ip < 0n || call.ip >= max || (call.ip === loopback && !options.allowLoopback)) {
    return refuse('InvalidIpAddress', `ip ${call.ip} is not a valid IPv${call.ipType} address for an axon`);
  }
  if (!Number.isInteger(call.port) || call.port <= 0 || call.port > 65_535) return refuse('InvalidPort', `port ${call.port} is invalid`);
  return { ok: true };
}

export function serveAxonError(verdict: { refusal: ServeAxonRefusal; message: string }): ChainError {
  if (verdict.refusal === 'HotKeyNotRegisteredInNetwork') return new ChainError('not_registered', verdict.message, { chainError: verdict.refusal });
  return new ChainError('invalid_axon', verdict.message, { chainError: verdict.refusal });
}
