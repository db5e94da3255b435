/** Validator↔miner authentication compatible with fiber 2.4.0: signing, verification, nonces, the signed client. */
export { HEADERS, DETAIL } from './wire-constants.ts';
export { buildSigningMessage, sha256Hex, signRequest, signatureToHex } from './signing.ts';
export type { SignRequestInput, SignedHeaders } from './signing.ts';
export { clockNowNs, generateNonce, judgeNonceTime, parseNonceTimestamp, secondsToNs } from './nonce.ts';
export { NonceStore } from './nonce-store.ts';
export type { ConsumeResult, NonceStoreOptions } from './nonce-store.ts';
export { verifyRequest } from './verify.ts';
export type { StakeLookup, VerifyAccepted, VerifyContext, VerifyFailure, VerifyInput, VerifyOutcome, VerifyRejected } from './verify.ts';
export { fiberAuthOf, fiberAuthPreHandler } from './fastify.ts';
export type { FiberAuthHookOptions } from './fastify.ts';
export { SignedClient, minerBaseUrl } from './client.ts';
export type { CallResult, GetCall, PostCall, SignedClientOptions, TimeoutChoice } from './client.ts';
export { PyFloat, pyFloat, pyFloatRepr, pyJsonString, pythonJsonDumps } from './python-json.ts';
