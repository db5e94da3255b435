/**
 * Typed failures of the remote-service clients (LLM, images, content service), so callers can tell "the provider
 * is down" from "we hit our own spending cap" from "it answered nonsense" without parsing messages.
 */

export type RemoteFailureKind =
  /** The endpoint answered an HTTP error status (after retries where the status is retryable). */
  | 'status'
  /** The connection failed (refused, reset, DNS). */
  | 'transport'
  /** No answer within the per-attempt time limit. */
  | 'timeout'
  /** The answer was not the JSON shape the API defines. */
  | 'bad_response'
  /** 429/503 with a Retry-After longer than we are willing to wait. */
  | 'rate_limited';

export class RemoteCallError extends Error {
  override readonly name = 'RemoteCallError';
  constructor(
    message: string,
    readonly kind: RemoteFailureKind,
    readonly details: { status?: number; attempts: number; retryAfterMs?: number } = { attempts: 1 },
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get attempts(): number {
    return this.details.attempts;
  }
}

export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(
    /** Which budget stopped the call, e.g. `llm process` or `llm task <id>`. */
    readonly budget: string,
    readonly resource: 'requests' | 'tokens',
    readonly limit: number,
    readonly used: number,
  ) {
    super(`${budget} budget exhausted: ${used} of ${limit} ${resource} used`);
  }
}

export function isBudgetExceeded(err: unknown): err is BudgetExceededError {
  return err instanceof BudgetExceededError;
}

/**
 * The client cannot answer this kind of prompt at all (the built-in template engine asked a free-form question):
 * retrying the same kind of prompt is pointless, so callers stop at the first one.
 */
export class LlmUnsupportedError extends Error {
  override readonly name = 'LlmUnsupportedError';
}

/** An LLM failure that no retry or next prompt can cure: a spent budget, or a client that cannot answer at all. */
export function isHopelessLlmError(err: unknown): boolean {
  return err instanceof BudgetExceededError || err instanceof LlmUnsupportedError;
}
