/**
 * `Chain` on Bittensor's subtensor through @polkadot/api 16.5.6 (miner-protocol-chain.md §6–8,
 * subtensor-offline.md). Reads: the metagraph from the runtime API `SubnetInfoRuntimeApi.get_metagraph`, the
 * weight-setting preconditions from storage (`Tempo`, `WeightsSetRateLimit`, `WeightsVersionKey`,
 * `CommitRevealWeightsEnabled`, `SubnetworkN`, `LastUpdate`, `Uids`, `System.Number`). Writes:
 * `SubtensorModule.set_weights` (mortal era of 5 blocks, as fiber) and `serve_axon`, submitted without waiting
 * for inclusion, after checking every rule we can see from storage so a refusal is a typed error before
 * anything is sent. Commit-reveal is detected and refused (`CommitRevealNotSupportedError`).
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { ProviderInterface } from '@polkadot/rpc-provider/types';
import type { Codec, IKeyringPair, Registry } from '@polkadot/types/types';
import { u8aConcat } from '@polkadot/util';
import { z } from 'zod';
import { protocolRules } from '../../core/rules/protocol.ts';
import { weightsRules } from '../../core/rules/weights.ts';
import type { Sr25519Keypair } from '../../keys/keypair.ts';
import { ChainError, decodeError } from '../errors.ts';
import { ipFromText } from '../ip.ts';
import { blocksSinceUpdate, checkServeAxon, checkSetWeights, rateLimitPasses, serveAxonError, setWeightsError } from '../rules.ts';
import type { WeightsContext } from '../rules.ts';
import type { Chain, Node, ServeAxonParams, SetWeightsParams, Stake, SubnetParams, WeightsReadiness, WriteReceipt } from '../types.ts';
import { metagraphToNodes, parseMetagraph, type Metagraph } from './metagraph.ts';

/** polkadot-js's signer shape over our keypair; `withType` prefixes the MultiSignature tag (1 = sr25519). */
export function keyringPairOf(keypair: Sr25519Keypair): IKeyringPair {
  return {
    address: keypair.ss58Address,
    addressRaw: keypair.publicKey,
    publicKey: keypair.publicKey,
    sign: (data: Uint8Array, options?: { withType?: boolean }) => {
      const signature = keypair.sign(data);
      return options?.withType ? u8aConcat(new Uint8Array([1]), signature) : signature;
    },
  };
}

const u64 = z.union([z.number().int().min(0), z.string().regex(/^\d+$/), z.bigint()]).transform((v) => Number(v));
const ParamsPrimitive = z.tuple([z.number().int().min(0).max(65_535), u64, u64, z.boolean(), z.number().int().min(0).max(65_535)]);
const LastUpdatePrimitive = z.array(u64);
const UidPrimitive = z.number().int().min(0).max(65_535).nullable();
const WeightsPrimitive = z.array(z.tuple([z.number().int().min(0).max(65_535), z.number().int().min(0).max(65_535)]));

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw decodeError(what, result.error);
  return result.data;
}

/** Turns transport failures into `unreachable`; anything already typed passes through. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ChainError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // A JSON-RPC error from the node (e.g. 1010 Invalid Transaction) is a refusal, not an outage.
    if (/^\d+: /.test(message) || /Invalid Transaction|Priority is too low|Transaction is outdated/i.test(message)) {
      throw new ChainError('rejected', `subtensor refused ${what}: ${message}`, { cause: err });
    }
    if (/createType|decode|Unable to/i.test(message)) throw decodeError(what, err as Error);
    throw new ChainError('unreachable', `subtensor call ${what} failed: ${message}`, { cause: err });
  }
}

/** The SubtensorModule error behind a `DispatchError::Module`, named from the runtime's own metadata (indices move between runtimes). */
export function moduleErrorName(registry: Registry, error: { index: number; error: number }): string {
  const meta = registry.findMetaError(new Uint8Array([error.index, error.error]));
  return `${meta.section}.${meta.name}`;
}

type StorageFn = (...args: unknown[]) => Promise<Codec>;
type OptionCodec = Codec & { isNone: boolean; unwrap(): Codec };

/** The runtime must still have what the adapter uses; a missing item is a decode error naming it (runtime drift). */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ChainError('decode', `this runtime has no ${what}; the subtensor adapter needs updating`);
  return value;
}

