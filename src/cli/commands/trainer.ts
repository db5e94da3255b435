/**
 * `god trainer`: the trainer service that builds and runs miners' training repos for tournaments (docs/trainer.md).
 *   god trainer start …       serve the API (default port 8001) with the local, Docker or Kubernetes executor
 *   god trainer token         print a new API token and the hash to configure
 *   god trainer isolation     print the isolation layers the local executor gets on this machine
 */
import { Command, Option } from 'commander';
import { homeDir, loadConfig, type Config } from '../../config/index.ts';
import { describeHostIsolation, detectHostIsolation } from '../../isolation/detect.ts';
import { createLogger } from '../../log/index.ts';
import { openModelHub } from '../../storage/open.ts';
import { defaultTrainerDir, startTrainer } from '../../trainer/app.ts';
import { newTrainerToken } from '../../trainer/auth.ts';
import { detectNvidiaGpus, parseGpuList, type GpuSpec } from '../../trainer/gpus.ts';
import { trainerHubFrom } from '../../trainer/hub-adapter.ts';

export interface TrainerCliDeps {
  out: (text: string) => void;
  config: () => Config;
}

const defaultDeps: TrainerCliDeps = {
  out: (text) => process.stdout.write(text),
  config: () => loadConfig().config,
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: expected 0–65535, got "${value}"`);
  return n;
}

interface StartOptions {
  host: string;
  port: number;
  dataDir?: string;
  executor?: 'local' | 'docker' | 'kubernetes';
  hotkey?: string;
  allowValidator: string[];
  tokenSha256: string[];
  gpus: string;
  allowedHost: string[];
  allowLocalRepos?: boolean;
  localRepoRoot: string[];
  hubNamespace?: string;
  dockerSocket: string;
  deadline: 'fail' | 'publish-partial';
  memoryMb: number;
  outputMaxMb?: number;
}

async function resolveGpus(spec: string): Promise<GpuSpec[]> {
  if (spec !== 'detect') return parseGpuList(spec);
  const { gpus, skipped } = await detectNvidiaGpus();
  if (skipped.length) process.stderr.write(`god trainer: GPUs of unknown type left out: ${skipped.join('; ')}\n`);
  if (!gpus.length) throw new Error('no GPU detected; pass --gpus (e.g. --gpus 2xH100 for virtual GPUs on the devnet)');
  return gpus;
}

/** The Kubernetes executor's options from the `trainerExecutor.*` settings. */
function kubernetesOptions(config: Config) {
  const t = config.trainerExecutor;
  return {
    namespace: t.namespace,
    kubeconfig: t.kubeconfig,
    textImage: t.k8sTextImage,
    imageImage: t.k8sImageImage,
    textEntrypoint: t.k8sTextEntrypoint,
    imageEntrypoint: t.k8sImageEntrypoint,
    repoMounts: t.k8sRepoMounts.map((m) => ({ ...m })),
    dataClaim: t.k8sDataClaim,
    dataMountPath: t.k8sDataMountPath,
    runAsUser: t.k8sRunAsUser,
    startupGraceSeconds: t.k8sStartupGraceSeconds,
    ttlSecondsAfterFinished: t.k8sTtlSeconds,
    pollMs: Math.max(10, Math.round(t.k8sPollSeconds * 1000)),
    imagePullPolicy: t.k8sImagePullPolicy,
    nodeSelector: { ...t.k8sNodeSelector },
  };
}

export function registerTrainer(program: Command, deps: TrainerCliDeps = defaultDeps): void {
  const trainer = program.command('trainer').description('the trainer service: clones, builds and runs miners\' tournament training repos in isolation');

  trainer
    .command('start')
    .description('serve the trainer API (/v1/trainer/*); every route needs a signed request from an allowed validator or a token')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port (the original uses 8001)', parsePort, 8001)
    .option('--data-dir <dir>', 'state, job folders and input cache (default <general.home>/trainer)')
    .addOption(new Option('--executor <kind>', 'how jobs run: local (Node entry script under OS isolation), docker (Docker Engine API) or kubernetes (a Job per run; trainerExecutor.* settings); default trainerExecutor.kind').choices(['local', 'docker', 'kubernetes']))
    .option('--hotkey <ss58>', 'this trainer\'s hotkey: signed requests must be addressed to it')
    .option('--allow-validator <ss58>', 'validator hotkey allowed to call (repeatable)', collect, [])
    .option('--token-sha256 <hex>', 'SHA-256 of an accepted bearer token, from `god trainer token` (repeatable)', collect, [])
    .option('--gpus <list>', 'GPUs: "detect" (nvidia-smi) or a list such as 4xH100 or 2xH100,1xA100:40 (virtual on the devnet)', 'detect')
    .option('--allowed-host <host>', 'host https repos may come from (repeatable; default github.com)', collect, [])
    .option('--allow-local-repos', 'accept file:// URLs and absolute paths (devnet)')
    .option('--local-repo-root <dir>', 'local repos must lie under this folder (repeatable)', collect, [])
    .option('--hub-namespace <name>', 'hub namespace outputs are published to (default: tournament.outputHfNamespace)')
    .option('--docker-socket <path>', 'Docker daemon socket', '/var/run/docker.sock')
    .addOption(new Option('--deadline <policy>', 'a run that reaches its deadline: fail, or publish what it wrote (the reference)').choices(['fail', 'publish-partial']).default('fail'))
    .option('--memory-mb <mb>', 'memory limit of a local job', (v) => Number(v), 4096)
    .option('--output-max-mb <mb>', 'largest output folder of a job', (v) => Number(v))
    .action(async (opts: StartOptions) => {
      const config = deps.config();
      const logger = createLogger({ name: 'trainer', level: config.general.logLevel });
      const hub = trainerHubFrom(await openModelHub(config, { logger }));
      const running = await startTrainer(
        {
          host: opts.host,
          port: opts.port,
          dataDir: opts.dataDir ?? defaultTrainerDir(homeDir(config)),
          executor: opts.executor ?? config.trainerExecutor.kind,
          auth: { trainerHotkey: opts.hotkey ?? null, allowedValidators: opts.allowValidator, tokenSha256: opts.tokenSha256 },
          repos: {
            allowedHosts: opts.allowedHost.length ? opts.allowedHost : ['github.com'],
            allowLocal: !!opts.allowLocalRepos,
            localRoots: opts.localRepoRoot,
            cloneTimeoutSeconds: 120,
            maxBytes: 2 * 1024 ** 3,
          },
          hubNamespace: opts.hubNamespace ?? config.tournament.outputHfNamespace,
          deadlinePolicy: opts.deadline,
          local: { memoryMb: opts.memoryMb },
          docker: { socketPath: opts.dockerSocket },
          kubernetes: kubernetesOptions(config),
          ...(opts.outputMaxMb ? { limits: { outputMaxBytes: Math.floor(opts.outputMaxMb * 1024 * 1024) } } : {}),
        },
        { hub, gpus: await resolveGpus(opts.gpus), rules: config.trainer, logger },
      );
      deps.out(`god trainer: listening on ${running.url} (${running.service.executorKind} executor)\n`);
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  trainer
    .command('token')
    .description('print a new random API token (give it to the caller) and its SHA-256 (pass to --token-sha256)')
    .action(() => {
      const { token, sha256 } = newTrainerToken();
      deps.out(`token:  ${token}\nsha256: ${sha256}\n`);
    });

  trainer
    .command('isolation')
    .description('show which isolation layers the local executor gets on this machine')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const host = detectHostIsolation();
      const lines = describeHostIsolation(host);
      if (opts.json) deps.out(`${JSON.stringify({ layers: lines, warnings: host.warnings }, null, 2)}\n`);
      else {
        for (const l of lines) deps.out(`${l.active ? 'on ' : 'OFF'}  ${l.layer}: ${l.detail}\n`);
        for (const w of host.warnings) deps.out(`warning: ${w}\n`);
      }
    });
}

export const register = (program: Command): void => registerTrainer(program);
