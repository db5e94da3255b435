/**
 * `createApiServer`: the validator's public HTTP API in one server — the original's routes (tasks, leaderboard,
 * network, GRPO reward functions, auditing, health) with its paths and payloads, the customer additions
 * (event log and stream, cancel, result, webhooks, uploads, a filtered task list), rate limits, body limits,
 * `/openapi.json` and `/docs`. The validator and the devnet mount it; `god api` runs it alone.
 */
import { z } from 'zod';
import { ApiKeyAuthenticator, SqlApiKeyStore, type ApiKeyVerifier } from '../auth/index.ts';
import { systemClock, type Clock } from '../clock/index.ts';
import { defaultConfig, type Config } from '../config/schema.ts';
import type { Db } from '../db/types.ts';
import { createServer, type GodServer } from '../http/server.ts';
import { route } from '../http/route.ts';
import type { OpenApiInfo } from '../http/openapi.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import { createMetrics, mountOperations, type GodMetrics } from '../ops/index.ts';
import { TASK_STATUSES } from '../core/enums.ts';
import type { ApiRules } from '../core/rules/api.ts';
import { countTasksByStatus } from '../db/queries/validator-tasks.ts';
import { registerTournamentRoutes } from '../tournament/api.ts';
import type { TrainerApi } from '../tournament/ports.ts';
import { scopedTrainerClient, trainerClientConfig } from '../tournament/trainer-registry.ts';
import { auditingRoutes } from './auditing.ts';
import { dashboardRoutes, type DashboardOptions } from '../web/routes.ts';
import type { ApiContext, RewardFunctionValidator, UploadStore } from './context.ts';
import { docsRoutes } from './docs.ts';
import { EventBus } from './events-bus.ts';
import { eventRoutes } from './events.ts';
import { leaderboardRoutes } from './leaderboard.ts';
import { networkRoutes } from './network.ts';
import { nulGuard } from './nul-guard.ts';
import { ProgressPoller, type ProgressSource } from './progress.ts';
import { RateLimiter } from './ratelimit.ts';
import { rewardFunctionRoutes } from './reward-functions.ts';
import { taskRoutes } from './tasks.ts';
import { uploadRoutes } from './uploads.ts';
import { WebhookDispatcher, webhookRoutes } from './webhooks.ts';

export interface ApiServerOptions {
  db: Db;
  config?: Config;
  clock?: Clock;
  logger?: Logger;
  /** Overrides of the API limits, on top of `config.api` (src/core/rules/api.ts). */
  rules?: Partial<ApiRules>;
  /** Subnet whose assignments and scores are shown (default `protocol.netuid`). */
  netuid?: number;
  /** Reward-function validation (a src/sandbox `Sandbox`); without it POST /v1/grpo/reward_functions answers 503. */
  rewards?: RewardFunctionValidator;
  /** Blob storage for dataset uploads; without it POST /v1/uploads is not served. */
  uploads?: UploadStore;
  /** API-key verification (default: the accounts and keys in `db`). */
  apiKeys?: ApiKeyVerifier;
  /** Run the webhook dispatcher in this process (default true); `fetch` replaces the HTTP client. */
  webhooks?: boolean | { fetch?: typeof fetch };
  /** Poll miners for training progress and record it as events (off unless a source is given). */
  progress?: { source: ProgressSource; intervalMs?: number };
  info?: Partial<OpenApiInfo>;
  /** Per-request log lines (default true). */
  logRequests?: boolean;
  /**
   * Serve the tournament analytics and orchestrator admin routes (src/tournament/api.ts; `god api` turns them on).
   * `trainers` replaces the trainer client built from `orchestrator.trainers` / `orchestrator.trainerToken`.
   */
  tournaments?: boolean | { trainers?: TrainerApi };
  /** The web dashboard at `/dashboard/` (src/web; default on); `false` leaves it out. */
  dashboard?: boolean | DashboardOptions;
  /** The registry `/metrics` serves (default: a new `api` one); `god api` passes its own so the sandbox feeds it too. */
  metrics?: GodMetrics;
}

export interface ApiServer {
  readonly server: GodServer;
  readonly context: ApiContext;
  readonly rateLimiter: RateLimiter;
  readonly dispatcher: WebhookDispatcher | undefined;
  readonly progress: ProgressPoller | undefined;
  /** Starts listening and the background loops; returns the base URL. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Ends open event streams, stops the loops and closes the server (not the database). */
  close(): Promise<void>;
}

