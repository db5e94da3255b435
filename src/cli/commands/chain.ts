/**
 * `god chain`: runs the devnet chain service (state file, block timer, HTTP API on loopback), and
 * `god chain nodes` / `god chain register` talk to one from another process.
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ScaledClock, systemClock } from '../../clock/index.ts';
import { protocolRules } from '../../core/rules/protocol.ts';
import { devnetChainParams } from '../../chain/devnet/params.ts';
import { ipToText } from '../../chain/ip.ts';
import type { Node } from '../../chain/types.ts';
import type { Sr25519Keypair as Keypair } from '../../keys/keypair.ts';

export interface ChainDeps {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  untilStopped: () => Promise<string>;
}

const defaultDeps: ChainDeps = {
  out: (text) => process.stdout.write(text),
  env: process.env,
  untilStopped: () =>
    new Promise((resolve) => {
      const stop = (signal: string) => resolve(signal);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
};

function positiveNumber(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function wholeNumber(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n > max) throw new InvalidArgumentError(`${name} must be a whole number between 0 and ${max}`);
    return n;
  };
}

function defaultUrl(env: NodeJS.ProcessEnv): string {
  return env.GOD_CHAIN_URL || `http://127.0.0.1:${devnetChainParams.port}`;
}

function godHome(env: NodeJS.ProcessEnv): string {
  return env.GOD_HOME || '.god';
}

/** A fixed-width table of the metagraph, addresses in text form. */
export function formatNodes(nodes: readonly Node[], block: number, netuid: number): string {
  const header = ['uid', 'hotkey', 'coldkey', 'stake', 'alpha', 'tao', 'incentive', 'vtrust', 'updated', 'axon'];
  const rows = nodes.map((n) => {
    const host = ipToText(n.ip, n.ip_type);
    const axon = host === null ? '-' : n.ip_type === 6 ? `[${host}]:${n.port}` : `${host}:${n.port}`;
    return [String(n.node_id), n.hotkey, n.coldkey, n.stake.toFixed(4), n.alpha_stake.toFixed(4), n.tao_stake.toFixed(4), String(n.incentive), String(n.vtrust), String(n.last_updated), axon];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [`netuid ${netuid} at block ${block}: ${nodes.length} node(s)`, line(header), ...rows.map(line)].join('\n') + '\n';
}

export function registerChain(program: Command, deps: ChainDeps = defaultDeps): void {
  const chain = program
    .command('chain')
    .description('run the devnet chain (a local stand-in for subtensor: hotkeys, stakes, axons, blocks, weights, incentives), or query one')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default(devnetChainParams.port).argParser(wholeNumber('--port', 65_535)))
    .option('--state <file>', 'state file (JSON, written atomically; default $GOD_HOME/chain/devnet-chain.json)')
    .option('--memory', 'keep the state in memory only')
    .addOption(new Option('--block-time <seconds>', 'seconds per block at 1x').default(devnetChainParams.blockTimeSeconds).argParser(positiveNumber('--block-time')))
    .addOption(new Option('--scale <factor>', 'run time this many times faster (100: a 12 s block every 0.12 s)').default(1).argParser(positiveNumber('--scale')))
    .addOption(new Option('--netuid <netuid>', 'subnet to create').default(protocolRules.netuid).argParser(wholeNumber('--netuid', 65_535)))
    .addOption(new Option('--tempo <blocks>', 'blocks per epoch (incentive recomputed each tempo)').default(devnetChainParams.tempo).argParser(wholeNumber('--tempo', 65_535)))
    .addOption(new Option('--rate-limit <blocks>', 'WeightsSetRateLimit').default(devnetChainParams.weightsSetRateLimit).argParser(wholeNumber('--rate-limit')))
    .option('--commit-reveal', 'mark the subnet commit-reveal (set_weights is then refused, as on subtensor)')
    .action(async (opts: { host: string; port: number; state?: string; memory?: boolean; blockTime: number; scale: number; netuid: number; tempo: number; rateLimit: number; commitReveal?: boolean }) => {
      const { DevnetChainService, serveDevnetChain } = await import('../../chain/devnet/index.ts');
      const { createLogger } = await import('../../log/index.ts');
      const log = createLogger({ name: 'chain' });
      const statePath = opts.memory ? undefined : (opts.state ?? join(godHome(deps.env), 'chain', 'devnet-chain.json'));
      const service = await DevnetChainService.open({
        ...(statePath ? { statePath } : {}),
        clock: opts.scale === 1 ? systemClock : new ScaledClock(opts.scale),
        params: { blockTimeSeconds: opts.blockTime },
        netuids: [opts.netuid],
        subnet: { tempo: opts.tempo, weightsSetRateLimit: opts.rateLimit, commitRevealWeightsEnabled: opts.commitReveal ?? false },
        log,
      });
      const { server, url } = await serveDevnetChain(service, { host: opts.host, port: opts.port, logger: log });
      service.start();
      const info = await service.info();
      deps.out(
        `devnet chain listening on ${url}\n` +
          `  chain id ${info.chain_id}, block ${info.block}, one block per ${opts.blockTime / opts.scale} s, subnets ${info.netuids.join(', ')}\n` +
          `  state ${statePath ?? '(memory only)'}\n`,
      );
      const signal = await deps.untilStopped();
      await server.close();
      await service.stop();
      deps.out(`devnet chain stopped (${signal}) at block ${service.blockNumber}\n`);
    });

  chain
    .command('nodes')
    .description('print the metagraph of a subnet from a running devnet chain')
    .option('--url <url>', 'devnet chain URL (default $GOD_CHAIN_URL or http://127.0.0.1:9940)')
    .addOption(new Option('--netuid <netuid>', 'subnet').default(protocolRules.netuid).argParser(wholeNumber('--netuid', 65_535)))
    .option('--json', 'print the nodes as JSON (fiber field names)')
    .action(async (opts: { url?: string; netuid: number; json?: boolean }) => {
      const { httpChain } = await import('../../chain/devnet/index.ts');
      const client = httpChain(opts.url ?? defaultUrl(deps.env));
      const [nodes, block] = await Promise.all([client.getNodes(opts.netuid), client.getBlock()]);
      deps.out(opts.json ? `${JSON.stringify(nodes, null, 2)}\n` : formatNodes(nodes, block, opts.netuid));
    });

  chain
    .command('register')
    .description('register a hotkey on a running devnet chain (signed by the hotkey; the devnet mints the stake)')
    .option('--url <url>', 'devnet chain URL (default $GOD_CHAIN_URL or http://127.0.0.1:9940)')
    .addOption(new Option('--netuid <netuid>', 'subnet').default(protocolRules.netuid).argParser(wholeNumber('--netuid', 65_535)))
    .option('--suri <uri>', 'hotkey as a secret URI (//Alice) instead of a wallet file')
    .option('--wallet <name>', 'bittensor wallet name', 'default')
    .option('--hotkey <name>', 'hotkey name in the wallet', 'default')
    .option('--wallet-path <dir>', 'wallet root (default: $BT_WALLET_PATH or ~/.bittensor/wallets)')
    .option('--coldkey <ss58>', 'coldkey address (default: the wallet\'s coldkeypub, or the hotkey itself with --suri)')
    .addOption(new Option('--stake <alpha>', 'alpha stake to give the hotkey').default(0).argParser(Number))
    .addOption(new Option('--tao-stake <tao>', 'TAO (root) stake to give the hotkey').default(0).argParser(Number))
    .action(async (opts: { url?: string; netuid: number; suri?: string; wallet: string; hotkey: string; walletPath?: string; coldkey?: string; stake: number; taoStake: number }) => {
      const { httpChain } = await import('../../chain/devnet/index.ts');
      const { Sr25519Keypair, initCrypto } = await import('../../keys/keypair.ts');
      const { loadColdkeyAddress, loadHotkey, resolveWalletRoot } = await import('../../keys/wallet.ts');
      await initCrypto();
      let hotkey: Keypair;
      let coldkey: string;
      if (opts.suri) {
        hotkey = Sr25519Keypair.fromUri(opts.suri);
        coldkey = opts.coldkey ?? hotkey.ss58Address;
      } else {
        const root = resolveWalletRoot(opts.walletPath, deps.env);
        hotkey = loadHotkey({ root, wallet: opts.wallet, hotkey: opts.hotkey });
        coldkey = opts.coldkey ?? loadColdkeyAddress(root, opts.wallet);
      }
      const client = httpChain(opts.url ?? defaultUrl(deps.env), hotkey);
      const receipt = await client.register({ netuid: opts.netuid, coldkey, alphaStake: opts.stake, taoStake: opts.taoStake });
      deps.out(`registered ${hotkey.ss58Address} on netuid ${opts.netuid} as uid ${receipt.uid} at block ${receipt.block}\n`);
    });
}

export function register(program: Command): void {
  registerChain(program);
}
