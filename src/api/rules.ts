/**
 * Limits of the customer API. The original has none of these (unbounded `limit`, no rate limit, no body cap
 * beyond uvicorn's), so every value here is ours; each can be overridden through `createApiServer({ rules })`.
 */
export interface ApiRules {
  /** Largest JSON request body, bytes; larger bodies get 413. */
  readonly bodyLimitBytes: number;
  /** Largest dataset upload (`POST /v1/uploads`), bytes. */
  readonly uploadLimitBytes: number;
  /** Lifetime of the signed URL an upload returns (the original's presigned URLs live 7 days). */
  readonly uploadUrlSeconds: number;
  /** Token bucket per API key (or per client address for public routes): burst size. */
  readonly rateLimitBurst: number;
  /** Tokens added per second to each bucket. */
  readonly rateLimitPerSecond: number;
  /** Buckets kept in memory before full (idle) ones are dropped. */
  readonly rateLimitMaxBuckets: number;
  /** Default page size of the list routes (the original's default). */
  readonly defaultPageSize: number;
  /** Largest page size a list route accepts (the original accepts any). */
  readonly maxPageSize: number;
  /** Largest number of events one poll returns. */
  readonly maxEventsPerPage: number;
  /** How often the event bus looks for new events while someone is streaming, ms. */
  readonly eventPollMs: number;
  /** Comment line sent on an idle event stream so proxies keep it open, ms. */
  readonly sseHeartbeatMs: number;
  /** Ids re-read behind the event cursor, so an event committed late (lower id, later commit) is not missed. */
  readonly eventLookback: number;
  /** How often the webhook dispatcher scans for completions and due deliveries, ms. */
  readonly webhookPollMs: number;
  /** Attempts before a delivery is marked failed. */
  readonly webhookMaxAttempts: number;
  /** First retry delay; each further retry doubles it, up to webhookMaxBackoffMs. */
  readonly webhookBackoffMs: number;
  readonly webhookMaxBackoffMs: number;
  /** How long one delivery may take, ms. */
  readonly webhookTimeoutMs: number;
  /** Webhooks one account may register. */
  readonly maxWebhooksPerAccount: number;
  /**
   * How long a computed leaderboard is served before it is computed again (0: every request). It reads every
   * scored assignment, is the same for every caller and changes only when evaluations finish.
   */
  readonly leaderboardCacheMs: number;
  /** Longest hours_to_complete a customer may ask for (the original has no upper bound). */
  readonly maxHoursToComplete: number;
}

export const defaultApiRules: ApiRules = Object.freeze({
  bodyLimitBytes: 1024 * 1024,
  uploadLimitBytes: 64 * 1024 * 1024,
  uploadUrlSeconds: 7 * 24 * 3600,
  rateLimitBurst: 120,
  rateLimitPerSecond: 20,
  rateLimitMaxBuckets: 10_000,
  defaultPageSize: 100,
  maxPageSize: 500,
  maxEventsPerPage: 1000,
  eventPollMs: 250,
  sseHeartbeatMs: 15_000,
  eventLookback: 256,
  webhookPollMs: 1000,
  webhookMaxAttempts: 8,
  webhookBackoffMs: 5_000,
  webhookMaxBackoffMs: 3_600_000,
  webhookTimeoutMs: 10_000,
  maxWebhooksPerAccount: 10,
  leaderboardCacheMs: 10_000,
  maxHoursToComplete: 24 * 30,
});
