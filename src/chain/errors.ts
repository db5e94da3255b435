/**
 * Chain failures as values a caller can branch on. The codes name what went wrong from the caller's side; where
 * the chain itself refused a call, `chainError` carries subtensor's error name (`SettingWeightsTooFast`, …) so a
 * log line matches what an operator sees on a block explorer.
 */
import type { z } from 'zod';

export const CHAIN_ERROR_CODES = [
  /** The chain could not be reached (connection refused, timeout, closed socket). */
  'unreachable',
  /** The chain answered something that does not decode into what we expect. */
  'decode',
  /** The subnet (or another asked-for object) does not exist. */
  'not_found',
  /** The hotkey has no uid on the subnet. */
  'not_registered',
  /** `CommitRevealWeightsEnabled` is on: plain set_weights would be refused, and commit-reveal is not implemented. */
  'commit_reveal_enabled',
  /** `System.Number - LastUpdate[uid] < WeightsSetRateLimit`. */
  'rate_limited',
  /** The weight vectors break a chain rule (lengths, duplicates, uid out of range, too few). */
  'invalid_weights',
  /** `version_key` below the subnet's `WeightsVersionKey`. */
  'version_key',
  /** The hotkey lacks the stake or permit the chain asks for. */
  'not_permitted',
  /** serve_axon arguments the chain refuses (ip type, address, port). */
  'invalid_axon',
  /** A devnet write whose signature, nonce or signer does not check out. */
  'unauthorised',
  /** A write was asked of a chain built without a signing key. */
  'no_signer',
  /** The subnet has no free uid. */
  'subnet_full',
  /** Already registered (devnet). */
  'already_registered',
  /** Any other refusal by the chain; see `chainError`. */
  'rejected',
] as const;
export type ChainErrorCode = (typeof CHAIN_ERROR_CODES)[number];

export class ChainError extends Error {
  readonly code: ChainErrorCode;
  /** Subtensor's error name when the refusal maps to one. */
  readonly chainError: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ChainErrorCode, message: string, options: { chainError?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChainError';
    this.code = code;
    this.chainError = options.chainError;
    this.details = options.details ?? {};
  }
}

/** Commit-reveal weight setting (CRv3/CRv4 timelock) is not implemented; the chain refuses plain set_weights. */
export class CommitRevealNotSupportedError extends ChainError {
  constructor(netuid: number) {
    super(
      'commit_reveal_enabled',
      `commit-reveal not supported yet: CommitRevealWeightsEnabled is true on netuid ${netuid}, so the chain refuses plain set_weights`,
      { chainError: 'CommitRevealEnabled', details: { netuid } },
    );
    this.name = 'CommitRevealNotSupportedError';
  }
}

export class WeightsRateLimitedError extends ChainError {
  readonly blocksRemaining: number;

  constructor(netuid: number, uid: number, blocksSinceUpdate: number, rateLimit: number) {
    const blocksRemaining = rateLimit - blocksSinceUpdate;
    super(
      'rate_limited',
      `too soon to set weights on netuid ${netuid}: uid ${uid} set them ${blocksSinceUpdate} blocks ago, WeightsSetRateLimit is ${rateLimit} (${blocksRemaining} more blocks)`,
      { chainError: 'SettingWeightsTooFast', details: { netuid, uid, blocksSinceUpdate, rateLimit, blocksRemaining } },
    );
    this.name = 'WeightsRateLimitedError';
    this.blocksRemaining = blocksRemaining;
  }
}

/** A chain answer that failed its schema: names the answer and the first failing field paths. */
export function decodeError(what: string, error: z.ZodError | Error | string): ChainError {
  const reason =
    typeof error === 'string'
      ? error
      : 'issues' in error
        ? error.issues
            .slice(0, 3)
            .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
            .join('; ')
        : error.message;
  return new ChainError('decode', `chain answer for ${what} does not decode: ${reason}`, { cause: error });
}

export function isChainError(err: unknown, code?: ChainErrorCode): err is ChainError {
  return err instanceof ChainError && (code === undefined || err.code === code);
}
