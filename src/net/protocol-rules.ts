/**
 * The validator↔miner authentication rules of fiber 2.4.0 (spec/miner-protocol-chain.md §2), with the
 * original's values as defaults. Header names and `detail` strings are wire contract: a Python validator or
 * miner compares them verbatim, so they never change. The limits below the line are ours (the original has none).
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

export interface ProtocolRules {
  /** A nonce's timestamp may be at most this far in the past or future (fiber NONCE_WINDOW_NS, 2 minutes). */
  readonly nonceWindowNs: bigint;
  /** Timestamps above this are malformed (fiber rejects `> 10**20` without recording them). */
  readonly maxNonceTimestampNs: bigint;
  /** Validators below this stake (TAO, fiber `Node.stake`) get 403; fiber MIN_STAKE_THRESHOLD defaults to 1000. */
  readonly minStake: number;
  /** Length of the random `[A-Za-z0-9]` suffix fiber's generate_nonce appends after `_`. */
  readonly nonceSuffixLength: number;
  /** Validator timeouts: offers (`/task_offer/`, `/task_offer_image/`) and every other call. */
  readonly offerTimeoutMs: number;
  readonly defaultTimeoutMs: number;
  // --- ours ---
  /** Largest request body a miner accepts before verifying (the training requests are a few KB). */
  readonly maxRequestBodyBytes: number;
  /** Largest response body the validator reads from a miner. */
  readonly maxResponseBodyBytes: number;
  /** Nonces a miner remembers at once; beyond this it refuses (503) rather than forget a live nonce. */
  readonly maxNonceEntries: number;
}

export const FIBER_2_4_0_RULES: ProtocolRules = Object.freeze({
  nonceWindowNs: 120_000_000_000n,
  maxNonceTimestampNs: 10n ** 20n,
  minStake: 1000,
  nonceSuffixLength: 10,
  offerTimeoutMs: 3_000,
  defaultTimeoutMs: 10_000,
  maxRequestBodyBytes: 1024 * 1024,
  maxResponseBodyBytes: 1024 * 1024,
  maxNonceEntries: 100_000,
});
