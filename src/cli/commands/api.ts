/**
 * `god api`: the validator's public HTTP API on its own (docs/api.md). The validator and the devnet mount the
 * same server in-process; this runs it against the project database for operators who split the processes,
 * as the original's `validator_api` does.
 */
import { Command } from 'commander';
import type { ApiServer } from '../../api/index.ts';
import type { Config } from '../../config/schema.ts';

export interface ApiCommandDeps {
  out: (text: string) => void;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  untilStopped: () => Promise<void>;
  /** Default: the project configuration (defaults ← file ← environment). */
  loadConfig?: () => Config;
}

const defaultDeps: ApiCommandDeps = {
  out: (text) => process.stdout.write(text),
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
};

interface ApiOptions {
  host: string;
  port?: number;
  sandbox: boolean;
  webhooks: boolean;
  uploads: boolean;
  tournaments: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: expected 0..65535, got "${value}"`);
  return n;
}

function uploadsTarget(config: Config): string {
  const { s3Endpoint, s3Bucket } = config.services;
  return s3Endpoint === null ? 'local blob store' : `S3 bucket ${s3Bucket ?? '?'} at ${s3Endpoint}`;
}

async function runApi(opts: ApiOptions, deps: ApiCommandDeps): Promise<void> {
  const { loadConfig } = await import('../../config/index.ts');
  const config = deps.loadConfig ? deps.loadConfig() : loadConfig().config;
  const { openDb } = await import('../../db/index.ts');
  const { createLogger } = await import('../../log/index.ts');
  const { clockFromEnv } = await import('../../clock/index.ts');
  const { createApiServer } = await import('../../api/index.ts');
  const log = createLogger({ name: 'api' });
  const clock = clockFromEnv();
  const db = await openDb({ migrate: true });
  const closers: (() => Promise<void>)[] = [() => db.close()];
  let api: ApiServer | undefined;
  try {
    const { createMetrics, sandboxCallObserver } = await import('../../ops/metrics.ts');
    const metrics = createMetrics('api');
    let rewards;
    if (opts.sandbox) {
      const { Sandbox } = await import('../../sandbox/index.ts');
      const sandbox = await Sandbox.start({ rules: config.sandbox, logger: log, onCall: sandboxCallObserver(metrics) });
      closers.unshift(() => sandbox.close());
      rewards = sandbox;
    }
    let uploads;
    if (opts.uploads) {
      // The validator's selection (storage/open.ts): S3/MinIO when services.s3Endpoint is set, else the local
      // store, whose URLs point at the storage server that serves it.
      const { openBlobStore } = await import('../../storage/open.ts');
      const publicUrl = config.storage.publicUrl ?? `http://${config.storage.host}:${config.storage.port}`;
      const store = await openBlobStore(config, { clock, logger: log }, publicUrl);
      uploads = {
        put: (key: string, body: Uint8Array, contentType?: string) => store.put(key, body, contentType),
        signedUrl: (key: string, seconds: number) => store.signedUrl(key, { expiresInSeconds: Math.max(1, Math.floor(seconds)), method: 'GET' }),
      };
    }
    api = createApiServer({
      db,
      config,
      clock,
      logger: log,
      webhooks: opts.webhooks,
      tournaments: opts.tournaments,
      metrics,
      ...(rewards ? { rewards } : {}),
      ...(uploads ? { uploads } : {}),
    });
    const url = await api.listen({ host: opts.host, port: opts.port ?? config.protocol.validatorPort });
    deps.out(
      `god api listening on ${url} (database ${db.location})\n` +
        `  docs:    ${url}/docs\n  openapi: ${url}/openapi.json\n` +
        `  reward-function validation: ${rewards ? 'sandbox' : 'off (POST /v1/grpo/reward_functions answers 503)'}\n` +
        `  uploads: ${uploads ? uploadsTarget(config) : 'off'}; webhooks: ${opts.webhooks ? 'dispatched here' : 'not dispatched here'}\n` +
        `  tournaments: ${opts.tournaments ? '/v1/tournaments/* (customer key), /v1/tournament_orchestrator/* (admin key)' : 'off'}\n`,
    );
    await deps.untilStopped();
  } finally {
    await api?.close();
    for (const close of closers) await close();
  }
}

export function registerApi(program: Command, deps: ApiCommandDeps = defaultDeps): void {
  program
    .command('api')
    .description("serve the validator's public HTTP API (tasks, events, leaderboard, auditing, /docs) on its own")
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (default: protocol.validatorPort, 9001)', parsePort)
    .option('--no-sandbox', 'do not start the reward-function sandbox (POST /v1/grpo/reward_functions then answers 503)')
    .option('--no-webhooks', 'do not dispatch completion webhooks from this process')
    .option('--uploads', "serve POST /v1/uploads into the validator's blob store: S3/MinIO when services.s3Endpoint is set, else the local store (its URLs point at the storage server)", false)
    .option('--no-tournaments', 'do not serve the tournament analytics and orchestrator admin routes')
    .addHelpText(
      'after',
      '\nUses the project database (DATABASE_URL, else PGlite under GOD_HOME) and migrates it first.\n' +
        'API keys come from `god accounts create <name> [--scope admin]`.\n' +
        'Trainer credentials for the orchestrator admin routes: orchestrator.trainers / orchestrator.trainerToken.\n',
    )
    .action((opts: ApiOptions) => runApi(opts, deps));
}

export const register = (program: Command) => registerApi(program);
