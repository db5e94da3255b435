/** The devnet chain: a local chain service (state, blocks, signed writes), its HTTP API and a `Chain` client. */
import type { Sr25519Keypair } from '../../keys/keypair.ts';
import { DevnetChain, HttpDevnetApi } from './client.ts';
import type { DevnetChainService } from './service.ts';

export { NonceSource, signEnvelope, signingMessage, verifyEnvelopeSignature, EnvelopeSchema, WRITE_OPS } from './auth.ts';
export type { Envelope, WriteOp } from './auth.ts';
export { DevnetChain, HttpDevnetApi } from './client.ts';
export type { DevnetChainOptions, HttpDevnetApiOptions } from './client.ts';
export { devnetChainDefs, devnetChainParams, subnetConfig } from './params.ts';
export type { DevnetChainParams, SubnetConfig } from './params.ts';
export { StateFile, StateFileError, readStateFile } from './persist.ts';
export { DevnetChainService } from './service.ts';
export type { DevnetApi, DevnetChainServiceOptions } from './service.ts';
export { devnetChainRoutes, serveDevnetChain } from './server.ts';
export type { DevnetChainServerOptions } from './server.ts';
export { simplifiedYuma, stakeWeightedQuantile, validatorPermits } from './yuma.ts';

/** A `Chain` on an embedded devnet chain service (tests, `god devnet`). */
export function inProcessChain(service: DevnetChainService, signer?: Sr25519Keypair): DevnetChain {
  return new DevnetChain(service, signer ? { signer } : {});
}

/** A `Chain` on a devnet chain served by `god chain` at `url`. */
export function httpChain(url: string, signer?: Sr25519Keypair, timeoutMs?: number): DevnetChain {
  return new DevnetChain(new HttpDevnetApi(url, timeoutMs ? { timeoutMs } : {}), signer ? { signer } : {});
}
