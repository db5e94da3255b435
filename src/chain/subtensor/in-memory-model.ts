/**
 * InMemorySubtensorModel: one subnet's slice of subtensor state, written into a RecordedRpcProviderFake as real
 * SCALE storage values and a real `get_metagraph` reply, and applying submitted extrinsics the way the pallet
 * would (decoded from their bytes with the runtime's own metadata, judged by the same rules module the chain's
 * order is copied into). Test support only: it does not verify extrinsic signatures, fees, nonces or eras.
 */
import type { ApiPromise } from '@polkadot/api';
import { blake2AsHex } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { checkServeAxon, checkSetWeights } from '../rules.ts';
import { RecordedRpcProviderFake, RpcErrorFake } from './recorded-rpc-provider-fake.ts';

export interface ModelNeuron {
  hotkey: string;
  coldkey: string;
  alphaStakeRao: bigint;
  taoStakeRao: bigint;
  totalStakeRao: bigint;
  axon: { ip: bigint; port: number; ipType: number; protocol: number } | null;
  incentive: number;
  consensus: number;
}

export interface SubmittedCall {
  section: string;
  method: string;
  signer: string;
  args: unknown[];
  accepted: boolean;
  refusal?: string;
}

export class InMemorySubtensorModel {
  block = 1000;
  tempo = 360;
  weightsSetRateLimit = 100;
  weightsVersionKey = 0;
  commitRevealWeightsEnabled = false;
  neurons: ModelNeuron[] = [];
  lastUpdate: number[] = [];
  weights = new Map<number, [number, number][]>();
  readonly submitted: SubmittedCall[] = [];

  constructor(
    private readonly api: ApiPromise,
    private readonly fake: RecordedRpcProviderFake,
    readonly netuid: number,
  ) {
    fake.onSubmit = (hex) => this.submit(hex);
  }

  uidOf(hotkey: string): number | null {
    const uid = this.neurons.findIndex((n) => n.hotkey === hotkey);
    return uid < 0 ? null : uid;
  }

  private put(key: string, type: string, value: unknown): void {
    this.fake.storage.set(key, u8aToHex(this.api.registry.createType(type, value).toU8a()));
  }

  /** Writes the model into the fake's storage and runtime-call tables. */
  publish(): void {
    const q = this.api.query;
    const sm = q.subtensorModule as NonNullable<typeof q.subtensorModule>;
    const key = (item: string, ...args: unknown[]) => (sm[item] as NonNullable<(typeof sm)[string]>).key(...args);
    this.put((q.system as NonNullable<typeof q.system>).number!.key(), 'u32', this.block);
    this.put(key('tempo', this.netuid), 'u16', this.tempo);
    this.put(key('weightsSetRateLimit', this.netuid), 'u64', this.weightsSetRateLimit);
    this.put(key('weightsVersionKey', this.netuid), 'u64', this.weightsVersionKey);
    this.put(key('commitRevealWeightsEnabled', this.netuid), 'bool', this.commitRevealWeightsEnabled);
    this.put(key('subnetworkN', this.netuid), 'u16', this.neurons.length);
    this.put(key('lastUpdate', this.netuid), 'Vec<u64>', this.lastUpdate);
    this.neurons.forEach((n, uid) => this.put(key('uids', this.netuid, n.hotkey), 'u16', uid));
    for (const [uid, pairs] of this.weights) this.put(key('weights', this.netuid, uid), 'Vec<(u16,u16)>', pairs);
    const metagraph = this.api.registry.createType('Option<PalletSubtensorRpcInfoMetagraph>', {
      netuid: this.netuid,
      block: this.block,
      tempo: this.tempo,
      weightsVersion: this.weightsVersionKey,
      weightsRateLimit: this.weightsSetRateLimit,
      commitRevealWeightsEnabled: this.commitRevealWeightsEnabled,
      numUids: this.neurons.length,
      hotkeys: this.neurons.map((n) => n.hotkey),
      coldkeys: this.neurons.map((n) => n.coldkey),
      axons: this.neurons.map((n) => ({ block: n.axon ? this.block : 0, version: n.axon ? 1 : 0, ip: n.axon?.ip ?? 0n, port: n.axon?.port ?? 0, ipType: n.axon?.ipType ?? 0, protocol: n.axon?.protocol ?? 0 })),
      active: this.neurons.map(() => true),
      validatorPermit: this.neurons.map((n) => n.totalStakeRao > 0n),
      lastUpdate: this.lastUpdate,
      incentives: this.neurons.map((n) => n.incentive),
      consensus: this.neurons.map((n) => n.consensus),
      trust: [],
      alphaStake: this.neurons.map((n) => n.alphaStakeRao),
      taoStake: this.neurons.map((n) => n.taoStakeRao),
      totalStake: this.neurons.map((n) => n.totalStakeRao),
    });
    // Option.toHex() drops the Some tag; the runtime API answers the full Option bytes.
    this.fake.runtimeCalls.set(
      RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', u8aToHex(this.api.registry.createType('u16', this.netuid).toU8a())),
      u8aToHex(metagraph.toU8a()),
    );
  }

  /** Produces blocks (as the chain would between two calls) and republishes. */
  advance(blocks: number): void {
    this.block += blocks;
    this.publish();
  }

  private submit(hex: string): string {
    const ext = this.api.registry.createType('Extrinsic', hexToU8a(hex));
    const { section, method } = ext.method;
    const signer = ext.signer.toString();
    const args = ext.method.args.map((a) => a.toPrimitive());
    const refuse = (refusal: string): never => {
      this.submitted.push({ section, method, signer, args, accepted: false, refusal });
      // What a node answers when the runtime's validation refuses a transaction.
      throw new RpcErrorFake(1010, 'Invalid Transaction', refusal);
    };
    if (!ext.isSigned) refuse('unsigned');
    if (section !== 'subtensorModule') refuse(`unexpected pallet ${section}`);
    const uid = this.uidOf(signer);
    if (method === 'setWeights') {
      const [netuid, dests, weights, versionKey] = args as [number, number[], number[], number | string];
      if (netuid !== this.netuid) refuse('SubNetworkDoesNotExist');
      const verdict = checkSetWeights(
        {
          netuid,
          block: this.block,
          n: this.neurons.length,
          commitRevealWeightsEnabled: this.commitRevealWeightsEnabled,
          weightsSetRateLimit: this.weightsSetRateLimit,
          weightsVersionKey: this.weightsVersionKey,
          uid,
          lastUpdate: uid === null ? 0 : (this.lastUpdate[uid] ?? 0),
        },
        { uids: dests, weights, versionKey: BigInt(versionKey) },
      );
      if (!verdict.ok) refuse(verdict.refusal);
      this.weights.set(uid as number, dests.map((d, i) => [d, weights[i] ?? 0]));
      this.lastUpdate[uid as number] = this.block;
    } else if (method === 'serveAxon') {
      const [netuid, , ip, port, ipType, protocol] = args as [number, number, number | string, number, number, number];
      if (netuid !== this.netuid) refuse('SubNetworkDoesNotExist');
      const verdict = checkServeAxon(uid !== null, { ip: BigInt(ip), ipType, port });
      if (!verdict.ok) refuse(verdict.refusal);
      (this.neurons[uid as number] as ModelNeuron).axon = { ip: BigInt(ip), port, ipType, protocol };
    } else {
      refuse(`unexpected call ${method}`);
    }
    this.submitted.push({ section, method, signer, args, accepted: true });
    this.publish();
    return blake2AsHex(hexToU8a(hex));
  }
}
