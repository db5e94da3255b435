/**
 * `Chain` over the devnet chain's API: either the service itself (in-process) or its HTTP form (`god chain` in
 * another process). Every answer is parsed with the wire schemas whichever way it came, so the in-process chain
 * is no more forgiving than the remote one.
 */
import type { z } from 'zod';
import { protocolRules } from '../../core/rules/protocol.ts';
import type { Sr25519Keypair } from '../../keys/keypair.ts';
import { ChainError, CHAIN_ERROR_CODES, decodeError, type ChainErrorCode } from '../errors.ts';
import { ipFromText } from '../ip.ts';
import { checkSetWeights, setWeightsError, blocksSinceUpdate, rateLimitPasses } from '../rules.ts';
import type { Chain, Node, ServeAxonParams, SetWeightsParams, Stake, SubnetParams, WeightsReadiness, WriteReceipt } from '../types.ts';
import { NonceSource, signEnvelope, type WriteOp } from './auth.ts';
import type { DevnetApi } from './service.ts';
import {
  BlockSchema,
  ErrorBodySchema,
  InfoSchema,
  LastUpdateSchema,
  NeuronSchema,
  NodeListSchema,
  ReceiptSchema,
  SubnetParamsSchema,
  WeightsAnswerSchema,
  type Receipt,
  type RegisterPayload,
} from './wire.ts';

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw decodeError(what, result.error);
  return result.data;
}

export interface HttpDevnetApiOptions {
  /** Per request, connect to last byte. */
  timeoutMs?: number;
}

/** The devnet chain's HTTP API as a `DevnetApi`; errors come back as the ChainError the server threw. */
export class HttpDevnetApi implements DevnetApi {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: HttpDevnetApiOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new ChainError('unreachable', `devnet chain at ${this.baseUrl} is unreachable (${reason})`, { cause: err });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      throw new ChainError('decode', `devnet chain answered ${method} ${path} with HTTP ${response.status} and a body that is not JSON`, { cause: err });
    }
    if (response.ok) return json;
    const error = ErrorBodySchema.safeParse(json);
    if (!error.success) throw new ChainError('rejected', `devnet chain answered ${method} ${path} with HTTP ${response.status}`);
    const { code, message, chain_error, last_nonce } = error.data.detail;
    const known = (CHAIN_ERROR_CODES as readonly string[]).includes(code) ? (code as ChainErrorCode) : 'rejected';
    throw new ChainError(known, message, { ...(chain_error ? { chainError: chain_error } : {}), ...(last_nonce !== undefined ? { details: { last_nonce } } : {}) });
  }

  info(): Promise<unknown> {
    return this.request('GET', '/info');
  }
  block(): Promise<unknown> {
    return this.request('GET', '/block');
  }
  subnet(netuid: number): Promise<unknown> {
    return this.request('GET', `/subnets/${netuid}`);
  }
  nodes(netuid: number): Promise<unknown> {
    return this.request('GET', `/subnets/${netuid}/nodes`);
  }
  lastUpdate(netuid: number): Promise<unknown> {
    return this.request('GET', `/subnets/${netuid}/last_update`);
  }
  neuron(netuid: number, hotkey: string): Promise<unknown> {
    return this.request('GET', `/subnets/${netuid}/neurons/${encodeURIComponent(hotkey)}`);
  }
  weights(netuid: number, uid: number): Promise<unknown> {
    return this.request('GET', `/subnets/${netuid}/weights/${uid}`);
  }
  submit(envelope: unknown): Promise<unknown> {
    return this.request('POST', '/extrinsics', envelope);
  }
}

export interface DevnetChainOptions {
  /** The hotkey writes are signed with; reads need none. */
  signer?: Sr25519Keypair;
}

export class DevnetChain implements Chain {
  readonly kind = 'devnet' as const;
  private readonly api: DevnetApi;
  private readonly signer: Sr25519Keypair | undefined;
  private readonly nonces = new NonceSource();
  private chainId: string | undefined;

  constructor(api: DevnetApi, options: DevnetChainOptions = {}) {
    this.api = api;
    this.signer = options.signer;
  }

  get signerAddress(): string | undefined {
    return this.signer?.ss58Address;
  }

  async getBlock(): Promise<number> {
    return parse(BlockSchema, await this.api.block(), 'block').block;
  }

  async getNodes(netuid: number): Promise<Node[]> {
    return parse(NodeListSchema, await this.api.nodes(netuid), `nodes of netuid ${netuid}`);
  }

  async getSubnetParams(netuid: number): Promise<SubnetParams> {
    return parse(SubnetParamsSchema, await this.api.subnet(netuid), `netuid ${netuid}`);
  }

  async tempo(netuid: number): Promise<number> {
    return (await this.getSubnetParams(netuid)).tempo;
  }

  async commitRevealWeightsEnabled(netuid: number): Promise<boolean> {
    return (await this.getSubnetParams(netuid)).commit_reveal_weights_enabled;
  }

  async lastUpdate(netuid: number): Promise<number[]> {
    return parse(LastUpdateSchema, await this.api.lastUpdate(netuid), `last_update of netuid ${netuid}`).last_update;
  }

