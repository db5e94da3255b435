/**
 * `god doctor`: checks this host before a role starts — clock against peers (the ±120 s nonce window), hotkey,
 * chain, database and storage — one line each, ok / warn / fail. Exit code 1 when any check fails.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

export interface DoctorDeps {
  out: (text: string) => void;
  setExitCode: (code: number) => void;
  env: NodeJS.ProcessEnv;
}

const defaultDeps: DoctorDeps = {
  out: (t) => process.stdout.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
  env: process.env,
};

interface DoctorOptions {
  peer: string[];
  suri?: string;
  wallet?: string;
  hotkey?: string;
  walletPath?: string;
  keys: boolean;
  network?: 'devnet' | 'finney' | 'test';
  chainUrl?: string;
  endpoint?: string;
  chain: boolean;
  netuid?: number;
  timeout: number;
  json?: boolean;
  set: string[];
}

function whole(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n > max) throw new InvalidArgumentError(`${name} must be a whole number between 0 and ${max}`);
    return n;
  };
}

async function run(opts: DoctorOptions, deps: DoctorDeps): Promise<void> {
  const { loadConfig, parseSetFlags, homeDir } = await import('../../config/index.ts');
  const ops = await import('../../ops/index.ts');
  const { config } = loadConfig({ env: deps.env, cli: parseSetFlags(opts.set) });
  const netuid = opts.netuid ?? config.protocol.netuid;
  const checks: import('../../ops/index.ts').HealthCheck[] = [];

  const network = opts.chainUrl ? 'devnet' : (opts.network ?? config.general.network);
  const target: import('../../chain/connect.ts').ChainTarget =
    network === 'devnet'
      ? { network, url: opts.chainUrl ?? deps.env.GOD_CHAIN_URL ?? 'http://127.0.0.1:9940' }
      : { network, endpoint: opts.endpoint ?? config.chain.endpoint ?? (network === 'finney' ? config.chain.finneyEndpoint : config.chain.testEndpoint) };
  const chainPeer = target.network === 'devnet' ? target.url : ops.httpPeerOf(target.endpoint);
  checks.push(ops.clockCheck([...opts.peer, ...(opts.chain ? [chainPeer] : [])], config.protocol.nonceWindowSeconds));

  let keySource: import('../../ops/index.ts').KeySource | undefined;
  let keyPath: string | undefined;
  if (opts.keys) {
    const { resolveWalletRoot, walletPaths } = await import('../../keys/wallet.ts');
    if (opts.suri) keySource = { suri: opts.suri };
    else {
      const root = resolveWalletRoot(opts.walletPath ?? config.chain.walletDir, deps.env);
      keySource = { root, wallet: opts.wallet ?? config.chain.walletName, hotkey: opts.hotkey ?? config.chain.hotkeyName };
      keyPath = walletPaths(root, keySource.wallet).hotkey(keySource.hotkey);
    }
  }
  const loadKey = async (source: import('../../ops/index.ts').KeySource) => {
    const { Sr25519Keypair, initCrypto } = await import('../../keys/keypair.ts');
    const { loadHotkey } = await import('../../keys/wallet.ts');
    await initCrypto();
    return 'suri' in source ? Sr25519Keypair.fromUri(source.suri) : loadHotkey(source);
  };
  if (keySource) checks.push(ops.keysCheck(keySource, loadKey, keyPath));

  if (opts.chain) {
    const { connectChain } = await import('../../chain/connect.ts');
    const source = keySource;
    checks.push(ops.chainCheck(target, netuid, (t) => connectChain(t), source ? async () => (await loadKey(source)).ss58Address : undefined));
  }

  const db = await import('../../db/index.ts');
  const dbTarget = db.resolveDbTarget({ env: deps.env });
  checks.push(
    ops.databaseCheck(
      dbTarget,
      () => db.openDb(dbTarget.driver === 'postgres' ? { databaseUrl: dbTarget.url } : { dataDir: dbTarget.dataDir as string }),
      (handle) => db.migrationStatus(handle),
    ),
  );
  checks.push(ops.storageCheck({ blobDir: config.storage.blobDir ?? `${homeDir(config)}/blobs`, urls: ops.storageUrls(config) }));

  const results = await ops.runChecks(checks, opts.timeout * 1000);
  deps.out(opts.json ? `${JSON.stringify(results, null, 2)}\n` : ops.formatChecks(results));
  deps.setExitCode(ops.overall(results) === 'fail' ? 1 : 0);
}

export function registerDoctor(program: Command, deps: DoctorDeps = defaultDeps): void {
  program
    .command('doctor')
    .description('check this host before running a role: clock sync (±120 s nonce window), hotkey, chain, database, storage; one line each (ok/warn/fail), exit 1 on any fail')
    .option('--peer <url>', 'HTTP(S) URL whose Date header the clock is compared with (repeatable; the chain is added by itself)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--suri <uri>', 'hotkey as a secret URI (//Alice) instead of a wallet file')
    .option('--wallet <name>', 'bittensor wallet name (default chain.walletName)')
    .option('--hotkey <name>', 'hotkey name in the wallet (default chain.hotkeyName)')
    .option('--wallet-path <dir>', 'wallet root (default chain.walletDir)')
    .option('--no-keys', 'skip the hotkey check (an auditor or API host has none)')
    .addOption(new Option('--network <network>', 'chain to check (default general.network)').choices(['devnet', 'finney', 'test']))
    .option('--chain-url <url>', 'devnet chain URL (default $GOD_CHAIN_URL or http://127.0.0.1:9940)')
    .option('--endpoint <wss>', 'subtensor websocket endpoint (default chain.endpoint, else the network\'s)')
    .option('--no-chain', 'skip the chain check')
    .addOption(new Option('--netuid <netuid>', 'subnet (default protocol.netuid)').argParser(whole('--netuid', 65_535)))
    .addOption(new Option('--timeout <seconds>', 'per check').default(15).argParser(whole('--timeout')))
    .option('--json', 'print the results as JSON')
    .option('--set <group.key=value>', 'override a config value (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action((opts: DoctorOptions) => run(opts, deps));
}

export function register(program: Command): void {
  registerDoctor(program);
}
