/**
 * `god keys`: sr25519 coldkeys and hotkeys in Bittensor's wallet layout (~/.bittensor/wallets by default), so
 * btcli and god share one set of keys. A mnemonic is printed once, when a key is created; nothing else secret
 * is ever printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Sr25519Keypair, initCrypto } from '../../keys/keypair.ts';
import { listWallets, resolveWalletRoot, saveColdkey, saveHotkey, walletPaths } from '../../keys/wallet.ts';
import type { WalletListing } from '../../keys/wallet.ts';

export interface KeysDeps {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The whole of standard input, for secrets that should not sit in shell history. */
  readStdin: () => string;
}

const defaultDeps: KeysDeps = {
  out: (text) => process.stdout.write(text),
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
};

const walletPathOption = () =>
  new Option('--wallet-path <dir>', 'wallet root (default: $BT_WALLET_PATH or ~/.bittensor/wallets)');

const WORDS = ['12', '15', '18', '21', '24'] as const;

function showMnemonic(deps: KeysDeps, role: string, mnemonic: string): void {
  deps.out(`  ${role} mnemonic (shown only now; write it down, it recreates the key):\n    ${mnemonic}\n`);
}

/** A secret as given on the command line or stdin: 0x seed, secret URI, or mnemonic. */
function keypairFromSecret(secret: string): Sr25519Keypair {
  const text = secret.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return Sr25519Keypair.fromSeed(text);
  if (text.includes('/')) return Sr25519Keypair.fromUri(text);
  return Sr25519Keypair.fromMnemonic(text);
}

