/**
 * `god auditor`: recompute a validator's weights from the scores file it publishes and compare them, u16 for u16,
 * with what its uid holds on the chain (docs/auditor.md). `--once` audits once and sets the exit code
 * (0 match, 1 mismatch, 2 could not audit); without it the audit repeats every `--interval` seconds.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

export interface AuditorDeps {
  out: (text: string) => void;
  err: (text: string) => void;
  setExitCode: (code: number) => void;
  env: NodeJS.ProcessEnv;
  /** Ends the loop mode (besides SIGINT/SIGTERM); tests stop it with this. */
  stop?: AbortSignal;
}

const defaultDeps: AuditorDeps = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
  env: process.env,
};

export const EXIT_MATCH = 0;
export const EXIT_MISMATCH = 1;
export const EXIT_CANNOT_AUDIT = 2;

interface AuditorOptions {
  validatorUrl: string;
  hotkey: string;
  netuid?: number;
  network?: 'devnet' | 'finney' | 'test';
  chainUrl?: string;
  endpoint?: string;
  once?: boolean;
  interval: number;
  checkTasks: number;
  timeout: number;
  json?: boolean;
  set: string[];
  metricsPort?: number;
  metricsHost: string;
}

function whole(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n > max) throw new InvalidArgumentError(`${name} must be a whole number between 0 and ${max}`);
    return n;
  };
}

async function run(opts: AuditorOptions, deps: AuditorDeps): Promise<void> {
  const { loadConfig, parseSetFlags } = await import('../../config/index.ts');
  const { createLogger } = await import('../../log/index.ts');
  const { systemClock } = await import('../../clock/index.ts');
  const auditor = await import('../../auditor/index.ts');

  let chain: import('../../chain/types.ts').Chain;
  let options: import('../../auditor/index.ts').AuditOptions;
  try {
    const { config } = loadConfig({ env: deps.env, cli: parseSetFlags(opts.set) });
    const network = opts.chainUrl ? 'devnet' : (opts.network ?? config.general.network);
    const { connectChain } = await import('../../chain/connect.ts');
    chain =
      network === 'devnet'
        ? await connectChain({ network, url: opts.chainUrl ?? deps.env.GOD_CHAIN_URL ?? 'http://127.0.0.1:9940' })
        : await connectChain({ network, endpoint: opts.endpoint ?? config.chain.endpoint ?? (network === 'finney' ? config.chain.finneyEndpoint : config.chain.testEndpoint) });
    options = {
      validatorUrl: opts.validatorUrl,
      chain,
      netuid: opts.netuid ?? config.protocol.netuid,
      hotkey: opts.hotkey,
      rules: config.scoring,
      checkTasks: opts.checkTasks,
      timeoutMs: opts.timeout * 1000,
    };
    if (!opts.once) {
      const log = createLogger({ name: 'auditor', level: config.general.logLevel });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      deps.stop?.addEventListener('abort', onSignal, { once: true });
      if (deps.stop?.aborted) stop.abort();
      let served: import('../../auditor/metrics-server.ts').AuditorMetricsServer | undefined;
      try {
        if (opts.metricsPort !== undefined) {
          const { serveAuditorMetrics } = await import('../../auditor/metrics-server.ts');
          served = await serveAuditorMetrics({ host: opts.metricsHost, port: opts.metricsPort }, log);
          deps.err(`god auditor: metrics on ${served.url}/metrics\n`);
        }
        await auditor.auditLoop({
          ...options,
          clock: systemClock,
          log,
          intervalMs: opts.interval * 1000,
          signal: stop.signal,
          ...(served ? { metrics: served.metrics } : {}),
          onOutcome: (o) => {
            if (o.kind !== 'error') deps.out(opts.json ? `${JSON.stringify({ kind: o.kind, ...o.report })}\n` : auditor.formatReport(o.report));
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        deps.stop?.removeEventListener('abort', onSignal);
        await served?.close();
        await chain.close();
      }
      return;
    }
  } catch (err) {
    deps.err(`god auditor: ${(err as Error).message}\n`);
    deps.setExitCode(EXIT_CANNOT_AUDIT);
    return;
  }
  try {
    const report = await auditor.auditOnce(options);
    deps.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : auditor.formatReport(report));
    deps.setExitCode(report.ok ? EXIT_MATCH : EXIT_MISMATCH);
  } catch (err) {
    const code = err instanceof auditor.AuditError ? err.code : 'internal';
    deps.err(`god auditor: could not audit (${code}): ${(err as Error).message}\n`);
    deps.setExitCode(EXIT_CANNOT_AUDIT);
  } finally {
    await chain.close();
  }
}

export function registerAuditor(program: Command, deps: AuditorDeps = defaultDeps): void {
  program
    .command('auditor')
    .description(
      "audit a validator: recompute its weights from the scores file it publishes (GET /auditing/scores-url) and compare them exactly with what its uid holds on the chain; exit code with --once: 0 match, 1 mismatch, 2 could not audit",
    )
    .requiredOption('--validator-url <url>', "base URL of the validator's public API (serves /auditing/*)")
    .requiredOption('--hotkey <ss58>', "the audited validator's hotkey")
    .addOption(new Option('--netuid <netuid>', 'subnet (default protocol.netuid)').argParser(whole('--netuid', 65_535)))
    .addOption(new Option('--network <network>', 'chain to read: devnet (HTTP), finney or test (subtensor); default general.network').choices(['devnet', 'finney', 'test']))
    .option('--chain-url <url>', 'devnet chain URL (implies --network devnet; default $GOD_CHAIN_URL or http://127.0.0.1:9940)')
    .option('--endpoint <wss>', 'subtensor websocket endpoint (default chain.endpoint, else the network\'s)')
    .option('--once', 'audit once and exit with 0 (match), 1 (mismatch) or 2 (could not audit)')
    .addOption(new Option('--interval <seconds>', 'seconds between audits without --once (the weight setter retries every 25 blocks)').default(300).argParser(whole('--interval')))
    .addOption(new Option('--check-tasks <n>', "cross-check up to n of the file's tasks against GET /auditing/tasks/{task_id} (0: off)").default(1000).argParser(whole('--check-tasks')))
    .addOption(new Option('--timeout <seconds>', 'per HTTP request').default(60).argParser(whole('--timeout')))
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--metrics-port <port>', 'without --once: serve /metrics (god_audits_total by outcome) and /health on this port (0: any free port; default: not served)').argParser(whole('--metrics-port', 65_535)))
    .option('--metrics-host <address>', 'address the metrics server listens on', '127.0.0.1')
    .option('--set <group.key=value>', 'override a config value (repeatable); the scoring.* rules must be the validator\'s', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action((opts: AuditorOptions) => run(opts, deps));
}

export function register(program: Command): void {
  registerAuditor(program);
}