export interface SubtensorChainOptions {
  signer?: Sr25519Keypair;
  /** Mortal era of signed extrinsics, in blocks (default weights.extrinsicEraBlocks = 5, as fiber). */
  eraPeriod?: number;
}

export class SubtensorChain implements Chain {
  readonly kind = 'subtensor' as const;
  readonly api: ApiPromise;
  private readonly signer: Sr25519Keypair | undefined;
  private readonly eraPeriod: number;

  constructor(api: ApiPromise, options: SubtensorChainOptions = {}) {
    this.api = api;
    this.signer = options.signer;
    this.eraPeriod = options.eraPeriod ?? weightsRules.extrinsicEraBlocks;
  }

  /** Connects over a websocket (production) or any provider (tests). */
  static async connect(options: SubtensorChainOptions & { endpoint?: string; provider?: ProviderInterface; metadata?: Record<string, `0x${string}`> }): Promise<SubtensorChain> {
    const provider = options.provider ?? new WsProvider(options.endpoint ?? 'wss://entrypoint-finney.opentensor.ai:443');
    try {
      const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true, ...(options.metadata ? { metadata: options.metadata } : {}) });
      return new SubtensorChain(api, options);
    } catch (err) {
      await provider.disconnect().catch(() => undefined);
      throw new ChainError('unreachable', `could not connect to subtensor: ${(err as Error).message}`, { cause: err });
    }
  }

  get signerAddress(): string | undefined {
    return this.signer?.ss58Address;
  }

  private storage(item: string, pallet = 'subtensorModule'): StorageFn {
    return need(this.api.query[pallet]?.[item], `storage ${pallet}.${item}`) as unknown as StorageFn;
  }

  private tx(call: 'setWeights' | 'serveAxon') {
    return need(this.api.tx.subtensorModule?.[call], `call subtensorModule.${call}`);
  }

  async getBlock(): Promise<number> {
    const n = await guard('System.Number', () => this.storage('number', 'system')());
    return parsed(u64, n.toPrimitive(), 'System.Number');
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const call = need(this.api.call.subnetInfoRuntimeApi?.getMetagraph, 'runtime API SubnetInfoRuntimeApi.get_metagraph');
    const answer = (await guard(`get_metagraph(${netuid})`, () => call(netuid))) as OptionCodec;
    if (answer.isNone) throw new ChainError('not_found', `netuid ${netuid} does not exist on this chain (get_metagraph returned None)`);
    return parseMetagraph(answer.unwrap().toPrimitive(), netuid);
  }

  async getNodes(netuid: number): Promise<Node[]> {
    return metagraphToNodes(await this.metagraph(netuid));
  }

  async getSubnetParams(netuid: number): Promise<SubnetParams> {
    const items = ['tempo', 'weightsSetRateLimit', 'weightsVersionKey', 'commitRevealWeightsEnabled', 'subnetworkN'].map((item) => this.storage(item));
    const values = await guard(`hyperparameters of netuid ${netuid}`, () => Promise.all(items.map((query) => query(netuid))));
    const [tempo, limit, versionKey, commitReveal, n] = parsed(ParamsPrimitive, values.map((v) => v.toPrimitive()), `hyperparameters of netuid ${netuid}`);
    return { netuid, tempo, weights_set_rate_limit: limit, weights_version_key: versionKey, commit_reveal_weights_enabled: commitReveal, n };
  }

  async tempo(netuid: number): Promise<number> {
    return (await this.getSubnetParams(netuid)).tempo;
  }

  async commitRevealWeightsEnabled(netuid: number): Promise<boolean> {
    return (await this.getSubnetParams(netuid)).commit_reveal_weights_enabled;
  }

  async lastUpdate(netuid: number): Promise<number[]> {
    const value = await guard(`LastUpdate(${netuid})`, () => this.storage('lastUpdate')(netuid));
    return parsed(LastUpdatePrimitive, value.toPrimitive(), `LastUpdate(${netuid})`);
  }

  async getUid(netuid: number, hotkey: string): Promise<number | null> {
    const value = await guard(`Uids(${netuid}, ${hotkey})`, () => this.storage('uids')(netuid, hotkey));
    return parsed(UidPrimitive, value.toPrimitive(), `Uids(${netuid})`);
  }

  /** Storage `Weights(netuid, uid)` (mechanism 0: the storage index is the netuid). */
  async getWeights(netuid: number, uid: number): Promise<Array<[number, number]>> {
    const value = await guard(`Weights(${netuid}, ${uid})`, () => this.storage('weights')(netuid, uid));
    return parsed(WeightsPrimitive, value.toPrimitive(), `Weights(${netuid}, ${uid})`);
  }

  async getStake(netuid: number, hotkey: string): Promise<Stake | null> {
    const node = (await this.getNodes(netuid)).find((n) => n.hotkey === hotkey);
    return node ? { hotkey, netuid, alpha_stake: node.alpha_stake, tao_stake: node.tao_stake, stake: node.stake } : null;
  }

  private async weightsContext(netuid: number, hotkey: string): Promise<WeightsContext> {
    const [uid, params, block, lastUpdate] = await Promise.all([this.getUid(netuid, hotkey), this.getSubnetParams(netuid), this.getBlock(), this.lastUpdate(netuid)]);
    return {
      netuid,
      block,
      n: params.n,
      commitRevealWeightsEnabled: params.commit_reveal_weights_enabled,
      weightsSetRateLimit: params.weights_set_rate_limit,
      weightsVersionKey: params.weights_version_key,
      uid,
      lastUpdate: uid === null ? 0 : (lastUpdate[uid] ?? 0),
    };
  }

  async weightsReadiness(netuid: number, hotkey?: string): Promise<WeightsReadiness> {
    const ctx = await this.weightsContext(netuid, hotkey ?? this.requireSigner().ss58Address);
    if (ctx.uid === null) return { ok: false, reason: 'not_registered' };
    const since = blocksSinceUpdate(ctx.block, ctx.lastUpdate);
    if (rateLimitPasses(ctx.block, ctx.lastUpdate, ctx.weightsSetRateLimit)) return { ok: true, uid: ctx.uid, blocksSinceUpdate: since };
    return { ok: false, reason: 'rate_limited', uid: ctx.uid, blocksSinceUpdate: since, blocksRemaining: ctx.weightsSetRateLimit - since };
  }

  /** The signed `set_weights` extrinsic without sending it (also what tests decode). */
  async buildSetWeights(params: SetWeightsParams) {
    const signer = this.requireSigner();
    const tx = this.tx('setWeights')(params.netuid, [...params.uids], [...params.weights], BigInt(params.versionKey));
    return guard('signing set_weights', () => tx.signAsync(keyringPairOf(signer), { era: this.eraPeriod }));
  }

  async setWeights(params: SetWeightsParams): Promise<WriteReceipt> {
    const signer = this.requireSigner();
    const ctx = await this.weightsContext(params.netuid, signer.ss58Address);
    const verdict = checkSetWeights(ctx, params);
    if (!verdict.ok) throw setWeightsError(ctx, verdict);
    const tx = await this.buildSetWeights(params);
    const hash = await guard('set_weights', () => this.api.rpc.author.submitExtrinsic(tx));
    return { status: 'submitted', hash: hash.toHex(), block: ctx.block };
  }

  async serveAxon(params: ServeAxonParams): Promise<WriteReceipt> {
    const signer = this.requireSigner();
    let address: { ip: bigint; ipType: number };
    try {
      address = ipFromText(params.ip);
    } catch (err) {
      throw new ChainError('invalid_axon', (err as Error).message, { chainError: 'InvalidIpAddress' });
    }
    const uid = await this.getUid(params.netuid, signer.ss58Address);
    const verdict = checkServeAxon(uid !== null, { ip: address.ip, ipType: address.ipType, port: params.port });
    if (!verdict.ok) throw serveAxonError(verdict);
    const tx = this.tx('serveAxon')(
      params.netuid,
      params.version ?? protocolRules.axonVersion,
      address.ip,
      params.port,
      address.ipType,
      params.protocol ?? protocolRules.axonProtocol,
      0,
      0,
    );
    const signed = await guard('signing serve_axon', () => tx.signAsync(keyringPairOf(signer), { era: this.eraPeriod }));
    const hash = await guard('serve_axon', () => this.api.rpc.author.submitExtrinsic(signed));
    return { status: 'submitted', hash: hash.toHex() };
  }

  async close(): Promise<void> {
    await this.api.disconnect();
  }

  private requireSigner(): Sr25519Keypair {
    if (!this.signer) throw new ChainError('no_signer', 'this chain connection has no hotkey to sign with');
    return this.signer;
  }
}