const OPENAPI_PATH = '/openapi.json';

export function createApiServer(options: ApiServerOptions): ApiServer {
  const config = options.config ?? defaultConfig;
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? silentLogger();
  const rules: ApiRules = { ...config.api, ...options.rules };
  const bus = new EventBus({ db: options.db, clock, log, pollMs: rules.eventPollMs, lookback: rules.eventLookback });
  const context: ApiContext = {
    db: options.db,
    config,
    clock,
    log,
    rules,
    netuid: options.netuid ?? config.protocol.netuid,
    bus,
    ...(options.rewards ? { rewards: options.rewards } : {}),
    ...(options.uploads ? { uploads: options.uploads } : {}),
  };

  const server = createServer({
    logger: log,
    bodyLimit: rules.bodyLimitBytes,
    apiKeys: options.apiKeys ?? new ApiKeyAuthenticator(new SqlApiKeyStore(options.db), { clock }),
    openapiPath: OPENAPI_PATH,
    logRequests: options.logRequests ?? true,
    info: {
      title: 'Gradients on Demand validator API',
      version: '1.0.0',
      description:
        'Fine-tuning tasks for Bittensor subnet 56. Authenticate with `Authorization: Bearer <API key>` (or `X-API-Key`). ' +
        'Customer keys act for their own account; admin keys for any. The /auditing routes are public.',
      ...options.info,
    },
  });

  const rateLimiter = new RateLimiter({
    burst: rules.rateLimitBurst,
    perSecond: rules.rateLimitPerSecond,
    maxBuckets: rules.rateLimitMaxBuckets,
    now: () => performance.now(),
    exempt: (path) => path === '/health',
  });
  server.app.addHook('onRequest', rateLimiter.hook());
  // Uploads are stored as bytes, never as text columns.
  server.app.addHook('preValidation', nulGuard({ skipBody: (path) => path === '/v1/uploads' }));

  const streams = new Set<() => void>();
  server.routes([
    route({
      method: ['GET', 'POST'],
      url: '/health',
      response: z.object({ status: z.string() }),
      tags: ['health'],
      summary: 'Liveness',
      handler: () => ({ status: 'healthy' }),
    }),
    ...taskRoutes(context),
    ...eventRoutes(context, streams),
    ...leaderboardRoutes(context),
    ...networkRoutes(context),
    ...rewardFunctionRoutes(context),
    ...auditingRoutes(context),
    ...uploadRoutes(context),
    // Registration is served even where this process does not dispatch (another process may).
    ...webhookRoutes(context),
    ...docsRoutes(OPENAPI_PATH),
    ...(options.dashboard === false ? [] : dashboardRoutes(context, typeof options.dashboard === 'object' ? options.dashboard : {})),
  ]);
  if (options.tournaments) {
    const rules = config.tournament;
    const given = typeof options.tournaments === 'object' ? options.tournaments.trainers : undefined;
    registerTournamentRoutes(server, {
      db: options.db,
      netuid: context.netuid,
      clock,
      trainers: given ?? scopedTrainerClient(rules, trainerClientConfig(config)),
      rules,
      scoring: config.scoring,
      log,
    });
  }
  // After the routes: our `/health` above keeps the original's `{"status": "healthy"}`.
  const metrics = options.metrics ?? createMetrics('api');
  mountOperations(server, { metrics, beforeScrape: async () => metrics.setTaskCounts(await countTasksByStatus(options.db, TASK_STATUSES)) });

  const webhookOption = options.webhooks ?? true;
  const dispatcher = webhookOption
    ? new WebhookDispatcher(context, typeof webhookOption === 'object' && webhookOption.fetch ? webhookOption.fetch : fetch)
    : undefined;
  const progress = options.progress
    ? new ProgressPoller(context, options.progress.source, options.progress.intervalMs ?? 30_000)
    : undefined;

  return {
    server,
    context,
    rateLimiter,
    dispatcher,
    progress,
    async listen(listenOptions = {}) {
      const url = await server.listen(listenOptions);
      dispatcher?.start();
      progress?.start();
      return url;
    },
    async close() {
      for (const end of [...streams]) end();
      bus.close();
      await dispatcher?.stop();
      await progress?.stop();
      await server.close();
    },
  };
}
