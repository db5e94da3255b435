/**
 * `god validator`: runs the validator's task cycle (prep, offers, training, deadlines, evaluation and scoring),
 * the synthetic task scheduler, the metagraph sync and the weight setter, with a small HTTP surface for its
 * signed blob URLs and `/auditing/scores-url`. Everything it does is logged as structured lines.
 */
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

export interface ValidatorCliOptions {
  netuid?: number;
  wallet?: string;
  hotkey?: string;
  walletPath?: string;
  chainUrl?: string;
  network?: 'devnet' | 'finney' | 'test';
  endpoint?: string;
  hubUrl?: string;
  host: string;
  port: number;
  publicUrl?: string;
  synthetic: boolean;
  weights: boolean;
  /** Undefined: `synthetic.llm` from the config. */
  llm?: 'template' | 'builtin' | 'openai';
  textModels?: string;
  imageModels?: string;
  /** Run the tournament loops; undefined: `orchestrator.enabled` from the config. */
  tournaments?: boolean;
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
    .addOption(new Option('--network <network>', 'finney or test: sync the metagraph from and set weights on subtensor (default general.network; devnet needs --chain-url)').choices(['devnet', 'finney', 'test']))
    .option('--endpoint <wss>', 'subtensor websocket endpoint (default chain.endpoint, else the network\'s entrypoint)')
    .option('--hub-url <url>', 'model hub server (default: storage.hubUrl, else the local hub directory)')
    .option('--host <host>', 'address the validator\'s HTTP surface listens on', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP surface (blobs, /auditing/scores-url; 0 picks one)', portNumber, 9100)
    .option('--public-url <url>', 'base URL miners reach the HTTP surface at (signed data URLs point here)')
    .option('--no-synthetic', 'do not create synthetic tasks')
    .option('--no-weights', 'do not set weights')
    .option('--llm <kind>', 'synthetic-data LLM: builtin (template engine; `template` also accepted) or openai (services.llmBaseUrl / llmApiKey); default synthetic.llm')
    .option('--text-models <ids>', 'comma list of base models for synthetic text tasks (default: god-local/tinygpt-tiny)')
    .option('--image-models <ids>', 'comma list of sdxl base models for synthetic image tasks (default: god-local/tinydiff-tiny)')
    .option('--tournaments', 'run the tournament lifecycle and orchestrator loops (default: orchestrator.enabled, on)')
    .option('--no-tournaments', 'do not run the tournament loops in this process (weights still read tournament results from the database)')
    .addHelpText(
      'after',
      '\nConfiguration (god config show): database.url or the embedded database under general.home; validator.*, prep.*, synth.*,\nevaluation.*, weights.*, scoring.*, tournament.* rules; orchestrator.trainers (trainer nodes and their tokens, JSON).\nGOD_TIME_SCALE=N runs the validator\'s clock N times faster (devnet).\nStops cleanly on SIGINT/SIGTERM; after a crash it resumes from the database.',
    )
    .action(async (opts: ValidatorCliOptions) => {
      if (opts.llm !== undefined && !['template', 'builtin', 'openai'].includes(opts.llm)) throw new InvalidArgumentError('--llm must be builtin (or template) or openai');
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
  const { trainerClientConfig } = await import('../../tournament/trainer-registry.ts');
  // Checked before anything starts, so a bad trainer list stops the command with the entry's path.
  const trainerConfig = trainerClientConfig(config);
  const tournamentsOn = opts.tournaments ?? config.orchestrator.enabled;

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
    const [{ SignedClient }, builtin, { StorageBlobAdapter, s3BlobAdapter }, { StorageHubAdapter }, { httpFetcher }, { scoresUrlRoute }, { Validator }, { workerIdentity }, { mathRandom }] =
      await Promise.all([
        import('../../net/client.ts'),
        import('../../validator/adapters/builtin.ts'),
        import('../../validator/adapters/blob-stores.ts'),
        import('../../validator/adapters/hub.ts'),
        import('../../validator/adapters/fetch.ts'),
        import('../../validator/weights/route.ts'),
        import('../../validator/validator.ts'),
        import('../../validator/context.ts'),
        import('../../validator/rng.ts'),
      ]);
    const [{ tournamentWeightsSource }, { startValidatorTournaments }] = await Promise.all([
      import('../../tournament/weights-source.ts'),
      import('../../tournament/validator-wiring.ts'),
    ]);

    // HTTP surface: signed blob URLs for miners, the scores file URL for auditors.
    const server = createServer({ logger: log, logRequests: false });
    // Task files go to S3/MinIO when services.s3Endpoint is set (docs/storage.md), else to a local store served here.
    const s3 = config.services.s3Endpoint !== null;
    const localBlobs = s3
      ? undefined
      : await LocalBlobStore.open({
          root: config.storage.blobDir ?? join(home, 'validator-blobs'),
          secretFile: join(home, 'validator-blobs.secret'),
          clock,
          logger: log,
        });
    const blobStore = localBlobs ?? (await (await import('../../storage/open.ts')).openBlobStore(config, { clock, logger: log }));
    if (localBlobs) registerBlobRoutes(server, localBlobs);
    server.route(scoresUrlRoute(db));
    const [{ createMetrics, mountOperations }, { countTasksByStatus }, { TASK_STATUSES }, { sandboxCallObserver }] = await Promise.all([
      import('../../ops/index.ts'),
      import('../../db/queries/validator-tasks.ts'),
      import('../../core/enums.ts'),
      import('../../ops/metrics.ts'),
    ]);
    const metrics = createMetrics('validator');
    mountOperations(server, { metrics, beforeScrape: async () => metrics.setTaskCounts(await countTasksByStatus(db, TASK_STATUSES)) });
    const listening = await server.listen({ host: opts.host, port: opts.port });
    stops.unshift(() => server.close());
    const publicUrl = (opts.publicUrl ?? listening).replace(/\/+$/, '');
    localBlobs?.setBaseUrl(publicUrl);

    const hubUrl = opts.hubUrl ?? config.storage.hubUrl ?? undefined;
    const storageHub = hubUrl ? new HttpModelHub({ baseUrl: hubUrl }) : await LocalModelHub.open({ root: config.storage.hubDir ?? join(home, 'hub'), clock, logger: log });

    let chain: import('../../chain/types.ts').Chain | undefined;
    const { chainTarget, connectChain } = await import('../../chain/connect.ts');
    const target = chainTarget({ chainUrl: opts.chainUrl ?? process.env.GOD_CHAIN_URL, network: opts.network, endpoint: opts.endpoint }, config);
    if (target) {
      // Subtensor (finney/test) signs set_weights with this hotkey; an unreachable endpoint stops start-up here.
      const connected = await connectChain(target, keypair);
      chain = connected;
      stops.unshift(() => connected.close());
      log.info(target.network === 'devnet' ? { chain: target.url } : { network: target.network, endpoint: target.endpoint }, 'chain connected');
    } else {
      log.warn('no chain (--chain-url / GOD_CHAIN_URL for the devnet, or --network finney|test): the metagraph is not synced and weights are not set');
    }

    // The Python sandbox takes a while to warm up: start it on the first GRPO task, not at boot.
    let sandbox: Promise<import('../../sandbox/index.ts').Sandbox> | undefined;
    stops.unshift(async () => {
      if (sandbox) await (await sandbox.catch(() => null))?.pool.close();
    });
    const rewards: import('../../validator/ports.ts').RewardChecker = {
      async validate(code, rows) {
        sandbox ??= import('../../sandbox/index.ts').then(({ Sandbox }) => Sandbox.start({ rules: config.sandbox, logger: log, onCall: sandboxCallObserver(metrics) }));
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
    // Synthetic-data services (docs/synthetic.md): built-in by default, production endpoints by configuration.
    const [synthLlm, synthCatalogue] = await Promise.all([import('../../llm/index.ts'), import('../../catalogue/index.ts')]);
    const remoteAuth = { signer: keypair, netuid };
    const llmKind = opts.llm === undefined ? config.synthetic.llm : opts.llm === 'openai' ? 'openai' : 'builtin';
    const llm = synthLlm.llmFromConfig(config, () => new builtin.TemplateLlm(), remoteAuth, llmKind);
    const content = await synthCatalogue.catalogueFromConfig(config, {
      builtin: () =>
        new builtin.BuiltinContentService({
          textModels: (opts.textModels ?? 'god-local/tinygpt-tiny').split(',').map((m) => ({ model_id: m.trim() })),
          imageModels: (opts.imageModels ?? 'god-local/tinydiff-tiny').split(',').map((m) => ({ model_id: m.trim(), model_type: 'sdxl' as const })),
        }),
      ...remoteAuth,
    });
    const images = synthLlm.imagesFromConfig(config, { llm, random: mathRandom, builtin: () => new builtin.BuiltinImageGenerator(), ...remoteAuth });
    if (config.synthetic.images === 'openai' && llmKind === 'builtin') log.warn('synthetic.images is openai but the LLM is the built-in template engine: image prompts cannot be written');
    log.info({ llm: llmKind, images: config.synthetic.images, catalogue: config.synthetic.catalogue }, 'synthetic-data services');
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
      blobs: s3 ? s3BlobAdapter(blobStore, config) : new StorageBlobAdapter(blobStore, publicUrl),
      fetch,
      hub: new StorageHubAdapter(storageHub),
      llm,
      datasets: new builtin.BuiltinDatasetSource(fetch, config.prep.maxDownloadBytes),
      content,
      images,
      rewards,
      // evalExecutor.kind: the built-in engine (default), or evaluation containers on Docker or Kubernetes (docs/evaluation.md).
      executor: await (await import('../../evaluation-exec/factory.ts')).buildEvaluationExecutor(config, { fetch, hub: storageHub, home, log }),
      // The weight loop reads tournament results from the database even when another process runs the loops.
      tournaments: tournamentWeightsSource({ db, netuid, scoring: config.scoring }),
      metrics,
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
    if (tournamentsOn) {
      const tournaments = await startValidatorTournaments(ctx, { trainers: trainerConfig.trainers, fallbackToken: trainerConfig.fallbackToken ?? null });
      stops.unshift(() => tournaments.stop());
    } else {
      log.info('tournament loops off (--no-tournaments or orchestrator.enabled=false)');
    }
    log.info({ url: publicUrl, netuid, hotkey: keypair.ss58Address, db: db.location, tournaments: tournamentsOn }, 'validator running');
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
