/**
 * The wire vocabulary of fiber 2.4.0's validator↔miner authentication (spec/miner-protocol-chain.md §2): header
 * names and the `detail` strings of its refusals. They are not rules and so not in src/core/rules: a Python
 * validator or miner compares them verbatim, so no value but this one is correct and none may be configured (like
 * the endpoint paths and JSON field names of the wire schemas). The tunable limits of the protocol (nonce window,
 * stake threshold, timeouts, body and nonce-store caps) are `protocol.*` rules (src/core/rules/protocol.ts).
 */

/** Header names exactly as fiber's client sends them (HTTP header names are case-insensitive on the wire). */
export const HEADERS = {
  contentType: 'Content-Type',
  validatorHotkey: 'validator-hotkey',
  minerHotkey: 'miner-hotkey',
  nonce: 'nonce',
  signature: 'signature',
} as const;

/** The `detail` strings of fiber's miner dependencies, verbatim (including the trailing space after the stake). */
export const DETAIL = {
  hotkeyNotFound: 'Hotkey not found in metagraph',
  insufficientStake: (stakeRepr: string) => `Insufficient stake of ${stakeRepr} `,
  badNonce: 'Oi, that nonce is not valid!',
  badSignature: "Oi, invalid signature, you're not who you said you were!",
  wrongMiner: "Oi, invalid miner hotkey - that's not me!",
  // Ours: the original has no body limit and an unbounded nonce store.
  bodyTooLarge: 'Request body too large',
  nonceStoreFull: 'Too many requests in flight, try again later',
} as const;
