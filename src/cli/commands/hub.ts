/**
 * `god hub`: the local storage server (model hub and blob store), hub upload tokens, and a small client for
 * looking at, uploading and downloading model repositories. Storage modules are loaded only when a
 * subcommand runs, so `god --help` stays fast.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';

export interface HubDeps {
  out: (text: string) => void;
  /** Defaults to the project's loadConfig (file, environment, then the --set overrides). */
  loadConfig?: (overrides: Record<string, string>) => Config;
  /** Resolves when the server should stop (SIGINT/SIGTERM by default). */
  untilStopped: () => Promise<void>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const defaultDeps: HubDeps = {
  out: (text) => process.stdout.write(text),
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
};

async function config(deps: HubDeps, set: string[]): Promise<Config> {
  const { loadConfig, parseSetFlags } = await import('../../config/index.ts');
  const cli = parseSetFlags(set);
  return deps.loadConfig ? deps.loadConfig(cli) : loadConfig({ cli }).config;
}

export function registerHub(program: Command, deps: HubDeps = defaultDeps): void {
  const hub = program
    .command('hub')
    .description('local model hub and blob store: serve them, issue upload tokens, inspect/upload/download repositories');

  hub
    .command('serve')
    .description('serve the model hub (Hugging Face-style routes) and the blob store (signed URLs) over HTTP')
    .option('--host <host>', 'listen address (default: storage.host)')
    .option('--port <port>', 'port, 0 for any free one (default: storage.port)')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (opts: { host?: string; port?: string; set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { startStorageServer, storagePaths } = await import('../../storage/index.ts');
      const { createLogger } = await import('../../log/index.ts');
      const listen: { host?: string; port?: number } = {};
      if (opts.host !== undefined) listen.host = opts.host;
      if (opts.port !== undefined) {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number, got "${opts.port}"`);
        listen.port = port;
      }
      const started = await startStorageServer(cfg, { logger: createLogger({ name: 'storage', level: cfg.general.logLevel }) }, listen);
      const paths = storagePaths(cfg);
      deps.out(`storage server at ${started.baseUrl}\n  hub:   ${paths.hubDir}\n  blobs: ${paths.blobDir}\n`);
      await deps.untilStopped();
      await started.close();
    });

  hub
    .command('token')
    .description('issue an upload token for an owner namespace (printed once; the hub keeps only its hash)')
    .argument('<owner>', 'namespace the token may create repositories in and upload to, e.g. a miner\'s name')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (owner: string, opts: { set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { HubTokenStore, storagePaths } = await import('../../storage/index.ts');
      const issued = await new HubTokenStore(storagePaths(cfg).hubTokensFile).issue(owner);
      deps.out(
        [
          `hub token for ${issued.owner}/* (prefix ${issued.prefix}):`,
          `  ${issued.token}`,
          'Shown only now. Give it to the uploader as storage.hubToken (GOD_STORAGE__HUB_TOKEN).',
          '',
        ].join('\n'),
      );
    });

  hub
    .command('tokens')
    .description('list issued hub tokens (owner, prefix, creation time; never the token)')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (opts: { set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { HubTokenStore, storagePaths } = await import('../../storage/index.ts');
      const tokens = await new HubTokenStore(storagePaths(cfg).hubTokensFile).list();
      deps.out(tokens.length === 0 ? 'no hub tokens\n' : `${tokens.map((t) => `${t.prefix}  ${t.owner}  ${t.createdAt}`).join('\n')}\n`);
    });

  hub
    .command('revoke')
    .description('revoke hub tokens by prefix (as shown by `god hub tokens`)')
    .argument('<prefix>', 'token prefix, e.g. hub_AbCd1234')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (prefix: string, opts: { set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { HubTokenStore, storagePaths } = await import('../../storage/index.ts');
      const removed = await new HubTokenStore(storagePaths(cfg).hubTokensFile).revoke(prefix);
      if (removed === 0) throw new Error(`no hub token with prefix ${prefix}`);
      deps.out(`revoked ${removed} token(s) with prefix ${prefix}\n`);
    });

  hub
    .command('info')
    .description('show a repository: revision sha, upload time (lastModified), files with sizes and sha256')
    .argument('<repo>', 'owner/name')
    .option('--revision <sha>', 'a revision instead of the head of main')
    .option('--history', 'also list the revisions, newest first')
    .option('--json', 'print JSON')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (repo: string, opts: { revision?: string; history?: boolean; json?: boolean; set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { openModelHub } = await import('../../storage/index.ts');
      const modelHub = await openModelHub(cfg);
      const info = await modelHub.repoInfo(repo, opts.revision !== undefined ? { revision: opts.revision } : {});
      const history = opts.history ? await modelHub.listRevisions(repo) : undefined;
      if (opts.json) {
        deps.out(`${JSON.stringify(history ? { ...info, revisions: history } : info, null, 2)}\n`);
        return;
      }
      const lines = [`${info.id}@${info.sha}`, `  lastModified ${info.lastModified}   created ${info.createdAt}`];
      for (const f of info.files) lines.push(`  ${String(f.size).padStart(12)}  ${f.sha256 ?? '?'.repeat(64)}  ${f.path}`);
      if (info.files.length === 0) lines.push('  (no files)');
      for (const r of history ?? []) lines.push(`  rev ${r.sha}  ${r.date}  ${r.message.split('\n')[0] ?? ''}`);
      deps.out(`${lines.join('\n')}\n`);
    });

  hub
    .command('upload')
    .description('upload every file under a directory as a new revision of a repository')
    .argument('<repo>', 'owner/name')
    .argument('<dir>', 'directory to upload (symlinks are not followed)')
    .option('-m, --message <text>', 'commit message', 'Upload folder using god')
    .option('--create', 'create the repository first if it does not exist')
    .option('--replace', 'make the revision exactly these files (default: add to and overwrite the previous files)')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (repo: string, dir: string, opts: { message: string; create?: boolean; replace?: boolean; set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { filesFromDir, openModelHub } = await import('../../storage/index.ts');
      const modelHub = await openModelHub(cfg);
      if (opts.create) await modelHub.createRepo(repo, { existOk: true });
      const files = await filesFromDir(dir);
      const rev = await modelHub.upload(repo, files, { message: opts.message, ...(opts.replace ? { mode: 'replace' as const } : {}) });
      deps.out(`${repo}@${rev.sha} uploaded ${files.length} file(s) at ${rev.date}\n`);
    });

  hub
    .command('download')
    .description('download a revision of a repository into a directory')
    .argument('<repo>', 'owner/name')
    .argument('<dest>', 'destination directory')
    .option('--revision <sha>', 'a revision instead of the head of main')
    .option('--set <group.key=value>', 'override one config value for this run (repeatable)', collect, [])
    .action(async (repo: string, dest: string, opts: { revision?: string; set: string[] }) => {
      const cfg = await config(deps, opts.set);
      const { openModelHub } = await import('../../storage/index.ts');
      const result = await (await openModelHub(cfg)).download(repo, opts.revision !== undefined ? { revision: opts.revision } : {}, dest);
      deps.out(`${repo}@${result.sha}: ${result.files.length} file(s) in ${dest}\n`);
    });
}

export function register(program: Command): void {
  registerHub(program);
}
