import { bytes, count, milliseconds, num, seconds, valuesOf, type ValuesOf } from './define.ts';

/**
 * Limits of the customer API (docs/api.md). The original has almost none (unbounded `limit`, no rate limit, no body
 * cap beyond uvicorn's), so most values are ours; `createApiServer({ rules })` overrides them per server on top of
 * `config.api`.
 */
export const apiDefs = {
  bodyLimitBytes: bytes(1024 * 1024, 'docs/api.md (ours)', 'largest JSON request body; larger bodies get 413'),
  uploadLimitBytes: bytes(64 * 1024 * 1024, 'docs/api.md (ours)', 'largest dataset upload (POST /v1/uploads)'),
  uploadUrlSeconds: seconds(7 * 24 * 3600, 'validator.md §5.1 (presigned URLs live 7 days)', 'lifetime of the signed URL an upload returns'),
  rateLimitBurst: count(120, 'docs/api.md (ours)', 'token-bucket burst per API key (per client address on public routes); beyond it 429'),
  rateLimitPerSecond: num(20, 'docs/api.md (ours)', 'tokens added per second to each rate-limit bucket', { min: 0 }),
  rateLimitMaxBuckets: count(10_000, 'docs/api.md (ours)', 'rate-limit buckets kept in memory before full (idle) ones are dropped, so many client addresses cannot exhaust memory', 1),
  defaultPageSize: count(100, 'validator.md §10.1', 'default `limit` of the list routes (the original\'s default)', 1),
  maxPageSize: count(500, 'docs/api.md (ours)', 'largest `limit` a list route accepts (the original accepts any, so one request could read a whole table)', 1),
  maxEventsPerPage: count(1000, 'docs/api.md (ours)', 'largest number of events one poll returns', 1),
  eventPollMs: milliseconds(250, 'docs/api.md (ours)', 'how often the event bus looks for new events while someone is streaming'),
  sseHeartbeatMs: milliseconds(15_000, 'docs/api.md (ours)', 'comment line sent on an idle event stream so proxies keep it open'),
  eventLookback: count(256, 'docs/api.md (ours)', 'event ids re-read behind the cursor, so an event committed late (lower id, later commit) is not missed'),
  webhookPollMs: milliseconds(1000, 'docs/api.md (ours)', 'how often the webhook dispatcher scans for completions and due deliveries'),
  webhookMaxAttempts: count(8, 'docs/api.md (ours)', 'delivery attempts before a webhook delivery is marked failed', 1),
  webhookBackoffMs: milliseconds(5_000, 'docs/api.md (ours)', 'first webhook retry delay; each further retry doubles it, up to webhookMaxBackoffMs'),
  webhookMaxBackoffMs: milliseconds(3_600_000, 'docs/api.md (ours)', 'longest delay between webhook retries'),
  webhookTimeoutMs: milliseconds(10_000, 'docs/api.md (ours)', 'how long one webhook delivery may take'),
  maxWebhooksPerAccount: count(10, 'docs/api.md (ours)', 'webhooks one account may register'),
  leaderboardCacheMs: milliseconds(10_000, 'docs/api.md (ours)', 'how long a computed leaderboard is served before it is computed again (0: every request); it reads every scored assignment and changes only when evaluations finish'),
  maxHoursToComplete: num(24 * 30, 'docs/api.md (ours; the original has no upper bound)', 'longest hours_to_complete a customer may ask for', { min: 0 }),
} as const;

export type ApiRules = ValuesOf<typeof apiDefs>;
export const apiRules: ApiRules = valuesOf(apiDefs);