  async getWeights(netuid: number, uid: number): Promise<Array<[number, number]>> {
    return parse(WeightsAnswerSchema, await this.api.weights(netuid, uid), `weights of uid ${uid} on netuid ${netuid}`).weights;
  }

  private async neuron(netuid: number, hotkey: string) {
    try {
      return parse(NeuronSchema, await this.api.neuron(netuid, hotkey), `neuron ${hotkey}`);
    } catch (err) {
      if (err instanceof ChainError && err.code === 'not_registered') return null;
      throw err;
    }
  }

  async getUid(netuid: number, hotkey: string): Promise<number | null> {
    return (await this.neuron(netuid, hotkey))?.uid ?? null;
  }

  async getStake(netuid: number, hotkey: string): Promise<Stake | null> {
    const n = await this.neuron(netuid, hotkey);
    return n ? { hotkey: n.hotkey, netuid: n.netuid, alpha_stake: n.alpha_stake, tao_stake: n.tao_stake, stake: n.stake } : null;
  }

  async weightsReadiness(netuid: number, hotkey?: string): Promise<WeightsReadiness> {
    const who = hotkey ?? this.requireSigner().ss58Address;
    const [neuron, params, block] = await Promise.all([this.neuron(netuid, who), this.getSubnetParams(netuid), this.getBlock()]);
    if (!neuron) return { ok: false, reason: 'not_registered' };
    const since = blocksSinceUpdate(block, neuron.last_update);
    if (rateLimitPasses(block, neuron.last_update, params.weights_set_rate_limit)) return { ok: true, uid: neuron.uid, blocksSinceUpdate: since };
    return { ok: false, reason: 'rate_limited', uid: neuron.uid, blocksSinceUpdate: since, blocksRemaining: params.weights_set_rate_limit - since };
  }

  async setWeights(params: SetWeightsParams): Promise<WriteReceipt> {
    const signer = this.requireSigner();
    const [neuron, subnet, block] = await Promise.all([this.neuron(params.netuid, signer.ss58Address), this.getSubnetParams(params.netuid), this.getBlock()]);
    // The chain enforces all of this too; checking first turns a refusal into a typed error before anything is sent.
    const ctx = {
      netuid: params.netuid,
      block,
      n: subnet.n,
      commitRevealWeightsEnabled: subnet.commit_reveal_weights_enabled,
      weightsSetRateLimit: subnet.weights_set_rate_limit,
      weightsVersionKey: subnet.weights_version_key,
      uid: neuron?.uid ?? null,
      lastUpdate: neuron?.last_update ?? 0,
    };
    const verdict = checkSetWeights(ctx, params);
    if (!verdict.ok) throw setWeightsError(ctx, verdict);
    const receipt = await this.write('set_weights', {
      netuid: params.netuid,
      uids: [...params.uids],
      weights: [...params.weights],
      version_key: BigInt(params.versionKey).toString(),
    });
    return { status: 'applied', block: receipt.block };
  }

  async serveAxon(params: ServeAxonParams): Promise<WriteReceipt> {
    let address: { ip: bigint; ipType: number };
    try {
      address = ipFromText(params.ip);
    } catch (err) {
      throw new ChainError('invalid_axon', (err as Error).message, { chainError: 'InvalidIpAddress' });
    }
    const receipt = await this.write('serve_axon', {
      netuid: params.netuid,
      version: params.version ?? protocolRules.axonVersion,
      ip: address.ip.toString(),
      port: params.port,
      ip_type: address.ipType,
      protocol: params.protocol ?? protocolRules.axonProtocol,
    });
    return { status: 'applied', block: receipt.block };
  }

  /** Devnet only: registers the signer's hotkey under `coldkey` with the given stake (the devnet mints it). */
  async register(payload: { netuid: number; coldkey: string; alphaStake?: number; taoStake?: number }): Promise<Receipt> {
    const body: RegisterPayload = { netuid: payload.netuid, coldkey: payload.coldkey, alpha_stake: payload.alphaStake ?? 0, tao_stake: payload.taoStake ?? 0 };
    return this.write('register', body);
  }

  /** Devnet only: sets the signer's stake. */
  async setStake(payload: { netuid: number; alphaStake: number; taoStake: number }): Promise<Receipt> {
    return this.write('set_stake', { netuid: payload.netuid, alpha_stake: payload.alphaStake, tao_stake: payload.taoStake });
  }

  async close(): Promise<void> {}

  private requireSigner(): Sr25519Keypair {
    if (!this.signer) throw new ChainError('no_signer', 'this chain connection has no hotkey to sign with');
    return this.signer;
  }

  private async write(op: WriteOp, payload: unknown): Promise<Receipt> {
    const signer = this.requireSigner();
    this.chainId ??= parse(InfoSchema, await this.api.info(), 'info').chain_id;
    const send = () => this.api.submit(signEnvelope(signer, this.chainId as string, op, this.nonces.next(), payload));
    let answer: unknown;
    try {
      answer = await send();
    } catch (err) {
      // Another process signing with the same hotkey may have used higher nonces: skip past them once.
      const lastNonce = err instanceof ChainError ? err.details.last_nonce : undefined;
      if (typeof lastNonce !== 'number') throw err;
      this.nonces.bump(lastNonce);
      answer = await send();
    }
    return parse(ReceiptSchema, answer, op);
  }
}
