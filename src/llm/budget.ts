/**
 * Spending caps for paid endpoints. A budget counts requests (every HTTP attempt, retries included, since providers
 * bill or rate-limit those) and tokens (the answer's `usage.total_tokens`). A call is refused before it is sent once
 * a cap is reached, so the last admitted call may overshoot the token cap by at most its own tokens.
 */
import { BudgetExceededError } from './errors.ts';

export interface BudgetLimits {
  /** 0 or null: no limit. */
  maxRequests?: number | null;
  /** 0 or null: no limit. */
  maxTokens?: number | null;
}

export interface BudgetUsage {
  requests: number;
  tokens: number;
}

export class Budget {
  private used: BudgetUsage = { requests: 0, tokens: 0 };

  constructor(
    readonly name: string,
    private readonly limits: BudgetLimits = {},
  ) {}

  /** Throws when the next request would break a cap; does not count anything. */
  check(): void {
    const { maxRequests, maxTokens } = this.limits;
    if (maxRequests && this.used.requests >= maxRequests) throw new BudgetExceededError(this.name, 'requests', maxRequests, this.used.requests);
    if (maxTokens && this.used.tokens >= maxTokens) throw new BudgetExceededError(this.name, 'tokens', maxTokens, this.used.tokens);
  }

  countRequest(): void {
    this.used.requests += 1;
  }

  countTokens(tokens: number): void {
    this.used.tokens += Math.max(0, Math.round(tokens));
  }

  usage(): BudgetUsage {
    return { ...this.used };
  }

  get unlimited(): boolean {
    return !this.limits.maxRequests && !this.limits.maxTokens;
  }
}

/** Admits one request against every budget or none: all are checked before any is counted. */
export function admitRequest(budgets: readonly Budget[]): void {
  for (const b of budgets) b.check();
  for (const b of budgets) b.countRequest();
}

export function chargeTokens(budgets: readonly Budget[], tokens: number): void {
  for (const b of budgets) b.countTokens(tokens);
}
