/**
 * `god eval --task-id ID [--models REPO...]`: re-evaluates a task from the database through the configured
 * evaluation executor (the built-in engine by default; evaluation containers on Docker or Kubernetes with
 * evalExecutor.kind), the counterpart of the original's utils/run_evaluation.py. It reads the task and its
 * submissions, evaluates on the test set (and the synthetic set for the top repos, as the validator does), scores
 * the results with the task's scoring rules, and prints a table or JSON. Nothing is written to the database.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../../config/schema.ts';
import type { Db } from '../../db/types.ts';
import type { EvaluationExecutor, Fetcher } from '../../validator/ports.ts';

export interface EvalCliOptions {
  taskId: string;
  models?: string[];
  json?: boolean;
  executor?: 'builtin' | 'docker' | 'kubernetes';
  gpus?: number[];
  synth?: boolean;
}

export interface EvalRow {
  hotkey: string | null;
  repo: string | null;
  test_loss: number | null;
  synth_loss: number | null;
  is_finetune: boolean;
  score: number;
  score_reason: string | null;
}

export interface EvalReport {
  task_id: string;
  task_type: string;
  model_id: string;
  model_params_count: number;
  executor: string;
  rows: EvalRow[];
}

export interface EvalDeps {
  db?: Db;
  config?: Config;
  executor?: EvaluationExecutor;
  fetch?: Fetcher;
}

function gpuList(raw: string): number[] {
  const ids = raw.split(',').map((s) => s.trim());
  if (!ids.every((s) => /^\d+$/.test(s))) throw new InvalidArgumentError('must be a comma list of GPU ids, e.g. 0,1');
  return ids.map(Number);
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export async function runEval(opts: EvalCliOptions, deps: EvalDeps = {}): Promise<EvalReport> {
  const [{ loadConfig }, { openDb }, { getTask }, { datasetTypeOf }, { parseEvaluationResults }, scoring, { scoreTaskWithDuplicateHandling }] = await Promise.all([
    import('../../config/load.ts'),
    import('../../db/index.ts'),
    import('../../db/queries/tasks.ts'),
    import('../../validator/training/requests.ts'),
    import('../../validator/evaluation/results.ts'),
    import('../../validator/cycle/scoring.ts'),
    import('../../scoring/task/index.ts'),
  ]);
  const base = deps.config ?? loadConfig().config;
  const config: Config = opts.executor ? { ...base, evalExecutor: { ...base.evalExecutor, kind: opts.executor } } : base;
  const db = deps.db ?? (await openDb({ migrate: true }));
  try {
    const task = await getTask(db, opts.taskId);
    if (!task) throw new Error(`task ${opts.taskId} is not in the database`);
    const taskId = String(task.task_id);
    const submitted = (
      await db.query<{ hotkey: string; repo: string }>('SELECT hotkey, repo FROM submissions WHERE task_id = $1 AND netuid = $2 ORDER BY hotkey', [taskId, config.protocol.netuid])
    ).rows;
    const miners =
      opts.models && opts.models.length > 0
        ? opts.models.map((repo) => ({ hotkey: submitted.find((s) => s.repo === repo)?.hotkey ?? `model:${repo}`, repo, failure: null }))
        : submitted.map((s) => ({ hotkey: s.hotkey, repo: s.repo, failure: null }));
    if (miners.length === 0) throw new Error(`task ${taskId} has no submissions; name the repos with --models`);
    if (!task.test_data) throw new Error(`task ${taskId} has no test data`);

    let executor = deps.executor;
    if (!executor) {
      const { httpFetcher } = await import('../../validator/adapters/fetch.ts');
      const [{ LocalModelHub }, { HttpModelHub }, { buildEvaluationExecutor }, { join }] = await Promise.all([
        import('../../storage/hub/local.ts'),
        import('../../storage/hub/client.ts'),
        import('../../evaluation-exec/factory.ts'),
        import('node:path'),
      ]);
      const home = config.general.home;
      const hub = config.storage.hubUrl ? new HttpModelHub({ baseUrl: config.storage.hubUrl }) : await LocalModelHub.open({ root: config.storage.hubDir ?? join(home, 'hub') });
      executor = await buildEvaluationExecutor(config, { fetch: deps.fetch ?? httpFetcher, hub, home });
    }

    const image = task.task_type === 'ImageTask';
    const repos = [...new Set(miners.map((m) => m.repo).filter((r) => r !== task.model_id))];
    const job = {
      task_id: taskId,
      task_type: task.task_type,
      original_model: task.model_id,
      dataset_type: datasetTypeOf(task),
      file_format: 'json' as const,
      model_type: task.task_type === 'ImageTask' ? (task.model_type ?? 'sdxl') : null,
      gpu_ids: opts.gpus ?? [...config.evaluation.gpuIds],
    };
    const test = repos.length > 0 ? parseEvaluationResults(await executor.run({ ...job, split: 'test', dataset_url: task.test_data, repos }), repos, image) : { modelParamsCount: 0, repos: new Map() };
    let synth = null;
    const syntheticData = task.task_type === 'ImageTask' ? null : (task.synthetic_data ?? null);
    if (!image && syntheticData && opts.synth !== false) {
      const top = scoring.synthCandidates(task.task_type, test.repos, config.evaluation.synthEvalTopN);
      synth = top.length > 0 ? parseEvaluationResults(await executor.run({ ...job, split: 'synth', dataset_url: syntheticData, repos: top }), top, false).repos : new Map();
    }
    const results = scoring.minerResults(task.task_type, task.model_id, miners, test.repos, synth);
    // Upload times are not looked up: duplicates are ranked by order, as when the hub does not answer.
    const scored = scoreTaskWithDuplicateHandling(results, () => null, config.scoring).final;
    return {
      task_id: taskId,
      task_type: task.task_type,
      model_id: task.model_id,
      model_params_count: test.modelParamsCount,
      executor: deps.executor ? 'custom' : config.evalExecutor.kind,
      rows: scored.map((r) => ({
        hotkey: r.hotkey.startsWith('model:') ? null : r.hotkey,
        repo: r.submission?.repo ?? miners.find((m) => m.hotkey === r.hotkey)?.repo ?? null,
        test_loss: finite(r.testLoss),
        synth_loss: finite(r.synthLoss),
        is_finetune: r.isFinetune,
        score: r.score,
        score_reason: r.scoreReason,
      })),
    };
  } finally {
    if (!deps.db) await db.close();
  }
}

function fmt(x: number | null): string {
  return x === null ? '-' : Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4);
}

export function formatTable(report: EvalReport): string {
  const header = ['repo', 'hotkey', 'test_loss', 'synth_loss', 'finetune', 'score', 'reason'];
  const rows = report.rows.map((r) => [r.repo ?? '-', r.hotkey ? `${r.hotkey.slice(0, 10)}…` : '-', fmt(r.test_loss), fmt(r.synth_loss), r.is_finetune ? 'yes' : 'no', String(r.score), r.score_reason ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `task ${report.task_id} (${report.task_type}, base ${report.model_id}, ${report.model_params_count} params) via the ${report.executor} executor`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('re-evaluate a task from the database through the configured evaluation executor and print per-model losses and scores')
    .requiredOption('--task-id <id>', 'task to evaluate')
    .option('--models <repos...>', 'repos to evaluate instead of the task\'s submissions')
    .addOption(new Option('--executor <kind>', 'override evalExecutor.kind for this run').choices(['builtin', 'docker', 'kubernetes']))
    .option('--gpus <ids>', 'GPU ids for container executors (default evaluation.gpuIds)', gpuList)
    .option('--no-synth', 'skip the synthetic-set evaluation of the top repos')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nReads the database of this installation (database.url, else the embedded one under general.home) and the task\'s\ntest data URL; repos come from the local hub (storage.hubDir) or storage.hubUrl for the built-in engine. Nothing\nis written. Configuration: evalExecutor.* (executor kind, images, isolation, timeouts, Docker and Kubernetes), see\ndocs/evaluation.md.',
    )
    .action(async (opts: EvalCliOptions) => {
      const report = await runEval(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
    });
}
