/**
 * `god validator`: runs the validator's task cycle (prep, offers, training, deadlines, evaluation and scoring),
 * the synthetic task scheduler, the metagraph sync and the weight setter, with a small HTTP surface for its
 * signed blob URLs and `/auditing/scores-url`. Everything it does is logged as structured lines.
 */
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';

export interface ValidatorCliOptions {
  netuid?: number;
  wallet?: string;
  hotkey?: string;
  walletPath?: string;
  chainUrl?: string;
  hubUrl?: string;
  host: string;
  port: number;
  publicUrl?: string;
  synthetic: boolean;
  weights: boolean;
  llm: 'template' | 'openai';
  textModels?: string;
  imageModels?: string;
}

function portNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65_535) throw new InvalidArgumentError('must be a port number (0–65535)');
  return n;
}

function wholeNumber(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('must be a whole number');
  return Number(raw);
}

export function register(program: Command): void {
  program
    .command('validator')
    .description('run the validator: task cycle (prep → offers → training → evaluation → scoring), synthetic tasks, metagraph sync and weight setting')
    .option('--netuid <n>', 'subnet id (default: protocol.netuid from the config)', wholeNumber)
    .option('--wallet <name>', 'wallet (coldkey) name (default: chain.walletName)')
    .option('--hotkey <name>', 'hotkey name inside the wallet (default: chain.hotkeyName)')
    .option('--wallet-path <dir>', 'wallets directory (default: chain.walletDir or BT_WALLET_PATH)')
    .option('--chain-url <url>', 'devnet chain served by `god chain` (default: GOD_CHAIN_URL); without a chain no metagraph sync and no weights')
    .option('--hub-url <url>', 'model hub server (default: storage.hubUrl, else the local hub directory)')
    .option('--host <host>', 'address the validator\'s HTTP surface listens on', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP surface (blobs, /auditing/scores-url; 0 picks one)', portNumber, 9100)
    .option('--public-url <url>', 'base URL miners reach the HTTP surface at (signed data URLs point here)')
    .option('--no-synthetic', 'do not create synthetic tasks')
    .option('--no-weights', 'do not set weights')
    .option('--llm <kind>', 'synthetic-data LLM: template (built-in) or openai (services.llmBaseUrl / llmApiKey)', 'template')
    .option('--text-models <ids>', 'comma list of base models for synthetic text tasks (default: god-local/tinygpt-tiny)')
    .option('--image-models <ids>', 'comma list of sdxl base models for synthetic image tasks (default: god-local/tinydiff-tiny)')
    .addHelpText(
      'after',
      '\nConfiguration (god config show): database.url or the embedded database under general.home; validator.*, prep.*, synth.*,\nevaluation.*, weights.*, scoring.* rules. GOD_TIME_SCALE=N runs the validator\'s clock N times faster (devnet).\nStops cleanly on SIGINT/SIGTERM; after a crash it resumes from the database.',
    )
    .action(async (opts: ValidatorCliOptions) => {
      if (opts.llm !== 'template' && opts.llm !== 'openai') throw new InvalidArgumentError('--llm must be template or openai');
      await runValidator(opts);
    });
}

export async function runValidator(opts: ValidatorCliOptions, untilStopped: () => Promise<string> = waitForSignal): Promise<void> {
  const [{ loadConfig }, { clockFromEnv }, { createLogger }, { openDb }, keys, wallet] = await Promise.all([
    import('../../config/load.ts'),
    import('../../clock/index.ts'),
    import('../../log/index.ts'),
    import('../../db/index.ts'),
    import('../../keys/keypair.ts'),
    import('../../keys/wallet.ts'),
  ]);
  const { config } = loadConfig();
  const log = createLogger({ name: 'validator', level: config.general.logLevel });
  const clock = clockFromEnv();
  const home = resolve(config.general.home);
  const netuid = opts.netuid ?? config.protocol.netuid;

  await keys.initCrypto();
  const keypair = wallet.loadHotkey({
    root: wallet.resolveWalletRoot(opts.walletPath ?? (process.env.BT_WALLET_PATH ? undefined : config.chain.walletDir)),
    wallet: opts.wallet ?? config.chain.walletName,
    hotkey: opts.hotkey ?? config.chain.hotkeyName,
  });

  const db = await openDb({ migrate: true });
  const stops: (() => Promise<void>)[] = [() => db.close()];
  try {
    const [{ createServer }, { LocalBlobStore }, { registerBlobRoutes }, { LocalModelHub }, { HttpModelHub }] = await Promise.all([
      import('../../http/index.ts'),
      import('../../storage/blob/local.ts'),
      import('../../storage/blob/server.ts'),
      import('../../storage/hub/local.ts'),
      import('../../storage/hub/client.ts'),
    ]);
    const [{ SignedClient }, builtin, { StorageBlobAdapter }, { StorageHubAdapter }, { httpFetcher }, { BuiltinEvaluationExecutor }, { scoresUrlRoute }, { Validator }, { workerIdentity }, { mathRandom }] =
      await Promise.all([
        import('../../net/client.ts'),
        import('../../validator/adapters/builtin.ts'),
        import('../../validator/adapters/blob-stores.ts'),
        import('../../validator/adapters/hub.ts'),
        import('../../validator/adapters/fetch.ts'),
        import('../../validator/evaluation/builtin.ts'),
        import('../../validator/weights/route.ts'),
        import('../../validator/validator.ts'),
        import('../../validator/context.ts'),
        import('../../validator/rng.ts'),
      ]);

    // HTTP surface: signed blob URLs for miners, the scores file URL for auditors.
    const server = createServer({ logger: log, logRequests: false });
    const blobStore = await LocalBlobStore.open({
      root: config.storage.blobDir ?? join(home, 'validator-blobs'),
      secretFile: join(home, 'validator-blobs.secret'),
      clock,
      logger: log,
    });
    registerBlobRoutes(server, blobStore);
    server.route(scoresUrlRoute(db));
    const { createMetrics, mountOperations } = await import('../../ops/index.ts');
    mountOperations(server, { metrics: createMetrics('validator') });
    const listening = await server.listen({ host: opts.host, port: opts.port });
    stops.unshift(() => server.close());
    const publicUrl = (opts.publicUrl ?? listening).replace(/\/+$/, '');
    blobStore.setBaseUrl(publicUrl);

    const hubUrl = opts.hubUrl ?? config.storage.hubUrl ?? undefined;
    const storageHub = hubUrl ? new HttpModelHub({ baseUrl: hubUrl }) : await LocalModelHub.open({ root: config.storage.hubDir ?? join(home, 'hub'), clock, logger: log });

    let chain: import('../../chain/types.ts').Chain | undefined;
    const chainUrl = opts.chainUrl ?? process.env.GOD_CHAIN_URL;
    if (chainUrl) {
      const { httpChain } = await import('../../chain/devnet/index.ts');
      chain = httpChain(chainUrl, keypair);
    } else {
      log.warn('no chain URL (--chain-url or GOD_CHAIN_URL): the metagraph is not synced and weights are not set');
    }

    // The Python sandbox takes a while to warm up: start it on the first GRPO task, not at boot.
    let sandbox: Promise<import('../../sandbox/index.ts').Sandbox> | undefined;
    stops.unshift(async () => {
      if (sandbox) await (await sandbox.catch(() => null))?.pool.close();
    });
    const rewards: import('../../validator/ports.ts').RewardChecker = {
      async validate(code, rows) {
        sandbox ??= import('../../sandbox/index.ts').then(({ Sandbox }) => Sandbox.start());
        let box: import('../../sandbox/index.ts').Sandbox;
        try {
          box = await sandbox;
        } catch (err) {
          return new builtin.UnavailableRewardChecker(`no Python sandbox: ${err instanceof Error ? err.message : String(err)}`).validate();
        }
        const verdict = await box.validateRewardFunction(code, rows as never);
        return { valid: verdict.valid, error: verdict.error };
      },
    };

    const fetch = httpFetcher;
    const ctx = {
      db,
      clock,
      log,
      config,
      netuid,
      hotkey: keypair.ss58Address,
      worker: workerIdentity(),
      random: mathRandom,
      miners: new SignedClient({ keypair }),
      blobs: new StorageBlobAdapter(blobStore, publicUrl),
      fetch,
      hub: new StorageHubAdapter(storageHub),
      llm:
        opts.llm === 'openai'
          ? new builtin.OpenAiCompatibleLlm({
              baseUrl: config.services.llmBaseUrl,
              apiKey: config.services.llmApiKey,
              timeoutMs: config.prep.llmTimeoutSeconds * 1000,
              attempts: config.prep.llmAttempts,
              backoffMinMs: config.prep.llmBackoffMinSeconds * 1000,
              backoffMaxMs: config.prep.llmBackoffMaxSeconds * 1000,
            })
          : new builtin.TemplateLlm(),
      datasets: new builtin.BuiltinDatasetSource(fetch, config.prep.maxDownloadBytes),
      content: new builtin.BuiltinContentService({
        textModels: (opts.textModels ?? 'god-local/tinygpt-tiny').split(',').map((m) => ({ model_id: m.trim() })),
        imageModels: (opts.imageModels ?? 'god-local/tinydiff-tiny').split(',').map((m) => ({ model_id: m.trim(), model_type: 'sdxl' as const })),
      }),
      images: new builtin.BuiltinImageGenerator(),
      rewards,
      executor: new BuiltinEvaluationExecutor({ fetch, hub: storageHub, home }),
      tournaments: builtin.noTournaments,
      ...(chain ? { chain } : {}),
    };

    if (chain) {
      const [{ MetagraphSync }, { SqlNodeStore }] = await Promise.all([import('../../metagraph/sync.ts'), import('../../metagraph/store.ts')]);
      const sync = new MetagraphSync({ chain, store: new SqlNodeStore(db), netuid, clock, ourHotkey: keypair.ss58Address, log });
      await sync.syncOnce();
      sync.start();
      stops.unshift(() => sync.stop());
    }

    const validator = new Validator(ctx, { synthetic: opts.synthetic, weights: opts.weights && chain !== undefined });
    await validator.start();
    stops.unshift(() => validator.stop());
    log.info({ url: publicUrl, netuid, hotkey: keypair.ss58Address, db: db.location }, 'validator running');
    const signal = await untilStopped();
    log.info({ signal }, 'stopping');
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
