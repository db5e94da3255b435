/**
 * `god miner`: run a miner (signed endpoints, accept policy, persistent job queue, training backend) and look at
 * its jobs. Configuration comes from the config file / environment (`miner.*` rules, `services.*` tokens,
 * `chain.*` wallet) with flags for what differs per process.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number');
  return n;
}

interface RunOptions {
  host: string;
  port?: number;
  backend: 'container' | 'fail';
  dataDir?: string;
  databaseUrl?: string;
  suri?: string;
  wallet?: string;
  hotkey?: string;
  walletPath?: string;
  chainUrl?: string;
  network?: 'devnet' | 'finney' | 'test';
  endpoint?: string;
  stakeFile?: string;
  netuid?: number;
  minStake?: number;
  dockerSocket: string;
  behaviour: 'fixed' | 'original';
  set: string[];
}

async function run(opts: RunOptions): Promise<void> {
  const { loadConfig, parseSetFlags, homeDir } = await import('../../config/index.ts');
  const { openDb } = await import('../../db/index.ts');
  const { createLogger } = await import('../../log/index.ts');
  const { Sr25519Keypair, initCrypto } = await import('../../keys/keypair.ts');
  const { loadHotkey, resolveWalletRoot } = await import('../../keys/wallet.ts');
  const { chainTarget, connectChain } = await import('../../chain/connect.ts');
  const miner = await import('../../miner/index.ts');

  const { config } = loadConfig({ cli: parseSetFlags(opts.set) });
  const log = createLogger({ name: 'miner', level: config.general.logLevel });
  await initCrypto();
  const keypair = opts.suri
    ? Sr25519Keypair.fromUri(opts.suri)
    : loadHotkey({ root: resolveWalletRoot(opts.walletPath ?? config.chain.walletDir), wallet: opts.wallet ?? config.chain.walletName, hotkey: opts.hotkey ?? config.chain.hotkeyName });
  const dataDir = resolve(opts.dataDir ?? join(homeDir(config), 'miner'));
  const netuid = opts.netuid ?? config.protocol.netuid;

  let lookupStake: (hotkey: string) => { found: false } | { found: true; stake: number };
  let stopStakes = () => {};
  if (opts.stakeFile) {
    const table = JSON.parse(readFileSync(opts.stakeFile, 'utf8')) as Record<string, number>;
    lookupStake = (hotkey) => (Object.hasOwn(table, hotkey) ? { found: true, stake: Number(table[hotkey]) } : { found: false });
  } else if (chainTarget({ chainUrl: opts.chainUrl ?? process.env.GOD_CHAIN_URL, network: opts.network, endpoint: opts.endpoint }, config)) {
    const target = chainTarget({ chainUrl: opts.chainUrl ?? process.env.GOD_CHAIN_URL, network: opts.network, endpoint: opts.endpoint }, config)!;
    const chain = await connectChain(target);
    let stakes = new Map<string, number>();
    const refresh = async () => {
      try {
        stakes = new Map((await chain.getNodes(netuid)).map((n) => [n.hotkey, n.stake]));
      } catch (err) {
        log.warn({ err }, 'metagraph refresh failed; keeping the last one');
      }
    };
    await refresh();
    const timer = setInterval(() => void refresh(), config.protocol.metagraphSyncSeconds * 1000);
    stopStakes = () => {
      clearInterval(timer);
      void chain.close().catch(() => undefined);
    };
    lookupStake = (hotkey) => (stakes.has(hotkey) ? { found: true, stake: stakes.get(hotkey) as number } : { found: false });
  } else {
    throw new Error('say where validator stakes come from: --chain-url <devnet chain>, --network finney|test, or --stake-file <json {hotkey: stake}>');
  }

  const hubToken = config.services.huggingfaceToken;
  const hub = new miner.HuggingFaceHub({ token: hubToken });
  const backend =
    opts.backend === 'fail'
      ? miner.failBackend()
      : miner.containerBackend({
          docker: new miner.DockerClient({ socketPath: opts.dockerSocket }),
          paths: { configDir: join(dataDir, 'config'), outputDir: join(dataDir, 'outputs'), imagesDir: join(dataDir, 'images') },
          secrets: { hubToken, wandbToken: config.services.wandbToken },
          behaviour: opts.behaviour,
          tokenizerInfo: miner.huggingFaceTokenizerInfo({ token: hubToken }),
        });
  const hubUsername = config.services.huggingfaceUsername;
  if (!hubUsername) throw new Error('set services.huggingfaceUsername (GOD_SERVICES__HUGGINGFACE_USERNAME): result repos are created under it');

  const db = await openDb({ ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : { dataDir: join(dataDir, 'db') }), migrate: true });
  const running = await miner.startMiner({
    db,
    minerHotkey: keypair.ss58Address,
    lookupStake,
    minStake: opts.minStake ?? config.protocol.minStakeThreshold,
    rules: config.miner,
    hubUsername,
    dataDir,
    backend,
    hub,
    host: opts.host,
    port: opts.port ?? config.protocol.minerPort,
    log,
  });
  log.info({ url: running.url, hotkey: keypair.ss58Address, backend: backend.name, data_dir: dataDir }, 'miner listening');
  await new Promise<void>((done) => {
    const stop = () => {
      log.info('stopping');
      stopStakes();
      void running.stop().then(() => db.close()).then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function register(program: Command): void {
  const miner = program.command('miner').description('a miner: answers task offers, trains accepted tasks from a persistent queue, reports submissions');

  miner
    .command('run')
    .description('serve the miner endpoints (fiber-signed, stake-checked) and train queued jobs until stopped')
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--port <port>', 'port (default protocol.minerPort, 7999)').argParser(port))
    .addOption(new Option('--backend <name>', 'training backend').choices(['container', 'fail']).default('container'))
    .option('--data-dir <dir>', 'datasets, configs, outputs and the embedded database (default $GOD_HOME/miner)')
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database')
    .option('--suri <uri>', 'hotkey as a secret URI (//Bob), for development')
    .option('--wallet <name>', 'bittensor wallet (default chain.walletName)')
    .option('--hotkey <name>', 'hotkey in the wallet (default chain.hotkeyName)')
    .option('--wallet-path <dir>', 'wallet root (default chain.walletDir)')
    .option('--chain-url <url>', 'devnet chain to read validator stakes from (default $GOD_CHAIN_URL)')
    .addOption(new Option('--network <network>', 'finney or test: read validator stakes from subtensor (default general.network)').choices(['devnet', 'finney', 'test']))
    .option('--endpoint <wss>', 'subtensor websocket endpoint (default chain.endpoint, else the network\'s entrypoint)')
    .option('--stake-file <path>', 'JSON {hotkey: stake} instead of a chain (tests, private setups)')
    .addOption(new Option('--netuid <n>', 'subnet (default protocol.netuid)').argParser(Number))
    .addOption(new Option('--min-stake <tao>', 'stake a validator needs (default protocol.minStakeThreshold)').argParser(Number))
    .option('--docker-socket <path>', 'Docker Engine socket for the container backend', '/var/run/docker.sock')
    .addOption(new Option('--behaviour <b>', "container configs: 'fixed' (docs/deviations.md D-miner-*) or the reference's 'original'").choices(['fixed', 'original']).default('fixed'))
    .option('--set <group.key=value>', 'override a config value (repeatable), e.g. --set miner.concurrentJobs=2', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(run);

  miner
    .command('jobs')
    .description("list the miner's jobs (newest first) from its database")
    .option('--data-dir <dir>', 'the miner data directory (default $GOD_HOME/miner)')
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database')
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir?: string; databaseUrl?: string; json?: boolean }) => {
      const { loadConfig, homeDir } = await import('../../config/index.ts');
      const { openDb } = await import('../../db/index.ts');
      const { listMinerJobs } = await import('../../db/queries/miner-jobs.ts');
      const { config } = loadConfig();
      const dataDir = resolve(opts.dataDir ?? join(homeDir(config), 'miner'));
      const db = await openDb({ ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : { dataDir: join(dataDir, 'db') }), migrate: true });
      try {
        const rows = await listMinerJobs(db);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows.map(({ job: _job, ...r }) => r), null, 2)}\n`);
          return;
        }
        if (rows.length === 0) process.stdout.write('no jobs\n');
        for (const r of rows) {
          process.stdout.write(`${r.task_id}  ${r.task_type.padEnd(16)} ${r.status.padEnd(9)} attempts=${r.attempts}  ${r.submission_repo ?? r.error ?? ''}\n`);
        }
      } finally {
        await db.close();
      }
    });
}