function formatListing(wallets: WalletListing[], root: string): string {
  if (wallets.length === 0) return `no wallets under ${root}\n`;
  const lines = [`wallets under ${root}:`];
  for (const w of wallets) {
    const cold = w.coldkeyAddress ?? '(no coldkeypub.txt)';
    const enc = w.hasColdkey ? (w.coldkeyEncrypted ? `, coldkey ${w.coldkeyEncrypted}-encrypted` : ', coldkey unencrypted') : ', no coldkey file';
    lines.push(`${w.name}  coldkey ${cold}${enc}${w.error ? `  [${w.error}]` : ''}`);
    for (const h of w.hotkeys) {
      const addr = h.ss58Address ?? '(address unknown)';
      lines.push(`  hotkey ${h.name}  ${addr}${h.encrypted ? ` (${h.encrypted}-encrypted, not usable by god)` : ''}${h.error ? `  [${h.error}]` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerKeys(program: Command, deps: KeysDeps = defaultDeps): void {
  const keys = program
    .command('keys')
    .description('sr25519 coldkeys and hotkeys in Bittensor wallet files (SS58 prefix 42)');

  keys
    .command('new')
    .description('create a hotkey (and the wallet\'s coldkey if it has none); prints each new mnemonic once')
    .requiredOption('--wallet <name>', 'wallet name (a folder under the wallet root)')
    .requiredOption('--hotkey <name>', 'hotkey name')
    .addOption(walletPathOption())
    .addOption(new Option('--words <n>', 'mnemonic length').choices(WORDS).default('12'))
    .option('--overwrite', 'replace existing key files', false)
    .addHelpText(
      'after',
      '\nThe coldkey is written UNENCRYPTED (mode 0600): god cannot write btcli\'s NaCl/argon2 encryption.\n' +
        'Keep only the coldkeypub.txt on validator/miner machines; the hotkey is all they sign with.',
    )
    .action(async (opts: { wallet: string; hotkey: string; walletPath?: string; words: string; overwrite: boolean }) => {
      await initCrypto();
      const root = resolveWalletRoot(opts.walletPath, deps.env);
      const paths = walletPaths(root, opts.wallet);
      const words = Number(opts.words) as 12 | 15 | 18 | 21 | 24;
      const hotPath = paths.hotkey(opts.hotkey);
      if (!opts.overwrite && existsSync(hotPath)) throw new Error(`${hotPath} already exists (use --overwrite to replace it)`);
      deps.out(`wallet "${opts.wallet}" in ${paths.dir}\n`);
      if (opts.overwrite || (!existsSync(paths.coldkey) && !existsSync(paths.coldkeypub))) {
        const cold = Sr25519Keypair.generate(words);
        saveColdkey(root, opts.wallet, cold.keypair, { overwrite: opts.overwrite });
        deps.out(`coldkey ${cold.keypair.ss58Address}  (new, unencrypted: ${paths.coldkey})\n`);
        showMnemonic(deps, 'coldkey', cold.mnemonic);
      } else {
        deps.out('coldkey exists, kept\n');
      }
      const hot = Sr25519Keypair.generate(words);
      saveHotkey({ root, wallet: opts.wallet, hotkey: opts.hotkey }, hot.keypair, { overwrite: opts.overwrite });
      deps.out(`hotkey "${opts.hotkey}" ${hot.keypair.ss58Address}  (${hotPath})\n`);
      showMnemonic(deps, 'hotkey', hot.mnemonic);
    });

  keys
    .command('import')
    .description('import a hotkey (or, with --coldkey, a coldkey) from a mnemonic, 0x seed or secret URI')
    .requiredOption('--wallet <name>', 'wallet name')
    .option('--hotkey <name>', 'hotkey name (required unless --coldkey)')
    .option('--coldkey', 'import the wallet\'s coldkey instead of a hotkey (written unencrypted, mode 0600)', false)
    .option('--mnemonic <words>', 'BIP39 mnemonic (visible in shell history; prefer --stdin)')
    .option('--seed <hex>', '32-byte secret seed, 0x-prefixed (bittensor-wallet "secretSeed")')
    .option('--uri <suri>', 'secret URI, e.g. //Alice for a dev key')
    .option('--stdin', 'read the mnemonic, seed or URI from standard input', false)
    .addOption(walletPathOption())
    .option('--overwrite', 'replace existing key files', false)
    .action(
      async (opts: {
        wallet: string;
        hotkey?: string;
        coldkey: boolean;
        mnemonic?: string;
        seed?: string;
        uri?: string;
        stdin: boolean;
        walletPath?: string;
        overwrite: boolean;
      }) => {
        await initCrypto();
        const sources = [opts.mnemonic, opts.seed, opts.uri, opts.stdin ? 'stdin' : undefined].filter((s) => s !== undefined);
        if (sources.length !== 1) throw new Error('give exactly one of --mnemonic, --seed, --uri or --stdin');
        if (!opts.coldkey && !opts.hotkey) throw new Error('--hotkey <name> is required (or use --coldkey)');
        let keypair: Sr25519Keypair;
        if (opts.seed !== undefined) keypair = Sr25519Keypair.fromSeed(opts.seed);
        else if (opts.uri !== undefined) keypair = Sr25519Keypair.fromUri(opts.uri);
        else if (opts.mnemonic !== undefined) keypair = Sr25519Keypair.fromMnemonic(opts.mnemonic);
        else keypair = keypairFromSecret(deps.readStdin());
        const root = resolveWalletRoot(opts.walletPath, deps.env);
        if (opts.coldkey) {
          const path = saveColdkey(root, opts.wallet, keypair, { overwrite: opts.overwrite });
          deps.out(`coldkey ${keypair.ss58Address} imported into ${path} (unencrypted)\n`);
        } else {
          const path = saveHotkey({ root, wallet: opts.wallet, hotkey: opts.hotkey as string }, keypair, { overwrite: opts.overwrite });
          deps.out(`hotkey "${opts.hotkey}" ${keypair.ss58Address} imported into ${path}\n`);
        }
      },
    );

  keys
    .command('list')
    .description('list wallets, their coldkey addresses and hotkeys (public information only)')
    .addOption(walletPathOption())
    .option('--json', 'machine-readable output', false)
    .action((opts: { walletPath?: string; json: boolean }) => {
      const root = resolveWalletRoot(opts.walletPath, deps.env);
      const wallets = listWallets(root);
      deps.out(opts.json ? `${JSON.stringify({ root, wallets }, null, 2)}\n` : formatListing(wallets, root));
    });
}

export function register(program: Command): void {
  registerKeys(program);
}
