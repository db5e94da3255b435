/**
 * RecordedRpcProviderFake: a JSON-RPC provider for @polkadot/api that answers from tables the test fills in
 * (storage values by key, runtime-API replies by method and argument bytes, an extrinsic handler), records every
 * request, and THROWS on any method it does not know — so a hidden need for the network fails a test loudly.
 * It is a test fake, not a chain: it knows no rules beyond what the test (or the in-memory model) puts in it.
 */
import type { ProviderInterface, ProviderInterfaceEmitCb, ProviderInterfaceEmitted } from '@polkadot/rpc-provider/types';
import type { RuntimeVersionJson } from './metadata.ts';

export interface RecordedRequest {
  method: string;
  params: unknown[];
}

/** A JSON-RPC error as a node returns it (e.g. 1010 "Invalid Transaction"). */
export class RpcErrorFake extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: string,
  ) {
    super(`${code}: ${message}${data ? `: ${data}` : ''}`);
    this.name = 'RpcErrorFake';
  }
}

export interface RecordedRpcProviderFakeOptions {
  genesisHash: string;
  runtimeVersion: RuntimeVersionJson;
  /** Block hash the fake reports as head/finalized (default: the genesis hash). */
  headHash?: string;
  headNumber?: number;
}

export class RecordedRpcProviderFake implements ProviderInterface {
  readonly hasSubscriptions = false;
  readonly isClonable = false;
  readonly stats = undefined;
  isConnected = true;
  /** Storage key (hex) → SCALE value (hex); absent means "no value" (the metadata default applies). */
  readonly storage = new Map<string, string>();
  /** `Api_method(0xargs)` → SCALE reply (hex). */
  readonly runtimeCalls = new Map<string, string>();
  /** What `author_submitExtrinsic` does with the signed extrinsic hex: return its hash, or throw an RpcErrorFake. */
  onSubmit: ((extrinsicHex: string) => string) | undefined;
  /** When set, every request fails with this error (an unreachable or broken node). */
  failWith: Error | undefined;
  readonly requests: RecordedRequest[] = [];
  private readonly options: RecordedRpcProviderFakeOptions;

  constructor(options: RecordedRpcProviderFakeOptions) {
    this.options = options;
  }

  static callKey(method: string, argsHex: string): string {
    return `${method}(${argsHex})`;
  }

  clone(): ProviderInterface {
    throw new Error('RecordedRpcProviderFake cannot be cloned');
  }
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.isConnected = false;
  }
  on(_type: ProviderInterfaceEmitted, _sub: ProviderInterfaceEmitCb): () => void {
    return () => undefined;
  }
  async subscribe(): Promise<number | string> {
    throw new Error('RecordedRpcProviderFake has no subscriptions');
  }
  async unsubscribe(): Promise<boolean> {
    return true;
  }

  /** Requests made since the last `clearRequests()`, as `method` names. */
  methods(): string[] {
    return this.requests.map((r) => r.method);
  }
  clearRequests(): void {
    this.requests.length = 0;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ProviderInterface.send is declared `<T = any>`
  async send<T = any>(method: string, params: unknown[]): Promise<T> {
    this.requests.push({ method, params });
    if (this.failWith) throw this.failWith;
    return this.answer(method, params) as T;
  }

  private header() {
    const hash = this.options.headHash ?? this.options.genesisHash;
    return { parentHash: hash, number: `0x${(this.options.headNumber ?? 1).toString(16)}`, stateRoot: hash, extrinsicsRoot: hash, digest: { logs: [] } };
  }

  private answer(method: string, params: unknown[]): unknown {
    const { genesisHash } = this.options;
    switch (method) {
      case 'chain_getBlockHash':
        return genesisHash;
      case 'state_getRuntimeVersion':
        return this.options.runtimeVersion;
      case 'system_chain':
        return 'Bittensor';
      case 'system_properties':
        return { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' };
      case 'rpc_methods':
        return { methods: [] };
      case 'chain_getHeader':
        return this.header();
      case 'chain_getFinalizedHead':
        return this.options.headHash ?? genesisHash;
      case 'state_getStorage':
        return this.storage.get(params[0] as string) ?? null;
      case 'state_queryStorageAt': {
        const keys = params[0] as string[];
        return [{ block: this.options.headHash ?? genesisHash, changes: keys.map((k) => [k, this.storage.get(k) ?? null]) }];
      }
      case 'state_call': {
        const key = RecordedRpcProviderFake.callKey(params[0] as string, params[1] as string);
        const reply = this.runtimeCalls.get(key);
        if (reply === undefined) throw new Error(`RecordedRpcProviderFake: no recorded reply for state_call ${key}`);
        return reply;
      }
      case 'author_submitExtrinsic': {
        if (!this.onSubmit) throw new Error('RecordedRpcProviderFake: author_submitExtrinsic with no onSubmit handler');
        return this.onSubmit(params[0] as string);
      }
    }
    throw new Error(`RecordedRpcProviderFake: unexpected RPC ${method}(${JSON.stringify(params)})`);
  }
}
