/**
 * The devnet chain as a running thing: the state, a block timer on an injectable clock (so `--scale 100` or a
 * test's ManualClock drives it), signed writes, and the state file. `DevnetApi` is what both the HTTP server and
 * the in-process client talk to, so the embedded chain and `god chain` behave the same.
 */
import type { Clock, Timer } from '../../clock/index.ts';
import { systemClock } from '../../clock/index.ts';
import { protocolRules } from '../../core/rules/protocol.ts';
import { silentLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { ChainError } from '../errors.ts';
import type { Node, SubnetParams } from '../types.ts';
import { EnvelopeSchema, verifyEnvelopeSignature, type Envelope } from './auth.ts';
import { devnetChainParams, subnetConfig, type DevnetChainParams, type SubnetConfig } from './params.ts';
import { StateFile, readStateFile } from './persist.ts';
import {
  advanceBlock,
  fromRao,
  newState,
  nodesOf,
  permitsOf,
  register,
  serveAxon,
  setStake,
  setWeights,
  subnetOf,
  subnetParamsOf,
  toRao,
  totalStakeRao,
  uidOf,
  type DevnetState,
} from './state.ts';
import {
  RegisterPayloadSchema,
  ServeAxonPayloadSchema,
  SetStakePayloadSchema,
  SetWeightsPayloadSchema,
  type Info,
  type NeuronAnswer,
  type Receipt,
} from './wire.ts';
import type { z } from 'zod';

/** The devnet chain's API; answers are plain JSON values (the client validates them like any chain answer). */
export interface DevnetApi {
  info(): Promise<unknown>;
  block(): Promise<unknown>;
  subnet(netuid: number): Promise<unknown>;
  nodes(netuid: number): Promise<unknown>;
  lastUpdate(netuid: number): Promise<unknown>;
  neuron(netuid: number, hotkey: string): Promise<unknown>;
  /** `{ weights: [[uid, u16], …] }`: what neuron `uid` last set (empty when none or no such uid, as the chain's ValueQuery). */
  weights(netuid: number, uid: number): Promise<unknown>;
  /** A signed write (see auth.ts). Throws ChainError on any refusal. */
  submit(envelope: unknown): Promise<unknown>;
}

export interface DevnetChainServiceOptions {
  /** State file; omitted keeps the state in memory only. */
  statePath?: string;
  clock?: Clock;
  params?: Partial<DevnetChainParams>;
  /** Subnets a new chain starts with (and that are added to an existing one); default the configured netuid. */
  netuids?: readonly number[];
  /** Hyperparameters for those subnets, over the params' defaults. */
  subnet?: Partial<Omit<SubnetConfig, 'netuid'>>;
  log?: Logger;
}

function parsePayload<S extends z.ZodType>(schema: S, envelope: Envelope): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(envelope.payload);
  } catch {
    throw new ChainError('rejected', `${envelope.op}: payload is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ChainError('rejected', `${envelope.op}: payload.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export class DevnetChainService implements DevnetApi {
  readonly params: DevnetChainParams;
  private readonly clock: Clock;
  private readonly file: StateFile | undefined;
  private readonly log: Logger;
  private state: DevnetState;
  private timer: Timer | undefined;
  private nextBlockAt = 0;
  private persistTimer: Timer | undefined;
  private readonly blockListeners = new Set<(block: number, epochs: number[]) => void>();

  private constructor(state: DevnetState, params: DevnetChainParams, clock: Clock, file: StateFile | undefined, log: Logger) {
    this.state = state;
    this.params = params;
    this.clock = clock;
    this.file = file;
    this.log = log;
  }

  /** Loads the state file (or starts a new chain) without starting the block timer. */
  static async open(options: DevnetChainServiceOptions = {}): Promise<DevnetChainService> {
    const params: DevnetChainParams = { ...devnetChainParams, ...options.params };
    const netuids = options.netuids ?? [protocolRules.netuid];
    const file = options.statePath ? new StateFile(options.statePath) : undefined;
    const loaded = options.statePath ? await readStateFile(options.statePath) : null;
    const configs = netuids.map((netuid) => subnetConfig(netuid, params, options.subnet));
    const state = loaded ?? newState(configs, params.taoWeight);
    for (const config of configs) {
      state.subnets[String(config.netuid)] ??= { config, neurons: [], lastEpochBlock: 0 };
    }
    const service = new DevnetChainService(state, params, options.clock ?? systemClock, file, options.log ?? silentLogger());
    if (file) await file.save(state);
    return service;
  }

  get chainId(): string {
    return this.state.chainId;
  }

  get blockNumber(): number {
    return this.state.block;
  }

  get blockTimeMs(): number {
    return this.params.blockTimeSeconds * 1000;
  }

  /** A deep copy of the whole state (tests, `god chain` status). */
  snapshot(): DevnetState {
    return structuredClone(this.state);
  }

  /** Starts producing blocks every `blockTimeSeconds` of the clock's time. */
  start(): void {
    if (this.timer) return;
    this.nextBlockAt = this.clock.now() + this.blockTimeMs;
    const tick = () => {
      this.produceBlock();
      this.nextBlockAt += this.blockTimeMs;
      // Scheduling against the planned time (not "now + interval") keeps the block rate from drifting.
      this.timer = this.clock.setTimer(Math.max(0, this.nextBlockAt - this.clock.now()), tick);
    };
    this.timer = this.clock.setTimer(this.blockTimeMs, tick);
  }

  /** Stops the block timer and writes the state one last time. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.persistTimer?.cancel();
    this.persistTimer = undefined;
    if (this.file) await this.file.save(this.state);
  }

  onBlock(listener: (block: number, epochs: number[]) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  /** Produces one block now (the timer calls this; tests and tools may too). */
  produceBlock(): number[] {
    const epochs = advanceBlock(this.state);
    if (epochs.length > 0) this.log.info({ block: this.state.block, netuids: epochs }, 'epoch: incentives recomputed');
    this.schedulePersist();
    for (const listener of this.blockListeners) listener(this.state.block, epochs);
    return epochs;
  }

  private schedulePersist(): void {
    if (!this.file || this.persistTimer) return;
    this.persistTimer = this.clock.setTimer(this.params.persistDebounceMs, () => {
      this.persistTimer = undefined;
      this.file?.save(this.state).catch((err: unknown) => this.log.error({ err }, 'could not write the devnet chain state'));
    });
  }

  // ---- reads ----

  async info(): Promise<Info> {
    return { chain_id: this.state.chainId, block: this.state.block, block_time_ms: this.blockTimeMs, netuids: Object.keys(this.state.subnets).map(Number) };
  }

  async block(): Promise<{ block: number }> {
    return { block: this.state.block };
  }

  async subnet(netuid: number): Promise<SubnetParams> {
    return subnetParamsOf(this.state, netuid);
  }

  async nodes(netuid: number): Promise<Node[]> {
    return nodesOf(this.state, netuid);
  }

  async lastUpdate(netuid: number): Promise<{ last_update: number[] }> {
    return { last_update: subnetOf(this.state, netuid).neurons.map((n) => n.lastUpdate) };
  }

  async neuron(netuid: number, hotkey: string): Promise<NeuronAnswer> {
    const subnet = subnetOf(this.state, netuid);
    const uid = uidOf(subnet, hotkey);
    const neuron = uid === null ? undefined : subnet.neurons[uid];
    if (uid === null || !neuron) throw new ChainError('not_registered', `hotkey ${hotkey} is not registered on netuid ${netuid}`);
    return {
      uid,
      hotkey,
      coldkey: neuron.coldkey,
      netuid,
      alpha_stake: fromRao(BigInt(neuron.alphaStakeRao)),
      tao_stake: fromRao(BigInt(neuron.taoStakeRao)),
      stake: fromRao(totalStakeRao(neuron, this.state.taoWeight)),
      last_update: neuron.lastUpdate,
      validator_permit: permitsOf(this.state, subnet)[uid] ?? false,
    };
  }

  async weights(netuid: number, uid: number): Promise<{ weights: [number, number][] }> {
    const neuron = subnetOf(this.state, netuid).neurons[uid];
    return { weights: neuron ? neuron.weights.map(([u, w]) => [u, w] as [number, number]) : [] };
  }

  // ---- signed writes ----

  async submit(raw: unknown): Promise<Receipt> {
    const parsed = EnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ChainError('unauthorised', `malformed signed call at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const envelope = parsed.data;
    if (!verifyEnvelopeSignature(this.state.chainId, envelope)) {
      throw new ChainError('unauthorised', `signature does not verify for hotkey ${envelope.hotkey} (wrong key, chain or tampered call)`);
    }
    const last = this.state.nonces[envelope.hotkey] ?? 0;
    if (envelope.nonce <= last) {
      throw new ChainError('unauthorised', `stale nonce ${envelope.nonce}: the last accepted from ${envelope.hotkey} is ${last}`, { details: { last_nonce: last } });
    }
    // A verified call consumes its nonce even when the call itself is refused, as an extrinsic does.
    this.state.nonces[envelope.hotkey] = envelope.nonce;
    let uid: number;
    try {
      uid = this.apply(envelope);
    } finally {
      if (this.file) await this.file.save(this.state);
    }
    this.log.info({ op: envelope.op, hotkey: envelope.hotkey, uid, block: this.state.block }, 'devnet chain call applied');
    return { status: 'applied', block: this.state.block, uid };
  }

  private apply(envelope: Envelope): number {
    const { hotkey } = envelope;
    switch (envelope.op) {
      case 'register': {
        const p = parsePayload(RegisterPayloadSchema, envelope);
        return register(this.state, { netuid: p.netuid, hotkey, coldkey: p.coldkey, alphaStakeRao: toRao(p.alpha_stake), taoStakeRao: toRao(p.tao_stake) });
      }
      case 'set_stake': {
        const p = parsePayload(SetStakePayloadSchema, envelope);
        return setStake(this.state, p.netuid, hotkey, toRao(p.alpha_stake), toRao(p.tao_stake));
      }
      case 'set_weights': {
        const p = parsePayload(SetWeightsPayloadSchema, envelope);
        return setWeights(this.state, hotkey, { netuid: p.netuid, uids: p.uids, weights: p.weights, versionKey: BigInt(p.version_key) });
      }
      case 'serve_axon': {
        const p = parsePayload(ServeAxonPayloadSchema, envelope);
        return serveAxon(
          this.state,
          hotkey,
          { netuid: p.netuid, version: p.version, ip: BigInt(p.ip), port: p.port, ipType: p.ip_type, protocol: p.protocol },
          this.params.allowLoopbackAxons,
        );
      }
    }
  }
}
